// What every Modbus transport offers the reader, the poller and the CLI:
// Modbus TCP (tcp-client.ts), RTU on a serial port or through a transparent
// RS-485-to-Ethernet converter (rtu-client.ts).

export type RegisterFunction = 'holding' | 'input';
export type BitFunction = 'coils' | 'discrete';
export type ModbusFunction = RegisterFunction | BitFunction;

export const FUNCTION_CODES: Record<ModbusFunction, number> = { coils: 1, discrete: 2, holding: 3, input: 4 };

/** Most registers (FC03/FC04) and bits (FC01/FC02) one request may ask for. */
export const MAX_REGISTERS = 125;
export const MAX_BITS = 2000;

export const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  10: 'gateway path unavailable',
  11: 'gateway target failed to respond',
};

export class ModbusError extends Error {
  constructor(
    message: string,
    /** the Modbus exception code when the device answered with one */
    readonly exceptionCode?: number,
    readonly timeout = false,
  ) {
    super(message);
  }

  static exception(code: number): ModbusError {
    return new ModbusError(`exception ${code} (${EXCEPTION_NAMES[code] ?? 'unknown'})`, code);
  }
}

export interface CallOptions {
  /** overrides the client's timeout for this request */
  timeoutMs?: number;
}

export interface ModbusClient {
  readonly description: string;
  readonly counters: ModbusCounters;
  readRegisters(unit: number, fn: RegisterFunction, start: number, count: number, opts?: CallOptions): Promise<Buffer>;
  readBits(unit: number, fn: BitFunction, start: number, count: number, opts?: CallOptions): Promise<boolean[]>;
  close(): Promise<void>;
}

/** Plain numbers, counted since `since` (epoch ms), for /metrics and /readyz. */
export interface ModbusCounters {
  /** transactions started */
  requests: number;
  /** answers received, exception replies included */
  replies: number;
  timeouts: number;
  /** exception replies (fc | 0x80) */
  exceptions: number;
  /** frames dropped for a bad CRC (RTU) */
  crcErrors: number;
  /** input dropped while waiting for an answer, in frames or runs of bytes, by reason: echo, wrong-unit, crc, garbage, late, truncated */
  skipped: Record<string, number>;
  bytesOut: number;
  bytesIn: number;
  /** ms spent inside transactions; busyMs / (now − since) is the line's utilisation */
  busyMs: number;
  since: number;
}

export function newCounters(now = Date.now()): ModbusCounters {
  return { requests: 0, replies: 0, timeouts: 0, exceptions: 0, crcErrors: 0, skipped: {}, bytesOut: 0, bytesIn: 0, busyMs: 0, since: now };
}

/** Share of time the line was busy, 0…1. */
export function utilisation(c: Pick<ModbusCounters, 'busyMs' | 'since'>, now = Date.now()): number {
  const elapsed = now - c.since;
  return elapsed > 0 ? Math.min(1, c.busyMs / elapsed) : 0;
}
