// Reads every point of a meter profile from one unit: plan, read, decode, scale.
// A failed read fails only the points it carries; the others are still returned.
import { decodeValue, registerCount } from './decode.ts';
import { planReads } from './plan.ts';
import type { MeterProfile } from './profile.ts';
import type { ModbusTcpClient } from './tcp-client.ts';

export interface MeterRead {
  values: Record<string, { value: number; unit: string }>;
  errors: Record<string, string>;
  /** bus transactions used */
  requests: number;
}

export async function readMeter(client: ModbusTcpClient, profile: MeterProfile, unit: number, maxGap = 8): Promise<MeterRead> {
  const out: MeterRead = { values: {}, errors: {}, requests: 0 };
  for (const block of planReads(profile.points, maxGap)) {
    out.requests += 1;
    let data: Buffer;
    try {
      data = await client.readRegisters(unit, profile.function, block.start, block.count);
    } catch (err) {
      for (const p of block.points) out.errors[p.name] = (err as Error).message;
      continue;
    }
    for (const p of block.points) {
      const at = (p.register - block.start) * 2;
      const raw = data.subarray(at, at + registerCount(p.type) * 2);
      const value = decodeValue(raw, p.type, p.order) * p.scale + p.offset;
      if (Number.isFinite(value)) out.values[p.name] = { value, unit: p.unit };
      else out.errors[p.name] = `not a number (raw ${raw.toString('hex')})`;
    }
  }
  return out;
}
