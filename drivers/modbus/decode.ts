// Register values ↔ numbers. Byte order names follow the usual convention for a
// 32-bit value with bytes A (most significant) to D: ABCD is big-endian, CDAB
// swaps the two 16-bit words, BADC swaps bytes in each word, DCBA is little-endian.
// 64-bit types extend the same rule to four words.

export const VALUE_TYPES = ['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];
export const BYTE_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

export function registerCount(type: ValueType): number {
  return type.endsWith('16') ? 1 : type.endsWith('32') ? 2 : 4;
}

/** Puts the bytes as they came off the wire into big-endian (ABCD…) order. */
function toBigEndian(raw: Buffer, order: ByteOrder): Buffer {
  const out = Buffer.from(raw);
  const words = raw.length / 2;
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const reverseWords = order === 'CDAB' || order === 'DCBA';
  for (let w = 0; w < words; w++) {
    const src = reverseWords ? words - 1 - w : w;
    const hi = raw[src * 2]!;
    const lo = raw[src * 2 + 1]!;
    out[w * 2] = swapBytes ? lo : hi;
    out[w * 2 + 1] = swapBytes ? hi : lo;
  }
  return out;
}

/** Decodes `registerCount(type)` registers (2 bytes each, as received) into a number. */
export function decodeValue(raw: Buffer, type: ValueType, order: ByteOrder = 'ABCD'): number {
  const need = registerCount(type) * 2;
  if (raw.length !== need) throw new RangeError(`${type} needs ${need} bytes, got ${raw.length}`);
  const be = toBigEndian(raw, order);
  switch (type) {
    case 'int16': return be.readInt16BE(0);
    case 'uint16': return be.readUInt16BE(0);
    case 'int32': return be.readInt32BE(0);
    case 'uint32': return be.readUInt32BE(0);
    case 'int64': return Number(be.readBigInt64BE(0));
    case 'uint64': return Number(be.readBigUInt64BE(0));
    case 'float32': return shortestFloat32(be.readFloatBE(0));
    case 'float64': return be.readDoubleBE(0);
  }
}

/** The shortest decimal that is the same float32: 230.39999389648438 → 230.4. */
function shortestFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let digits = 1; digits < 9; digits++) {
    const d = Number(x.toPrecision(digits));
    if (Math.fround(d) === x) return d;
  }
  return x;
}

/** Bits `from`…`to` (inclusive, 0 = least significant) of an integer register value. */
export function decodeBits(raw: Buffer, type: ValueType, order: ByteOrder, from: number, to: number): number {
  const need = registerCount(type) * 2;
  if (raw.length !== need) throw new RangeError(`${type} needs ${need} bytes, got ${raw.length}`);
  let u = 0n;
  for (const b of toBigEndian(raw, order)) u = (u << 8n) | BigInt(b);
  return Number((u >> BigInt(from)) & ((1n << BigInt(to - from + 1)) - 1n));
}

/** raw × scale + offset, dividing by a power of ten so that 2301 × 0.1 is 230.1, not 230.10000000000002. */
export function applyScale(raw: number, scale: number, offset: number): number {
  const inverse = 1 / scale;
  const divisor = Math.round(inverse);
  const scaled = scale < 1 && divisor > 1 && Math.abs(inverse - divisor) < 1e-9 * divisor ? raw / divisor : raw * scale;
  return offset ? scaled + offset : scaled;
}

/** The inverse of decodeValue: the bytes a device would send for `value`. */
export function encodeValue(value: number, type: ValueType, order: ByteOrder = 'ABCD'): Buffer {
  const be = Buffer.alloc(registerCount(type) * 2);
  switch (type) {
    case 'int16': be.writeInt16BE(Math.round(value)); break;
    case 'uint16': be.writeUInt16BE(Math.round(value)); break;
    case 'int32': be.writeInt32BE(Math.round(value)); break;
    case 'uint32': be.writeUInt32BE(Math.round(value)); break;
    case 'int64': be.writeBigInt64BE(BigInt(Math.round(value))); break;
    case 'uint64': be.writeBigUInt64BE(BigInt(Math.round(value))); break;
    case 'float32': be.writeFloatBE(value); break;
    case 'float64': be.writeDoubleBE(value); break;
  }
  // Every order is its own inverse, so converting back uses the same function.
  return toBigEndian(be, order);
}
