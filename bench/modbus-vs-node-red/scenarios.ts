// What each client reads, in the same order: a list of reads of FC04 input
// registers from unit 1, cycled until the count is reached. `floats` are the
// register offsets (within the read) of float32 values to decode.
import { builtinProfiles } from '../../drivers/meter-protocols.ts';
import { planReads } from '../../drivers/modbus/plan.ts';

export interface Read {
  start: number;
  count: number;
  floats: number[];
}

export interface Scenario {
  name: string;
  what: string;
  reads: Read[];
}

export function scenarios(): Scenario[] {
  const sdm630 = builtinProfiles().get('sdm630')!;
  const plan = planReads(sdm630.points).map((b) => ({ start: b.start, count: b.count, floats: b.points.map((p) => p.register - b.start) }));
  const plain = (n: number): Scenario => ({ name: `plain-${n}`, what: `read ${n} input registers from 0, again and again (no decoding)`, reads: [{ start: 0, count: n, floats: [] }] });
  return [
    { name: 'sdm630', what: `SDM630 profile: ${sdm630.points.length} float32 points in ${plan.length} planned reads per poll (${plan.map((r) => `${r.start}+${r.count}`).join(', ')}), decoded`, reads: plan },
    plain(10),
    plain(125),
  ];
}
