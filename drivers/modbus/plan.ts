// The request planner: the fewest reads that cover the wanted points.
// Neighbouring points are merged into one read when the gap between them is at
// most `maxGap` registers and the read stays within `maxCount` (125 by the spec,
// less for meters that refuse large reads: see DeviceReadState).
import { registerCount, type ValueType } from './decode.ts';

export const MODBUS_MAX_REGISTERS = 125;

export interface PlannedPoint {
  name: string;
  register: number;
  type: ValueType;
}

export interface ReadBlock<P extends PlannedPoint = PlannedPoint> {
  start: number;
  count: number;
  points: P[];
}

/** What a reader learned about one device, kept by the caller across polls (one object per device). */
export interface DeviceReadState {
  /** the most registers the device answered in one read, learned after it refused a larger one with exception 02/03 */
  registerCap?: number;
  /** the same for coils and discrete inputs */
  bitCap?: number;
  /** addresses a read must not span, by function: learned where the device refused a read that was not too long (a gap in its map) */
  splits?: Partial<Record<string, number[]>>;
}

export function planReads<P extends PlannedPoint>(points: P[], maxGap = 8, maxCount = MODBUS_MAX_REGISTERS, splits: readonly number[] = []): ReadBlock<P>[] {
  const sorted = [...points].sort((a, b) => a.register - b.register);
  const blocks: ReadBlock<P>[] = [];
  let cur: ReadBlock<P> | undefined;
  for (const p of sorted) {
    const end = p.register + registerCount(p.type);
    if (end - p.register > maxCount) throw new RangeError(`point ${p.name} needs more than ${maxCount} registers`);
    const curEnd = cur ? cur.start + cur.count : 0;
    const crossesSplit = cur ? splits.some((at) => at > cur!.start && at <= p.register) : false;
    if (cur && !crossesSplit && p.register - curEnd <= maxGap && end - cur.start <= maxCount) {
      cur.count = Math.max(cur.count, end - cur.start);
      cur.points.push(p);
    } else {
      cur = { start: p.register, count: end - p.register, points: [p] };
      blocks.push(cur);
    }
  }
  return blocks;
}

/**
 * Splits a block the device refused into smaller ones, about half its size each.
 * Empty when it cannot be split (a single point, or points sharing registers).
 */
export function splitBlock<P extends PlannedPoint>(block: ReadBlock<P>): ReadBlock<P>[] {
  if (block.count < 2) return [];
  const largest = Math.max(...block.points.map((p) => registerCount(p.type)));
  const half = Math.max(largest, Math.floor(block.count / 2));
  if (half >= block.count) return [];
  return planReads(block.points, half, half);
}

/**
 * The cap to remember after one poll: the largest count that succeeded below the
 * smallest one refused, never above what was known before. Pass only refusals
 * longer than every read that succeeded (the others were gaps in the map).
 */
export function learnedCap(known: number | undefined, refused: number[], succeeded: number[]): number | undefined {
  if (!refused.length) return known;
  const limit = Math.min(...refused);
  const ok = succeeded.filter((n) => n < limit);
  if (!ok.length) return known;
  const cap = Math.max(...ok);
  return known === undefined ? cap : Math.min(known, cap);
}
