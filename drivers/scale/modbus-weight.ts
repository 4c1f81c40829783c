// A Modbus weight transmitter's registers → a ScaleReading. The register map is
// configuration: net and/or gross weight (type, byte order, grams per count) and
// a status word with bits for stable (or motion), overload, underload and net.
import { decodeBits, decodeValue, registerCount, type ByteOrder, type ValueType } from '../modbus/decode.ts';
import type { ScaleReading } from './reading.ts';

export interface WeightRegister {
  /** 0-based PDU address (holding register 40001 is 0) */
  address: number;
  type: Extract<ValueType, 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32'>;
  order: ByteOrder;
  /** grams per count: raw × scale = grams */
  scale: number;
}

export interface StatusRegister {
  address: number;
  type: 'uint16' | 'uint32';
  order: ByteOrder;
  stable_bit?: number;
  motion_bit?: number;
  overload_bit?: number;
  underload_bit?: number;
  net_bit?: number;
}

export interface WeightRegisterMap {
  unit_id: number;
  function: 'holding' | 'input';
  net?: WeightRegister;
  gross?: WeightRegister;
  status?: StatusRegister;
}

export interface RegisterBlock {
  start: number;
  count: number;
}

/** Registers near each other are read together (gap ≤ 8, ≤ 125 registers). */
export function planWeightReads(map: WeightRegisterMap): RegisterBlock[] {
  const spans = [map.net, map.gross, map.status]
    .filter((r): r is WeightRegister | StatusRegister => r !== undefined)
    .map((r) => ({ start: r.address, end: r.address + registerCount(r.type) }))
    .sort((a, b) => a.start - b.start);
  const blocks: { start: number; end: number }[] = [];
  for (const s of spans) {
    const last = blocks[blocks.length - 1];
    if (last && s.start <= last.end + 8 && Math.max(last.end, s.end) - last.start <= 125) last.end = Math.max(last.end, s.end);
    else blocks.push({ ...s });
  }
  return blocks.map((b) => ({ start: b.start, count: b.end - b.start }));
}

/** Whether the map gives a stable flag (a status word with stable_bit or motion_bit). */
export function hasStableBit(map: WeightRegisterMap): boolean {
  return map.status !== undefined && (map.status.stable_bit !== undefined || map.status.motion_bit !== undefined);
}

function slice(blocks: { start: number; data: Buffer }[], address: number, type: ValueType): Buffer {
  const words = registerCount(type);
  for (const b of blocks) {
    const off = address - b.start;
    if (off >= 0 && (off + words) * 2 <= b.data.length) return b.data.subarray(off * 2, (off + words) * 2);
  }
  throw new RangeError(`register ${address} was not read`);
}

function grams(reg: WeightRegister, raw: Buffer): number {
  const v = decodeValue(raw, reg.type, reg.order) * reg.scale;
  // 0.1 g counts: 3451 × 0.1 = 345.1, not 345.09999999999997
  return Number.isFinite(v) ? Number(v.toFixed(6)) : v;
}

/** Decodes the blocks read (as returned by readRegisters) into a reading; undefined when a value is not a number. */
export function decodeWeight(map: WeightRegisterMap, blocks: { start: number; data: Buffer }[]): ScaleReading | undefined {
  const net = map.net ? grams(map.net, slice(blocks, map.net.address, map.net.type)) : undefined;
  const gross = map.gross ? grams(map.gross, slice(blocks, map.gross.address, map.gross.type)) : undefined;
  const value = net ?? gross;
  if (value === undefined || !Number.isFinite(value)) return undefined;
  const st = map.status;
  const bit = (n: number | undefined): boolean | undefined => (st === undefined || n === undefined ? undefined : decodeBits(slice(blocks, st.address, st.type), st.type, st.order, n, n) === 1);
  const stableBit = bit(st?.stable_bit);
  const motionBit = bit(st?.motion_bit);
  const netBit = bit(st?.net_bit);
  const isNet = netBit ?? (net !== undefined && gross !== undefined && net !== gross);
  const raw = blocks.map((b) => `${map.function} ${b.start}: ${b.data.toString('hex').replace(/(.{4})(?!$)/g, '$1 ')}`).join('; ');
  return {
    grams: Object.is(value, -0) ? 0 : value,
    stable: stableBit ?? (motionBit === undefined ? false : !motionBit),
    net: isNet,
    overload: bit(st?.overload_bit) ?? false,
    underload: bit(st?.underload_bit) ?? false,
    raw: `unit ${map.unit_id} ${raw}`,
    ...(isNet && net !== undefined && gross !== undefined ? { tare: Number((gross - net).toFixed(6)) } : {}),
  };
}
