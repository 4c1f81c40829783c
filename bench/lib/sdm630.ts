// The SDM630 profile's points with plausible values, for the benchmarks' servers.
import { builtinProfiles } from '../../drivers/meter-protocols.ts';
import type { MeterProfile } from '../../drivers/modbus/profile.ts';

/** Plausible SDM630 values, by point name. */
export const SDM630_VALUES: Record<string, number> = {
  voltage_l1: 230.1, voltage_l2: 229.8, voltage_l3: 231.2, current_l1: 12.5, current_l2: 11.9, current_l3: 13.1,
  power_l1: 2820, power_l2: 2700, power_l3: 2990, power_total: 8510, power_factor: 0.98, frequency: 50.01,
  energy_import: 123456.7, energy_export: 12.5, energy_total: 123469.2,
};

export function sdm630Profile(): MeterProfile {
  const p = builtinProfiles().get('sdm630');
  if (!p) throw new Error('no sdm630 profile in drivers/modbus/profiles');
  return p;
}

/** register → float32 value, for every point of the profile */
export function sdm630Floats(): Record<number, number> {
  return Object.fromEntries(sdm630Profile().points.map((p) => [p.register, SDM630_VALUES[p.name] ?? 1]));
}

/** `size` input registers from address 0 as on the wire (float32 big-endian), zero where no point is. */
export function sdm630Registers(size = 400): Buffer {
  const regs = Buffer.alloc(size * 2);
  for (const [reg, value] of Object.entries(sdm630Floats())) regs.writeFloatBE(value, Number(reg) * 2);
  return regs;
}
