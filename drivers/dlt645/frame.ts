// DL/T 645-2007 frames: `[FE FE FE FE] 68 A0..A5 68 C L DATA CS 16`.
// Addresses are 12 BCD digits sent lowest byte first; DATA goes out +0x33 per byte
// and comes back −0x33; CS is the byte sum mod 256 from the first 68 to the byte
// before CS. Also the frame scanners the SharedBus uses to find a reply in whatever
// arrives (preamble, noise, echoes, other meters' frames).
import type { FrameScan, FrameScanner } from '../serial/shared-bus.ts';
import { Dlt645Error } from './errors.ts';

export const START = 0x68;
export const END = 0x16;
export const PREAMBLE_BYTE = 0xfe;
/** sent before every request: wakes up the receivers of some meters */
export const PREAMBLE = Buffer.from([0xfe, 0xfe, 0xfe, 0xfe]);
export const BROADCAST_ADDRESS = '999999999999';
export const WILDCARD_ADDRESS = 'AAAAAAAAAAAA';
/** DL/T 645-2007: L ≤ 200 for reads (≤ 50 for writes) */
export const MAX_DATA_LENGTH = 200;
/** bytes around DATA: 68 + 6 address + 68 + C + L + CS + 16 */
export const FRAME_OVERHEAD = 12;

/** Function codes (bits 0–4 of C) of requests. */
export const Fn = {
  BROADCAST_TIME: 0x08,
  READ: 0x11,
  READ_FOLLOW_UP: 0x12,
  READ_ADDRESS: 0x13,
  WRITE: 0x14,
} as const;

/** Bits of C. */
export const C_REPLY = 0x80;
export const C_ABNORMAL = 0x40;
export const C_MORE = 0x20;
export const C_FUNCTION = 0x1f;

/** Replies to a read: normal (0x91), normal with more frames (0xB1), abnormal (0xD1). */
export const REPLY_READ = 0x91;
export const REPLY_READ_MORE = 0xb1;
export const REPLY_READ_ABNORMAL = 0xd1;

export interface Dlt645Frame {
  /** 12 characters, most significant digit first; 'A' nibbles are wildcards */
  address: string;
  control: number;
  /** DATA as meant (the 0x33 already removed) */
  data: Buffer;
}

const ADDRESS_RE = /^(?:[0-9]{2}|AA)+$/;

/** `202107072529` → `29 25 07 07 21 20`. Accepts 12 digits, `AA` wildcard bytes, or 99…99. */
export function encodeAddress(address: string): Buffer {
  const a = address.toUpperCase();
  if (a.length !== 12 || !ADDRESS_RE.test(a)) {
    throw new Dlt645Error(`bad address "${address}": expected 12 digits (AA for a wildcard byte)`, 'usage');
  }
  return Buffer.from(a, 'hex').reverse();
}

/** The 6 address bytes as sent (lowest first) → 12 characters, most significant first. */
export function decodeAddress(bytes: Buffer): string {
  return Buffer.from(bytes.subarray(0, 6)).reverse().toString('hex').toUpperCase();
}

export function isValidAddress(address: string): boolean {
  const a = address.toUpperCase();
  return a.length === 12 && ADDRESS_RE.test(a);
}

export function checksum(bytes: Buffer, from = 0, to = bytes.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += bytes[i]!;
  return sum & 0xff;
}

/** One frame on the wire, with the FE preamble unless `preamble` is false. */
export function encodeFrame(frame: Dlt645Frame, opts: { preamble?: boolean } = {}): Buffer {
  const { data } = frame;
  if (data.length > MAX_DATA_LENGTH) throw new Dlt645Error(`data of ${data.length} bytes is over the ${MAX_DATA_LENGTH} a frame can carry`, 'usage');
  const body = Buffer.alloc(FRAME_OVERHEAD + data.length);
  body[0] = START;
  encodeAddress(frame.address).copy(body, 1);
  body[7] = START;
  body[8] = frame.control & 0xff;
  body[9] = data.length;
  for (let i = 0; i < data.length; i++) body[10 + i] = (data[i]! + 0x33) & 0xff;
  body[10 + data.length] = checksum(body, 0, 10 + data.length);
  body[11 + data.length] = END;
  return opts.preamble === false ? body : Buffer.concat([PREAMBLE, body]);
}

/**
 * A complete frame starting with 68 (no preamble) → its parts. Throws on a bad
 * header, length, checksum or end byte; `scanFrames` never hands such a frame out.
 */
export function decodeFrame(bytes: Buffer): Dlt645Frame {
  const len = completeFrameLength(bytes, 0);
  if (len <= 0) throw new Dlt645Error(`not a DL/T 645 frame: ${bytes.toString('hex')}`, 'protocol');
  const data = Buffer.alloc(bytes[9]!);
  for (let i = 0; i < data.length; i++) data[i] = (bytes[10 + i]! - 0x33) & 0xff;
  return { address: decodeAddress(bytes.subarray(1, 7)), control: bytes[8]!, data };
}

/**
 * Length of a valid complete frame at `at` (68 … 68 C L … CS 16 with a good CS),
 * 0 when the bytes there cannot be one, -1 when they could but more are needed.
 */
