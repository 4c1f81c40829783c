// The request planner: the fewest register reads that cover the wanted points.
// Neighbouring points are merged into one read when the gap between them is at
// most `maxGap` registers and the read stays within `maxCount` (125 by the spec,
// less for meters that refuse large reads).
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

export function planReads<P extends PlannedPoint>(points: P[], maxGap = 8, maxCount = MODBUS_MAX_REGISTERS): ReadBlock<P>[] {
  const sorted = [...points].sort((a, b) => a.register - b.register);
  const blocks: ReadBlock<P>[] = [];
  let cur: ReadBlock<P> | undefined;
  for (const p of sorted) {
    const end = p.register + registerCount(p.type);
    if (end - p.register > maxCount) throw new RangeError(`point ${p.name} needs more than ${maxCount} registers`);
    const curEnd = cur ? cur.start + cur.count : 0;
    if (cur && p.register - curEnd <= maxGap && end - cur.start <= maxCount) {
      cur.count = Math.max(cur.count, end - cur.start);
      cur.points.push(p);
    } else {
      cur = { start: p.register, count: end - p.register, points: [p] };
      blocks.push(cur);
    }
  }
  return blocks;
}
