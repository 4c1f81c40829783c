// A Modbus TCP (MBAP) client on one connection, through modbus-serial. Requests
// are serialised by a BusLock; the connection is opened on first use and again
// after it drops.
// modbus-serial is CommonJS; module.exports (and its .default) is the client class.
import modbusSerial from 'modbus-serial';
import { BusLock } from '../bus-lock.ts';
import { MAX_BITS, MAX_REGISTERS, ModbusError, newCounters, type BitFunction, type CallOptions, type ModbusClient, type ModbusCounters, type RegisterFunction } from './client.ts';

export { ModbusError, type RegisterFunction } from './client.ts';

export interface TcpClientOptions {
  host: string;
  port: number;
  timeoutMs: number;
  /** silence between transactions, for Modbus TCP gateways to an RS-485 line */
  interRequestDelayMs?: number;
}

/** MBAP header (7) + function code + start + count */
const REQUEST_BYTES = 12;

export class ModbusTcpClient implements ModbusClient {
  readonly counters: ModbusCounters = newCounters();
  private readonly client = new modbusSerial.default();
  private readonly lock = new BusLock();
  private connecting: Promise<void> | undefined;
  private closed = false;
  private lastEnd = 0;

  constructor(private readonly opts: TcpClientOptions) {
    this.client.setTimeout(opts.timeoutMs);
  }

  get description(): string {
    return `modbus tcp ${this.opts.host}:${this.opts.port}`;
  }

  async readRegisters(unit: number, fn: RegisterFunction, start: number, count: number, opts?: CallOptions): Promise<Buffer> {
    check(unit, start, count, MAX_REGISTERS);
    return this.transact(unit, opts, async () => {
      const r = fn === 'input' ? await this.client.readInputRegisters(start, count) : await this.client.readHoldingRegisters(start, count);
      return { value: r.buffer, bytes: 9 + count * 2 };
    });
  }

  async readBits(unit: number, fn: BitFunction, start: number, count: number, opts?: CallOptions): Promise<boolean[]> {
    check(unit, start, count, MAX_BITS);
    return this.transact(unit, opts, async () => {
      const r = fn === 'discrete' ? await this.client.readDiscreteInputs(start, count) : await this.client.readCoils(start, count);
      return { value: r.data.slice(0, count), bytes: 9 + Math.ceil(count / 8) };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.lock.run(async () => {
      if (!this.client.isOpen) return;
      await new Promise<void>((resolve) => this.client.close(() => resolve()));
    });
  }

  private transact<T>(unit: number, opts: CallOptions | undefined, job: () => Promise<{ value: T; bytes: number }>): Promise<T> {
    return this.lock.run(async () => {
      await this.ensureOpen();
      const quiet = (this.opts.interRequestDelayMs ?? 0) - (Date.now() - this.lastEnd);
      if (quiet > 0) await new Promise((r) => setTimeout(r, quiet));
      const c = this.counters;
      const timeoutMs = opts?.timeoutMs ?? this.opts.timeoutMs;
      this.client.setID(unit);
      this.client.setTimeout(timeoutMs);
      const started = Date.now();
      c.requests += 1;
      c.bytesOut += REQUEST_BYTES;
      try {
        const { value, bytes } = await job();
        c.replies += 1;
        c.bytesIn += bytes;
        return value;
      } catch (err) {
        const e = this.toModbusError(err, unit, timeoutMs);
        if (e.timeout) c.timeouts += 1;
        if (e.exceptionCode !== undefined) {
          c.replies += 1;
          c.exceptions += 1;
          c.bytesIn += 9;
        }
        throw e;
      } finally {
        this.lastEnd = Date.now();
        c.busyMs += this.lastEnd - started;
      }
    });
  }

  private async ensureOpen(): Promise<void> {
    if (this.closed) throw new ModbusError('client closed');
    if (this.client.isOpen) return;
    this.connecting ??= this.client
      .connectTCP(this.opts.host, { port: this.opts.port, timeout: this.opts.timeoutMs } as never)
      .finally(() => (this.connecting = undefined));
    try {
      await this.connecting;
    } catch (err) {
      throw new ModbusError(`cannot connect to ${this.opts.host}:${this.opts.port}: ${(err as Error).message}`);
    }
  }

  private toModbusError(err: unknown, unit: number, timeoutMs: number): ModbusError {
    const e = err as { message?: string; modbusCode?: number; errno?: string; name?: string };
    if (typeof e.modbusCode === 'number') return new ModbusError(`unit ${unit}: ${ModbusError.exception(e.modbusCode).message}`, e.modbusCode);
    if (e.errno === 'ETIMEDOUT' || /timed out/i.test(e.message ?? '')) return new ModbusError(`unit ${unit}: no reply within ${timeoutMs} ms`, undefined, true);
    return new ModbusError(e.message ?? String(err));
  }
}

function check(unit: number, start: number, count: number, max: number): void {
  if (!Number.isInteger(unit) || unit < 0 || unit > 255) throw new ModbusError(`unit id ${unit}: expected 0…255`);
  if (!Number.isInteger(count) || count < 1 || count > max) throw new ModbusError(`count ${count}: expected 1…${max}`);
  if (!Number.isInteger(start) || start < 0 || start + count > 0x10000) throw new ModbusError(`start ${start} + count ${count} is outside 0…65535`);
}