function completeFrameLength(rx: Buffer, at: number): number {
  const avail = rx.length - at;
  if (avail < 1 || rx[at] !== START) return 0;
  if (avail < 8) return -1;
  if (rx[at + 7] !== START) return 0;
  if (avail < 10) return -1;
  const l = rx[at + 9]!;
  if (l > MAX_DATA_LENGTH) return 0;
  const total = FRAME_OVERHEAD + l;
  if (avail < total) return -1;
  if (rx[at + total - 1] !== END) return 0;
  if (checksum(rx, at, at + total - 2) !== rx[at + total - 2]) return 0;
  return total;
}

/** Is there a valid complete frame starting at some 68 in rx[from..]? Its offset, or -1. */
function laterFrame(rx: Buffer, from: number): number {
  for (let i = rx.indexOf(START, from); i >= 0; i = rx.indexOf(START, i + 1)) {
    if (completeFrameLength(rx, i) > 0) return i;
  }
  return -1;
}

/** `end` moved back over the FE run before it (never below 1): those bytes are a preamble. */
function beforePreamble(rx: Buffer, end: number): number {
  while (end > 1 && rx[end - 1] === PREAMBLE_BYTE) end--;
  return end;
}

/**
 * Finds the next well-formed DL/T 645 frame at the start of `rx`, whoever it is for:
 * FE preamble bytes are skipped as 'preamble', anything else before a 68 as 'garbage',
 * a frame with a wrong CS as 'checksum'. A 68 that turns out not to start a frame
 * (no second 68 at +7, L over 200, no 16 at the end) is skipped as 'garbage'; so is a
 * plausible but incomplete header when a complete valid frame already follows it, so
 * a stray 68 in line noise cannot make the reader wait for bytes that never come.
 */
export function scanFrame(rx: Buffer): FrameScan {
  if (rx.length === 0) return { need: 'more' };
  if (rx[0] !== START) {
    let n = 0;
    while (n < rx.length && rx[n] === PREAMBLE_BYTE) n++;
    if (n > 0) return { skip: n, reason: 'preamble' };
    // up to the FE run before the next 68 (or before the end: a preamble may be arriving)
    const next = rx.indexOf(START);
    return { skip: beforePreamble(rx, next < 0 ? rx.length : next), reason: 'garbage' };
  }
  const len = completeFrameLength(rx, 0);
  if (len > 0) return { frame: rx.subarray(0, len) };
  if (len < 0) {
    // still incomplete: wait, unless a complete frame already follows (then this 68 was noise)
    const later = laterFrame(rx, 1);
    return later > 0 ? { skip: beforePreamble(rx, later), reason: 'garbage' } : { need: 'more' };
  }
  // a header that parses but fails its end byte or checksum?
  const l = rx.length >= 10 ? rx[9]! : 0;
  const total = FRAME_OVERHEAD + l;
  const headerOk = rx.length >= 10 && rx[7] === START && l <= MAX_DATA_LENGTH && rx.length >= total;
  if (headerOk && rx[total - 1] === END) {
    const later = laterFrame(rx, 1);
    if (later > 0 && later < total) return { skip: beforePreamble(rx, later), reason: 'garbage' };
    return { skip: total, reason: 'checksum' };
  }
  return { skip: 1, reason: 'garbage' };
}

/** Are these two addresses the same meter, taking AA wildcard bytes in `wanted` into account? */
export function addressMatches(wanted: string, got: string): boolean {
  const w = wanted.toUpperCase();
  const g = got.toUpperCase();
  for (let i = 0; i < 12; i += 2) {
    const byte = w.slice(i, i + 2);
    if (byte !== 'AA' && byte !== g.slice(i, i + 2)) return false;
  }
  return true;
}

/**
 * The scanner for the reply to `request` (encoded without preamble in `requestBytes`):
 * frames of the request direction are skipped ('echo' when they are our own request,
 * else 'not-a-reply'), replies to another function ('wrong-function'), from another
 * meter ('wrong-address') or, for reads, for another DI ('wrong-di': typically the late
 * answer to an earlier request).
 */
export function replyScanner(request: Dlt645Frame): FrameScanner {
  const mine = encodeFrame(request, { preamble: false });
  const fn = request.control & C_FUNCTION;
  const di = fn === Fn.READ || fn === Fn.READ_FOLLOW_UP ? request.data.subarray(0, 4) : undefined;
  return (rx) => {
    const r = scanFrame(rx);
    if (!('frame' in r)) return r;
    const f = r.frame;
    const skip = f.length;
    const control = f[8]!;
    if (!(control & C_REPLY)) return { skip, reason: f.equals(mine) ? 'echo' : 'not-a-reply' };
    if ((control & C_FUNCTION) !== fn) return { skip, reason: 'wrong-function' };
    if (!addressMatches(request.address, decodeAddress(f.subarray(1, 7)))) return { skip, reason: 'wrong-address' };
    if (di && !(control & C_ABNORMAL)) {
      const l = f[9]!;
      if (l < 4) return { skip, reason: 'truncated' };
      for (let i = 0; i < 4; i++) if (((f[10 + i]! - 0x33) & 0xff) !== di[i]) return { skip, reason: 'wrong-di' };
    }
    return { frame: f };
  };
}
