// Modbus RTU wire time, written here independently of drivers/modbus so the
// benchmark checks the driver rather than repeating it.

export interface Line {
  baudRate: number;
  /** bits per character: start + 8 data + parity + stop(s): 8N1 = 10, 8E1 = 11 */
  bitsPerChar: number;
  /** the meter's reply latency after the request frame has ended (t3.5 after its last byte) */
  turnaroundMs: number;
}

export const FRAMINGS: Record<string, number> = { '8N1': 10, '8E1': 11, '8N2': 11 };

export const charMs = (l: Pick<Line, 'baudRate' | 'bitsPerChar'>): number => (l.bitsPerChar * 1000) / l.baudRate;

/** t3.5: 3.5 character times, fixed 1.75 ms above 19200 baud (Modbus over serial line, 2.5.1.1). */
export const t35Ms = (l: Pick<Line, 'baudRate' | 'bitsPerChar'>): number => (l.baudRate > 19200 ? 1.75 : 3.5 * charMs(l));

/** FC03/FC04 read of `count` registers: request and normal reply sizes in bytes. */
export const readRequestBytes = 8;
export const readReplyBytes = (count: number): number => 5 + 2 * count;

/**
 * One read transaction on an ideal bus: request, t3.5, turnaround, reply, t3.5
 * (the silence the master keeps before its next request).
 */
export function transactionMs(l: Line, count: number): number {
  return (readRequestBytes + readReplyBytes(count)) * charMs(l) + 2 * t35Ms(l) + l.turnaroundMs;
}

/** CRC-16/Modbus (reflected 0xA001, init 0xFFFF), sent low byte first. */
export function crc16(buf: Uint8Array): number {
  let crc = 0xffff;
  for (const b of buf) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export function withCrc(body: Buffer): Buffer {
  const out = Buffer.alloc(body.length + 2);
  body.copy(out);
  out.writeUInt16LE(crc16(body), body.length);
  return out;
}
