// Meters seeded into the Python peers and the values a reader must get back.
// The peers encode the raw values themselves (struct), so our encoder is not
// part of the check.
import { shippedProfiles, validateProfile } from '../../drivers/meter-protocols.ts';
import { isModbusProfile, type MeterProfile } from '../../drivers/modbus/profile.ts';
import type { UnitSpec, Units } from './modbus.ts';

const shipped = shippedProfiles();
export const profile = (name: string): MeterProfile => {
  const p = shipped.get(name);
  if (!p || !isModbusProfile(p)) throw new Error(`no Modbus profile ${name}`);
  return p;
};

function inline(doc: unknown): MeterProfile {
  const r = validateProfile(doc);
  if (!r.ok || !isModbusProfile(r.profile)) throw new Error(`bad test profile: ${JSON.stringify(r)}`);
  return r.profile;
}

export interface Seeded {
  profile: MeterProfile;
  unit: UnitSpec;
  expected: Record<string, number>;
  /** requests for one read with no refusals */
  requests: number;
}

/** Registers for each point of `p` from raw values (before scale), plus zero-filled ranges. */
export function seed(p: MeterProfile, raw: Record<string, number>, fill: [number, number][] = []): UnitSpec {
  const spec: UnitSpec = {};
  for (const [from, to] of fill) (spec[p.function as 'input' | 'holding'] ??= []).push({ addr: from, regs: Array(to - from).fill(0) });
  for (const point of p.points) {
    const fn = point.function;
    if (fn === 'coils' || fn === 'discrete') (spec[fn] ??= []).push({ addr: point.register, bits: [raw[point.name] ? 1 : 0] });
    else (spec[fn] ??= []).push({ addr: point.register, type: point.type, order: point.order, value: raw[point.name]! });
  }
  for (const [r, reg] of Object.entries(p.ratios ?? {})) {
    const value = raw[`ratio_${r}`];
    if (reg && value !== undefined) (spec[p.function as 'input' | 'holding'] ??= []).push({ addr: reg.register, type: reg.type, order: reg.order, value });
  }
  return spec;
}

const sdm630Values = {
  voltage_l1: 230.4, voltage_l2: 231.5, voltage_l3: 229.9,
  current_l1: 10.25, current_l2: 11.5, current_l3: 9.75,
  power_l1: 2360.1, power_l2: 2648.2, power_l3: 2241.5, power_total: 7249.8,
  power_factor: 0.93, frequency: 50.02,
  energy_import: 12345.67, energy_export: 1.5, energy_total: 12347.17,
};
export const SDM630: Seeded = {
  profile: profile('sdm630'),
  unit: seed(profile('sdm630'), sdm630Values, [[0, 0x4c], [0x156, 0x158]]),
  expected: sdm630Values,
  requests: 3,
};

/**
 * A DTSU666 behind 200/5 A current transformers: IrAt 40 at 0006H, UrAt 10 (×0.1 = 1.0) at
 * 0007H. Every quantity on the bus is secondary (CHINT quick manual, 2016): currents,
 * power and energy come back × 40, voltages × 1.
 */
export const DTSU666: Seeded = {
  profile: profile('dtsu666'),
  unit: seed(profile('dtsu666'), {
    voltage_l1: 2301, voltage_l2: 2298, voltage_l3: 2310,
    current_l1: 15230, current_l2: 14870, current_l3: 16010,
    power_total: 105432, energy_import: 8765.43,
    ratio_current: 40, ratio_voltage: 10,
  }),
  expected: {
    voltage_l1: 230.1, voltage_l2: 229.8, voltage_l3: 231,
    current_l1: 609.2, current_l2: 594.8, current_l3: 640.4,
    power_total: 421728, energy_import: 350617.2,
    ratio_current: 40, ratio_voltage: 1,
  },
  requests: 3,
};

export const WATER: Seeded = {
  profile: profile('water-modbus-generic'),
  unit: {
    holding: [
      { addr: 0, type: 'uint32', order: 'CDAB', value: 1234567 },
      { addr: 2, type: 'uint32', order: 'CDAB', value: 2500 },
      { addr: 4, regs: [0b10] },
    ],
  },
  expected: { volume_total: 1234.567, flow_rate: 2.5, alarm_low_battery: 0, alarm_reverse_flow: 1 },
  requests: 1,
};

