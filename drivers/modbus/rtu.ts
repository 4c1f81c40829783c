// Modbus RTU framing: read requests with CRC-16/Modbus, reply lengths per
// function code, the quiet gap t3.5, and a reply scanner for SharedBus that
// finds our answer in whatever the line delivers (an adapter's echo of our own
// request, a frame from another unit, noise, a frame with a bad CRC).
import type { FrameScan, FrameScanner } from '../serial/shared-bus.ts';
import { FUNCTION_CODES, MAX_BITS, MAX_REGISTERS, type ModbusFunction } from './client.ts';

/** CRC-16/Modbus (poly 0xA001 reflected, init 0xFFFF); sent low byte first. */
export function crc16(buf: Uint8Array, end = buf.length): number {
  let crc = 0xffff;
  for (let i = 0; i < end; i++) {
    crc ^= buf[i]!;
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

function crcOk(frame: Uint8Array, len: number): boolean {
  const crc = crc16(frame, len - 2);
  return frame[len - 2] === (crc & 0xff) && frame[len - 1] === crc >>> 8;
}

export function withCrc(body: Uint8Array): Buffer {
  const out = Buffer.alloc(body.length + 2);
  out.set(body);
  out.writeUInt16LE(crc16(body), body.length);
  return out;
}

export function encodeReadRequest(unit: number, fn: ModbusFunction, start: number, count: number): Buffer {
  const isBits = fn === 'coils' || fn === 'discrete';
  const max = isBits ? MAX_BITS : MAX_REGISTERS;
  if (!Number.isInteger(unit) || unit < 1 || unit > 247) throw new RangeError(`unit id ${unit}: expected 1…247`);
  if (!Number.isInteger(count) || count < 1 || count > max) throw new RangeError(`count ${count}: expected 1…${max}`);
  if (!Number.isInteger(start) || start < 0 || start + count > 0x10000) throw new RangeError(`start ${start} + count ${count} is outside 0…65535`);
  const body = Buffer.alloc(6);
  body[0] = unit;
  body[1] = FUNCTION_CODES[fn];
  body.writeUInt16BE(start, 2);
  body.writeUInt16BE(count, 4);
  return withCrc(body);
}

/** Bytes of the normal reply to a read: unit, fc, byte count, data, CRC. */
export function replyLength(fc: number, count: number): number {
  return 5 + (fc <= 2 ? Math.ceil(count / 8) : count * 2);
}

/** t3.5: the silence that ends a frame, 3.5 characters of 11 bits; fixed 1.75 ms above 19200 baud. */
export function frameGapMs(baudRate: number, bitsPerChar = 11): number {
  return baudRate > 19200 ? 1.75 : (3.5 * bitsPerChar * 1000) / baudRate;
}

/** Time on the wire for `bytes` characters. */
export function wireTimeMs(bytes: number, baudRate: number, bitsPerChar = 11): number {
  return (bytes * bitsPerChar * 1000) / baudRate;
}

export type RtuReply = { unit: number; fc: number } & ({ exceptionCode: number } | { data: Buffer });

/** Splits a frame accepted by replyScanner into its parts. */
export function parseReply(frame: Buffer): RtuReply {
  const unit = frame[0]!;
  const fc = frame[1]!;
  if (fc & 0x80) return { unit, fc: fc & 0x7f, exceptionCode: frame[2]! };
  return { unit, fc, data: frame.subarray(3, frame.length - 2) };
}

type Match = { len: number; valid: boolean } | 'more' | 'no';

/** A read reply or exception for `request` starting at `at`. */
function matchOurs(rx: Buffer, at: number, unit: number, fc: number, byteCount: number): Match {
  const avail = rx.length - at;
  if (avail < 1) return 'more';
  if (rx[at] !== unit) return 'no';
  if (avail < 2) return 'more';
  const f = rx[at + 1]!;
  let len: number;
  if (f === (fc | 0x80)) len = 5;
  else if (f === fc) {
    if (avail < 3) return 'more';
    if (rx[at + 2] !== byteCount) return 'no';
    len = 5 + byteCount;
  } else return 'no';
  if (avail < len) return 'more';
  return { len, valid: crcOk(rx.subarray(at), len) };
}

/** Any well-formed reply from any unit starting at `at` (to skip it whole). */
function matchAny(rx: Buffer, at: number): Match {
  const avail = rx.length - at;
  if (avail < 1) return 'more';
  const unit = rx[at]!;
  if (unit < 1 || unit > 247) return 'no';
  if (avail < 2) return 'more';
  const f = rx[at + 1]!;
  let len: number;
  if (f & 0x80) len = (f & 0x7f) >= 1 && (f & 0x7f) <= 43 ? 5 : 0;
  else if (f >= 1 && f <= 4) {
    if (avail < 3) return 'more';
    len = 5 + rx[at + 2]!;
  } else if (f === 5 || f === 6 || f === 15 || f === 16) len = 8;
  else len = 0;
  if (!len) return 'no';
  if (avail < len) return 'more';
  return crcOk(rx.subarray(at), len) ? { len, valid: true } : 'no';
}

/**
 * The SharedBus scanner for the reply to one read `request` (from encodeReadRequest).
 * Returns our reply or exception as a frame; skips, with a reason, an echo of the
 * request ('echo'), a complete frame from another unit ('wrong-unit') or an old one
 * from ours ('late'), a reply-shaped frame with a bad CRC ('crc') and noise ('garbage').
 * Waits for exactly the reply's length, so it never takes part of a frame.
 */
export function replyScanner(request: Buffer): FrameScanner {
  const unit = request[0]!;
  const fc = request[1]!;
  const count = request.readUInt16BE(4);
  const byteCount = replyLength(fc, count) - 5;
  const ours = (rx: Buffer, at: number) => matchOurs(rx, at, unit, fc, byteCount);
  const echoPrefix = (rx: Buffer, at: number) => {
    const n = Math.min(rx.length - at, request.length);
    return rx.subarray(at, at + n).equals(request.subarray(0, n));
  };

  return (rx: Buffer): FrameScan => {
    if (rx.length === 0) return { need: 'more' };
    const atStart = ours(rx, 0);
    if (echoPrefix(rx, 0)) {
      if (rx.length >= request.length) return { skip: request.length, reason: 'echo' };
      // a short reply can share the request's first bytes
      if (typeof atStart === 'object' && atStart.valid) return { frame: rx.subarray(0, atStart.len) };
      return { need: 'more' };
    }
    if (typeof atStart === 'object' && atStart.valid) return { frame: rx.subarray(0, atStart.len) };

    // our reply further on, after noise or someone else's frame
    for (let i = 1; i < rx.length; i++) {
      const m = ours(rx, i);
      if (typeof m === 'object' && m.valid) {
        const other = matchAny(rx, 0);
        if (typeof other === 'object' && other.len <= i) return { skip: other.len, reason: rx[0] === unit ? 'late' : 'wrong-unit' };
        return { skip: i, reason: 'garbage' };
      }
    }
    if (typeof atStart === 'object') return { skip: atStart.len, reason: 'crc' };

    const other = matchAny(rx, 0);
    if (typeof other === 'object') return { skip: other.len, reason: rx[0] === unit ? 'late' : 'wrong-unit' };
    if (atStart === 'more' || other === 'more') return { need: 'more' };

    // nothing can start here: drop up to the next byte where something could
    let next = 1;
    while (next < rx.length && ours(rx, next) === 'no' && matchAny(rx, next) === 'no' && !echoPrefix(rx, next)) next++;
    return { skip: next, reason: 'garbage' };
  };
}
