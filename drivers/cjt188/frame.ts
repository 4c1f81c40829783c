// CJ/T 188-2004 frames (household water, gas and heat meters on M-Bus / RS-485):
// `[FE …] 68 T A0..A6 C L DATA CS 16`. Unlike DL/T 645 there is one 68, a meter type
// byte T (10H cold water, 11H hot water, 30H gas …), a 7-byte address (14 BCD digits,
// A0 = lowest byte first) and DATA sent as is (no +33H). CS is the byte sum mod 256
// from the 68 to the byte before CS. Source: CJ/T 188-2004 §5 (frame), Table 3
// (control code), Table 6 (DI 901FH); DOMAIN.md "CJ/T 188 water meters" worked example.
import type { FrameScan, FrameScanner } from '../serial/shared-bus.ts';
import { Cjt188Error } from './errors.ts';

export const START = 0x68;
export const END = 0x16;
export const PREAMBLE_BYTE = 0xfe;
/** sent before every request (wakes up M-Bus / RS-485 receivers) */
export const PREAMBLE = Buffer.from([0xfe, 0xfe, 0xfe, 0xfe]);
/** any meter: the address used to read the address of a lone meter */
export const BROADCAST_ADDRESS = 'AAAAAAAAAAAAAA';
/** 68 T A0..A6 C L … CS 16 */
export const FRAME_OVERHEAD = 13;
export const MAX_DATA_LENGTH = 100;

/** Meter types (T) of CJ/T 188-2004 Table 1. */
export const METER_TYPES: Record<string, string> = {
  '10': 'cold water',
  '11': 'hot water',
  '12': 'drinking water',
  '13': 'reclaimed water',
  '20': 'heat (heating)',
  '21': 'heat (cooling)',
  '30': 'gas',
  '40': 'electricity',
};
/** any type: with the broadcast address, reaches whatever meter is on the line */
export const ANY_TYPE = 0xaa;

/** Control codes (C) of requests; a reply sets bit 7, an abnormal reply bit 6 too. */
export const Fn = { READ_DATA: 0x01, READ_ADDRESS: 0x03 } as const;
export const C_REPLY = 0x80;
export const C_ABNORMAL = 0x40;
export const C_FUNCTION = 0x3f;

/** Data identifiers, as written (DI1 DI0); sent DI0 first. */
export const DI_METER_DATA = '901F';
export const DI_READ_ADDRESS = '810A';

export interface Cjt188Frame {
  /** meter type T, e.g. 0x10 cold water */
  type: number;
  /** 14 characters, most significant digit first; 'AA' bytes are wildcards */
  address: string;
  control: number;
  data: Buffer;
}

const ADDRESS_RE = /^(?:[0-9]{2}|AA)+$/;

export function isValidAddress(address: string): boolean {
  const a = address.toUpperCase();
  return a.length === 14 && ADDRESS_RE.test(a);
}

/** `78330011223344` → `44 33 22 11 00 33 78` (A0 first). */
export function encodeAddress(address: string): Buffer {
  if (!isValidAddress(address)) throw new Cjt188Error(`bad address "${address}": expected 14 digits (AA for a wildcard byte)`, 'usage');
  return Buffer.from(address.toUpperCase(), 'hex').reverse();
}

export function decodeAddress(bytes: Buffer): string {
  return Buffer.from(bytes.subarray(0, 7)).reverse().toString('hex').toUpperCase();
}

export function checksum(bytes: Buffer, from = 0, to = bytes.length): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += bytes[i]!;
  return sum & 0xff;
}

/** `901F` → `1F 90`. */
export function encodeDi(di: string): Buffer {
  return Buffer.from(di, 'hex').reverse();
}

export function decodeDi(bytes: Buffer): string {
  return Buffer.from(bytes.subarray(0, 2)).reverse().toString('hex').toUpperCase();
}

export function encodeFrame(frame: Cjt188Frame, opts: { preamble?: boolean } = {}): Buffer {
  const { data } = frame;
  if (data.length > MAX_DATA_LENGTH) throw new Cjt188Error(`data of ${data.length} bytes is over the ${MAX_DATA_LENGTH} a frame carries`, 'usage');
  const body = Buffer.alloc(FRAME_OVERHEAD + data.length);
  body[0] = START;
  body[1] = frame.type & 0xff;
  encodeAddress(frame.address).copy(body, 2);
  body[9] = frame.control & 0xff;
  body[10] = data.length;
  data.copy(body, 11);
  body[11 + data.length] = checksum(body, 0, 11 + data.length);
  body[12 + data.length] = END;
  return opts.preamble === false ? body : Buffer.concat([PREAMBLE, body]);
}

