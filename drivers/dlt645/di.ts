// DL/T 645-2007 data identifiers (DI3 DI2 DI1 DI0, written most significant first,
// sent lowest byte first) and how their values are coded: packed BCD, lowest byte
// first, a fixed number of decimals, and for some the sign in the top bit of the most
// significant byte. Whether a DI is signed is a property of its entry (`signed`),
// since meters differ (DOMAIN.md marks it *check*); a point can override it.
import { Dlt645Error } from './errors.ts';

export interface DiFormat {
  /** 8 hex digits, DI3 first, upper case */
  di: string;
  name: string;
  /** '' for dimensionless values (power factor) */
  unit: string;
  /** bytes of one value */
  bytes: number;
  /** decimal places of the BCD digits, e.g. 2 for XXXXXX.XX */
  decimals: number;
  /** top bit of the most significant byte is the sign (1 = negative) (*check* per meter) */
  signed: boolean;
  /** a data block: any number of values of this format back to back (total, tariff 1, 2 …) */
  block?: boolean;
}

const energy = (di: string, name: string, block = false, signed = false): DiFormat => ({ di, name, unit: 'kWh', bytes: 4, decimals: 2, signed, ...(block ? { block } : {}) });
const voltage = (di: string, name: string): DiFormat => ({ di, name, unit: 'V', bytes: 2, decimals: 1, signed: false });
const current = (di: string, name: string): DiFormat => ({ di, name, unit: 'A', bytes: 3, decimals: 3, signed: true });
const power = (di: string, name: string): DiFormat => ({ di, name, unit: 'kW', bytes: 3, decimals: 4, signed: true });

export const DI_TABLE: readonly DiFormat[] = [
  // Combined active energy = forward − reverse (or their sum, per the meter's combination
  // word), so it can be negative: DL/T 645-2007 Appendix A gives it the sign in the top bit
  // of the highest byte (DOMAIN.md "Corrections and additions", standards review 2026-12-07).
  energy('00000000', 'combined active energy, total', false, true),
  energy('00010000', 'forward active energy, total'),
  energy('00020000', 'reverse active energy, total'),
  energy('0000FF00', 'combined active energy block (total, tariff 1…n)', true, true),
  energy('0001FF00', 'forward active energy block (total, tariff 1…n)', true),
  energy('0002FF00', 'reverse active energy block (total, tariff 1…n)', true),
  voltage('02010100', 'phase A voltage'),
  voltage('02010200', 'phase B voltage'),
  voltage('02010300', 'phase C voltage'),
  current('02020100', 'phase A current'),
  current('02020200', 'phase B current'),
  current('02020300', 'phase C current'),
  power('02030000', 'total active power'),
  power('02030100', 'phase A active power'),
  power('02030200', 'phase B active power'),
  power('02030300', 'phase C active power'),
  { di: '02060000', name: 'total power factor', unit: '', bytes: 2, decimals: 3, signed: true },
  { di: '02800002', name: 'grid frequency', unit: 'Hz', bytes: 2, decimals: 2, signed: false },
];

const BY_DI = new Map(DI_TABLE.map((f) => [f.di, f]));

export function diFormat(di: string): DiFormat | undefined {
  return BY_DI.get(di.toUpperCase());
}

export function isValidDi(di: string): boolean {
  return /^[0-9a-fA-F]{8}$/.test(di);
}

/** `02010100` → `00 01 01 02` (lowest byte first, as sent). */
export function encodeDi(di: string): Buffer {
  if (!isValidDi(di)) throw new Dlt645Error(`bad DI "${di}": expected 8 hex digits`, 'usage');
  return Buffer.from(di, 'hex').reverse();
}

/** 4 DI bytes as sent → `DI3DI2DI1DI0`, upper case. */
export function decodeDi(bytes: Buffer): string {
  return Buffer.from(bytes.subarray(0, 4)).reverse().toString('hex').toUpperCase();
}

/** Hex of data as the digits read: most significant byte first. */
export function rawHex(data: Buffer): string {
  return Buffer.from(data).reverse().toString('hex').toUpperCase();
}

/**
 * One BCD value, lowest byte first, as an integer of its digits (decimals not applied).
 * With `signed`, bit 7 of the most significant byte is the sign and not a digit.
 * Returns undefined when a nibble is not a decimal digit.
 */
export function decodeBcd(bytes: Buffer, signed: boolean): number | undefined {
  let n = 0;
  let negative = false;
  for (let i = bytes.length - 1; i >= 0; i--) {
    let b = bytes[i]!;
    if (signed && i === bytes.length - 1) {
      negative = (b & 0x80) !== 0;
      b &= 0x7f;
    }
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) return undefined;
    n = n * 100 + hi * 10 + lo;
  }
  return negative && n !== 0 ? -n : n;
}

/** Inverse of decodeBcd (for tests and simulators): integer → `bytes` BCD bytes, lowest first. */
export function encodeBcd(n: number, bytes: number, signed: boolean): Buffer {
  const out = Buffer.alloc(bytes);
  let m = Math.abs(Math.round(n));
  for (let i = 0; i < bytes; i++) {
    const two = m % 100;
    out[i] = ((Math.floor(two / 10) << 4) | (two % 10)) & 0xff;
    m = Math.floor(m / 100);
  }
  if (m > 0 || (signed && out[bytes - 1]! >= 0x80)) throw new RangeError(`${n} does not fit ${bytes} BCD bytes`);
  if (signed && n < 0) out[bytes - 1]! |= 0x80;
  return out;
}

export interface DecodedValue {
  value: number;
  /** every value of a block DI, in order (the first is `value`) */
  elements?: number[];
}

/** The data after the DI of a reply → its value(s). Throws Dlt645Error naming the DI. */
export function decodeValue(format: DiFormat, data: Buffer): DecodedValue {
  const what = `${format.di} (${format.name})`;
  const n = format.block ? Math.floor(data.length / format.bytes) : 1;
  if (data.length !== n * format.bytes || n === 0) {
    const expected = format.block ? `a multiple of ${format.bytes}` : `${format.bytes}`;
    throw new Dlt645Error(`${what}: ${data.length} data bytes, expected ${expected}; raw ${rawHex(data) || '(none)'}`, 'format', { di: format.di, raw: rawHex(data) });
  }
  const scale = 10 ** format.decimals;
  const elements: number[] = [];
  for (let i = 0; i < n; i++) {
    const part = data.subarray(i * format.bytes, (i + 1) * format.bytes);
    const int = decodeBcd(part, format.signed);
    if (int === undefined) {
      throw new Dlt645Error(`${what}: invalid BCD digit in ${rawHex(part)}`, 'format', { di: format.di, raw: rawHex(data) });
    }
    elements.push(int / scale);
  }
  return format.block ? { value: elements[0]!, elements } : { value: elements[0]! };
}
