// A Modbus TCP (MBAP) client on one connection, through modbus-serial. Requests
// are serialised by a BusLock; the connection is opened on first use and again
// after it drops.
// modbus-serial is CommonJS; module.exports (and its .default) is the client class.
import modbusSerial from 'modbus-serial';
import { BusLock } from '../bus-lock.ts';

export type RegisterFunction = 'holding' | 'input';

export class ModbusError extends Error {
  constructor(
    message: string,
    /** the Modbus exception code when the device answered with one */
    readonly exceptionCode?: number,
    readonly timeout = false,
  ) {
    super(message);
  }
}

export interface TcpClientOptions {
  host: string;
  port: number;
  timeoutMs: number;
}

export class ModbusTcpClient {
  private readonly client = new modbusSerial.default();
  private readonly lock = new BusLock();
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly opts: TcpClientOptions) {
    this.client.setTimeout(opts.timeoutMs);
  }

  readRegisters(unit: number, fn: RegisterFunction, start: number, count: number): Promise<Buffer> {
    return this.lock.run(async () => {
      await this.ensureOpen();
      this.client.setID(unit);
      try {
        const r = fn === 'input' ? await this.client.readInputRegisters(start, count) : await this.client.readHoldingRegisters(start, count);
        return r.buffer;
      } catch (err) {
        throw this.toModbusError(err);
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (!this.client.isOpen) return;
    await new Promise<void>((resolve) => this.client.close(() => resolve()));
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

  private toModbusError(err: unknown): ModbusError {
    const e = err as { message?: string; modbusCode?: number; errno?: string; name?: string };
    if (typeof e.modbusCode === 'number') return new ModbusError(`exception ${e.modbusCode}: ${e.message}`, e.modbusCode);
    if (e.errno === 'ETIMEDOUT' || /timed out/i.test(e.message ?? '')) return new ModbusError(`no reply within ${this.opts.timeoutMs} ms`, undefined, true);
    return new ModbusError(e.message ?? String(err));
  }
}