const pt = (name: string, register: number, extra: Record<string, unknown>) => ({ name, unit: '', kind: 'instantaneous', register, ...extra });
const mixed = inline({
  name: 'site-mixed',
  description: 'every value type and order, bit fields, coils and discrete inputs',
  source: 'test',
  function: 'holding',
  points: [
    pt('t_int16', 0x10, { type: 'int16', scale: 0.1 }),
    pt('e_uint16', 0x11, { type: 'uint16' }),
    pt('i32_badc', 0x12, { type: 'int32', order: 'BADC' }),
    pt('u32_dcba', 0x14, { type: 'uint32', order: 'DCBA' }),
    pt('i64_cdab', 0x16, { type: 'int64', order: 'CDAB' }),
    pt('u64_abcd', 0x1a, { type: 'uint64' }),
    pt('f32_badc', 0x1e, { type: 'float32', order: 'BADC' }),
    pt('f32_dcba', 0x20, { type: 'float32', order: 'DCBA' }),
    pt('f64_cdab', 0x22, { type: 'float64', order: 'CDAB' }),
    pt('f64_dcba', 0x26, { type: 'float64', order: 'DCBA' }),
    pt('f32_cdab', 0x2a, { type: 'float32', order: 'CDAB' }),
    pt('temp_offset', 0x2c, { type: 'uint16', scale: 0.1, offset: -40 }),
    pt('flag_on', 0x2d, { type: 'uint16', bit: 0 }),
    pt('flag_off', 0x2d, { type: 'uint16', bit: 1 }),
    pt('flag_mode', 0x2d, { type: 'uint16', bits: [4, 7] }),
    pt('in_u16', 5, { type: 'uint16', function: 'input' }),
    pt('valve_open', 3, { function: 'coils' }),
    pt('pump_on', 4, { function: 'coils' }),
    pt('door_open', 7, { function: 'discrete' }),
  ],
});
export const MIXED: Seeded = {
  profile: mixed,
  unit: {
    holding: [
      { addr: 0x10, type: 'int16', value: -125 },
      { addr: 0x11, type: 'uint16', value: 65000 },
      { addr: 0x12, type: 'int32', order: 'BADC', value: -100000 },
      { addr: 0x14, type: 'uint32', order: 'DCBA', value: 3000000000 },
      { addr: 0x16, type: 'int64', order: 'CDAB', value: -1234567890123 },
      { addr: 0x1a, type: 'uint64', value: 123456789012345 },
      { addr: 0x1e, type: 'float32', order: 'BADC', value: 12.5 },
      { addr: 0x20, type: 'float32', order: 'DCBA', value: -3.25 },
      { addr: 0x22, type: 'float64', order: 'CDAB', value: 1234.5678 },
      { addr: 0x26, type: 'float64', order: 'DCBA', value: -0.001 },
      { addr: 0x2a, type: 'float32', order: 'CDAB', value: 99.5 },
      { addr: 0x2c, regs: [500, 0x00a5] },
    ],
    input: [{ addr: 5, regs: [42] }],
    coils: [{ addr: 0, bits: [0, 0, 0, 1, 0, 1] }],
    discrete: [{ addr: 7, bits: [1] }],
  },
  expected: {
    t_int16: -12.5, e_uint16: 65000, i32_badc: -100000, u32_dcba: 3000000000, i64_cdab: -1234567890123, u64_abcd: 123456789012345,
    f32_badc: 12.5, f32_dcba: -3.25, f64_cdab: 1234.5678, f64_dcba: -0.001, f32_cdab: 99.5,
    temp_offset: 10, flag_on: 1, flag_off: 0, flag_mode: 10, in_u16: 42, valve_open: 1, pump_on: 0, door_open: 1,
  },
  requests: 4,
};

/** 12 float32 from register 0, on a meter that refuses reads of more than 10 registers. */
export const CAPPED: Seeded = {
  profile: inline({
    name: 'capped',
    description: 'test',
    source: 'test',
    function: 'input',
    points: Array.from({ length: 12 }, (_, i) => ({ name: `v${i}`, unit: 'V', kind: 'instantaneous', register: i * 2, type: 'float32' })),
  }),
  unit: { input: Array.from({ length: 12 }, (_, i) => ({ addr: i * 2, type: 'float32', value: 200 + i * 1.5 })), max_read: 10 },
  expected: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`v${i}`, 200 + i * 1.5])),
  requests: 4,
};

/** Units 1–5 answer; 6 is configured nowhere (a dead meter on the line). */
export const LINE: Record<number, Seeded> = { 1: SDM630, 2: DTSU666, 3: WATER, 4: MIXED, 5: CAPPED };
export const DEAD_UNIT = 6;
export const units = (line: Record<number, Seeded> = LINE): Units => Object.fromEntries(Object.entries(line).map(([u, s]) => [u, s.unit]));

export const valuesOf = (read: { values: Record<string, { value: number }> }) => Object.fromEntries(Object.entries(read.values).map(([k, v]) => [k, v.value]));