/** Length of a valid frame at `at`; 0 when the bytes there cannot be one, −1 when more are needed. */
function completeFrameLength(rx: Buffer, at: number): number {
  const avail = rx.length - at;
  if (avail < 1 || rx[at] !== START) return 0;
  if (avail < 11) return -1;
  const l = rx[at + 10]!;
  if (l > MAX_DATA_LENGTH) return 0;
  const total = FRAME_OVERHEAD + l;
  if (avail < total) return -1;
  if (rx[at + total - 1] !== END) return 0;
  if (checksum(rx, at, at + total - 2) !== rx[at + total - 2]) return 0;
  return total;
}

export function decodeFrame(bytes: Buffer): Cjt188Frame {
  if (completeFrameLength(bytes, 0) <= 0) throw new Cjt188Error(`not a CJ/T 188 frame: ${bytes.toString('hex')}`, 'protocol');
  return { type: bytes[1]!, address: decodeAddress(bytes.subarray(2, 9)), control: bytes[9]!, data: Buffer.from(bytes.subarray(11, 11 + bytes[10]!)) };
}

function laterFrame(rx: Buffer, from: number): number {
  for (let i = rx.indexOf(START, from); i >= 0; i = rx.indexOf(START, i + 1)) if (completeFrameLength(rx, i) > 0) return i;
  return -1;
}

/**
 * The next well-formed frame at the start of `rx`: FE bytes skipped as 'preamble',
 * other bytes before a 68 as 'garbage', a frame with a wrong CS as 'checksum'. An
 * incomplete header followed by a complete frame is noise ('garbage'), so a stray 68
 * cannot make the reader wait for bytes that never come.
 */
export function scanFrame(rx: Buffer): FrameScan {
  if (rx.length === 0) return { need: 'more' };
  if (rx[0] !== START) {
    let n = 0;
    while (n < rx.length && rx[n] === PREAMBLE_BYTE) n++;
    if (n > 0) return { skip: n, reason: 'preamble' };
    const next = rx.indexOf(START);
    let end = next < 0 ? rx.length : next;
    while (end > 1 && rx[end - 1] === PREAMBLE_BYTE) end--;
    return { skip: end, reason: 'garbage' };
  }
  const len = completeFrameLength(rx, 0);
  if (len > 0) return { frame: rx.subarray(0, len) };
  const later = laterFrame(rx, 1);
  if (len < 0) return later > 0 ? { skip: later, reason: 'garbage' } : { need: 'more' };
  const l = rx.length >= 11 ? rx[10]! : 0;
  const total = FRAME_OVERHEAD + l;
  if (rx.length >= total && l <= MAX_DATA_LENGTH && rx[total - 1] === END && !(later > 0 && later < total)) return { skip: total, reason: 'checksum' };
  return { skip: later > 0 ? later : 1, reason: 'garbage' };
}

function addressMatches(wanted: string, got: string): boolean {
  for (let i = 0; i < 14; i += 2) {
    const byte = wanted.slice(i, i + 2).toUpperCase();
    if (byte !== 'AA' && byte !== got.slice(i, i + 2)) return false;
  }
  return true;
}

/**
 * The scanner for the reply to `request`: request-direction frames are skipped
 * ('echo' for our own), replies to another function ('wrong-function'), from another
 * meter or type ('wrong-address'), for another DI or sequence number SER ('late':
 * the answer to an earlier request). Frames of other protocols on a shared line
 * (DL/T 645's second 68, Modbus RTU bytes) fail the CS or length and are skipped.
 */
export function replyScanner(request: Cjt188Frame): FrameScanner {
  const mine = encodeFrame(request, { preamble: false });
  const fn = request.control & C_FUNCTION;
  const diSer = request.data.subarray(0, 3);
  return (rx) => {
    const r = scanFrame(rx);
    if (!('frame' in r)) return r;
    const f = r.frame;
    const skip = f.length;
    const control = f[9]!;
    if (!(control & C_REPLY)) return { skip, reason: f.equals(mine) ? 'echo' : 'not-a-reply' };
    if ((control & C_FUNCTION) !== fn) return { skip, reason: 'wrong-function' };
    if ((request.type !== ANY_TYPE && f[1] !== request.type) || !addressMatches(request.address, decodeAddress(f.subarray(2, 9)))) return { skip, reason: 'wrong-address' };
    // a normal reply starts with our DI and SER; an abnormal one may carry only SER + status
    const data = f.subarray(11, f.length - 2);
    if (!(control & C_ABNORMAL) && data.length >= 3 && !data.subarray(0, 3).equals(diSer)) return { skip, reason: 'late' };
    return r;
  };
}
