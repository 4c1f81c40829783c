// Modbus RTU on a SharedBus: a serial port (RS-485 adapter) or a TCP socket to
// a transparent RS-485-to-Ethernet converter ("RTU over TCP"). The bus may be
// shared with other protocols (DL/T 645) on the same line.
import { BusTimeout, SharedBus, type FrameScanner, type SharedBusOptions } from '../serial/shared-bus.ts';
import { SerialByteStream, TcpByteStream, type SerialSettings } from '../serial/byte-stream.ts';
import { ModbusError, newCounters, type BitFunction, type CallOptions, type ModbusClient, type ModbusCounters, type ModbusFunction, type RegisterFunction } from './client.ts';
import { encodeReadRequest, frameGapMs, parseReply, replyScanner } from './rtu.ts';

export interface RtuClientOptions {
  timeoutMs: number;
  /** close the bus with the client (when nothing else uses the line) */
  ownsBus?: boolean;
}

export class RtuClient implements ModbusClient {
  private readonly own = newCounters();

  constructor(
    readonly bus: SharedBus,
    private readonly opts: RtuClientOptions,
  ) {}

  get description(): string {
    return `modbus rtu ${this.bus.description}`;
  }

  /** This client's transactions; bytesOut, bytesIn and busyMs are the whole line's (every protocol on the bus). */
  get counters(): ModbusCounters {
    const line = this.bus.counters;
    return { ...this.own, skipped: { ...this.own.skipped }, bytesOut: line.bytesOut, bytesIn: line.bytesIn, busyMs: line.busyMs };
  }

  async readRegisters(unit: number, fn: RegisterFunction, start: number, count: number, opts?: CallOptions): Promise<Buffer> {
    return Buffer.from(await this.read(unit, fn, start, count, opts));
  }

  async readBits(unit: number, fn: BitFunction, start: number, count: number, opts?: CallOptions): Promise<boolean[]> {
    const data = await this.read(unit, fn, start, count, opts);
    return Array.from({ length: count }, (_, i) => ((data[i >> 3]! >> (i & 7)) & 1) === 1);
  }

  async close(): Promise<void> {
    if (this.opts.ownsBus) await this.bus.close();
  }

  private async read(unit: number, fn: ModbusFunction, start: number, count: number, opts?: CallOptions): Promise<Buffer> {
    let request: Buffer;
    try {
      request = encodeReadRequest(unit, fn, start, count);
    } catch (err) {
      throw new ModbusError((err as Error).message);
    }
    const timeoutMs = opts?.timeoutMs ?? this.opts.timeoutMs;
    const c = this.own;
    c.requests += 1;
    let frame: Buffer;
    try {
      frame = await this.bus.transact(request, this.counting(replyScanner(request)), timeoutMs);
    } catch (err) {
      if (err instanceof BusTimeout) {
        c.timeouts += 1;
        if (err.partial) this.skipped('truncated');
        throw new ModbusError(`unit ${unit}: ${err.message}`, undefined, true);
      }
      throw new ModbusError((err as Error).message);
    }
    c.replies += 1;
    const reply = parseReply(frame);
    if ('exceptionCode' in reply) {
      c.exceptions += 1;
      const e = ModbusError.exception(reply.exceptionCode);
      throw new ModbusError(`unit ${unit}: ${e.message}`, reply.exceptionCode);
    }
    return reply.data;
  }

  private skipped(reason: string): void {
    this.own.skipped[reason] = (this.own.skipped[reason] ?? 0) + 1;
    if (reason === 'crc') this.own.crcErrors += 1;
  }

  private counting(scan: FrameScanner): FrameScanner {
    return (rx) => {
      const r = scan(rx);
      if ('skip' in r) this.skipped(r.reason);
      return r;
    };
  }
}

/** SharedBus options for an RTU line: t3.5 at `baudRate` plus an extra inter-request delay. */
export function rtuBusOptions(baudRate: number, interRequestDelayMs = 0): SharedBusOptions {
  return { interRequestDelayMs: frameGapMs(baudRate) + interRequestDelayMs };
}

export type SerialLine = SerialSettings & { interRequestDelayMs?: number };

/** A SharedBus on a serial port, quiet for at least t3.5 between transactions. */
export function serialBus(line: SerialLine): SharedBus {
  const { interRequestDelayMs, ...settings } = line;
  return new SharedBus(new SerialByteStream(settings), rtuBusOptions(settings.baudRate, interRequestDelayMs));
}

/** A SharedBus through a transparent converter; `lineBaud` is the RS-485 side's speed (default 9600), for t3.5. */
export function rtuOverTcpBus(host: string, port: number, opts: { lineBaud?: number; interRequestDelayMs?: number; connectTimeoutMs?: number } = {}): SharedBus {
  return new SharedBus(new TcpByteStream(host, port, opts.connectTimeoutMs), rtuBusOptions(opts.lineBaud ?? 9600, opts.interRequestDelayMs));
}
