// The Toledo 8217 ("ECR") protocol of METTLER TOLEDO checkout scales, also spoken
// by many POS scales in "8217 mode". Typically 9600 baud 7E1. The host sends one
// character (or a short command ending in CR); the scale answers STX … CR:
//
//   W  → STX 0.345 CR           weight in kg (STX 00.345 CR: leading zeros are not always suppressed);
//        STX 0.345N CR          net weight (a tare is active)
//        STX ? s CR             status byte instead, when the scale is in motion, over capacity,
//                               under zero (negative) or has a zero error
//   Z  → STX ? s CR             zero (taken when stable and within the zero range)
//   T CR → STX ? s CR           tare the item on the platter
//   Twwwww CR → STX ? s CR      preset (digital) tare, five digits: WW.WWW kg, i.e. grams
//   C  → STX ? s CR             clear tare
//   S  → STX ? s CR             status only
//
// Status byte bits as implemented here (*check* against the scale's manual: the
// DIVA / 8217 documents agree on these, other "8217 compatible" scales differ):
//   bit 0  1 = scale in motion                      *check*
//   bit 1  1 = over capacity                        *check*
//   bit 2  1 = under zero (negative weight)         *check*
//   bit 3  1 = outside the zero capture range       *check*
//   bit 4  1 = at centre of zero                    *check*
//   bit 5  1 = net weight (tare active)             *check*
//   bit 6  always 1 (so the byte is printable: '@' = all clear)
//   bit 7  parity (not seen with 7 data bits)
import type { ScaleReading } from './reading.ts';
import { toGrams } from './units.ts';

export const STX = '\x02';
export const CR = '\r';

export interface ToledoStatus {
  byte: number;
  motion: boolean;
  overCapacity: boolean;
  underZero: boolean;
  outsideZeroRange: boolean;
  centreOfZero: boolean;
  net: boolean;
}

export type ToledoFrame =
  | { kind: 'weight'; grams: number; net: boolean; raw: string }
  | { kind: 'status'; status: ToledoStatus; raw: string };

export function decodeToledoStatus(byte: number): ToledoStatus {
  return {
    byte,
    motion: (byte & 0x01) !== 0,
    overCapacity: (byte & 0x02) !== 0,
    underZero: (byte & 0x04) !== 0,
    outsideZeroRange: (byte & 0x08) !== 0,
    centreOfZero: (byte & 0x10) !== 0,
    net: (byte & 0x20) !== 0,
  };
}

/** The status byte for these flags (for simulators and tests). */
export function encodeToledoStatus(s: Partial<Omit<ToledoStatus, 'byte'>>): number {
  return 0x40 | (s.motion ? 0x01 : 0) | (s.overCapacity ? 0x02 : 0) | (s.underZero ? 0x04 : 0) | (s.outsideZeroRange ? 0x08 : 0) | (s.centreOfZero ? 0x10 : 0) | (s.net ? 0x20 : 0);
}

export function describeToledoStatus(s: ToledoStatus): string {
  const flags = [
    s.motion && 'in motion',
    s.overCapacity && 'over capacity',
    s.underZero && 'under zero',
    s.outsideZeroRange && 'outside the zero range',
    s.centreOfZero && 'at centre of zero',
    s.net && 'net',
  ].filter(Boolean);
  return `status 0x${s.byte.toString(16).padStart(2, '0')} (${flags.length ? flags.join(', ') : 'no flags'})`;
}

const WEIGHT = /^\x02\s*(\d+(?:\.\d+)?)\s*(N)?$/;
const STATUS = /^\x02\?([\x40-\x7f])$/;

/** Parses one frame (STX … without its CR); undefined when it is not a Toledo frame. */
export function parseToledoFrame(frame: string, unit: 'kg' | 'g' = 'kg'): ToledoFrame | undefined {
  const s = STATUS.exec(frame);
  if (s) return { kind: 'status', status: decodeToledoStatus(s[1]!.charCodeAt(0)), raw: frame };
  const w = WEIGHT.exec(frame);
  if (!w) return undefined;
  const grams = toGrams(w[1]!, unit);
  if (grams === undefined) return undefined;
  return { kind: 'weight', grams, net: w[2] === 'N', raw: frame };
}

/** The frame as a reading: a weight frame is stable (the scale sends weight only then); a status frame has no weight. */
export function toledoReading(f: ToledoFrame): ScaleReading {
  if (f.kind === 'weight') return { grams: f.grams, stable: true, net: f.net, overload: false, underload: false, raw: f.raw };
  const s = f.status;
  return { grams: 0, stable: false, net: s.net, overload: s.overCapacity, underload: s.underZero, raw: f.raw, noWeight: true };
}

/** The preset tare command: T and five digits of grams (WW.WWW kg). */
export function toledoPresetTare(grams: number): string {
  if (!Number.isInteger(grams) || grams < 0 || grams > 99_999) throw new RangeError(`preset tare ${grams} g: the Toledo protocol sends 0…99999 whole grams`);
  return `T${String(grams).padStart(5, '0')}${CR}`;
}
