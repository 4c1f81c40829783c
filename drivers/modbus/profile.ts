// Meter profiles: data mapping a meter model's registers (Modbus) or data
// identifiers (DL/T 645) to named points. Shipped profiles live in
// ./profiles/*.json; a site adds its own inline in config, checked by validateProfile.
import { z } from 'zod';
import { BYTE_ORDERS, VALUE_TYPES, registerCount } from './decode.ts';

export const MODBUS_FUNCTIONS = ['holding', 'input', 'coils', 'discrete'] as const;

const address = z.union([
  z.number().int('expected a whole number 0…65535').min(0, 'expected 0…65535').max(0xffff, 'expected 0…65535'),
  z.string().regex(/^0x[0-9a-fA-F]{1,4}$/, 'a hex address like "0x0048"').transform((s) => Number.parseInt(s, 16)),
]);
const bitIndex = z.number().int().min(0).max(63);

export const common = {
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'snake_case').describe('point name, e.g. power_total (same name for the same quantity in every profile)'),
  unit: z.string().describe('unit after scaling, e.g. W, kW, kWh, V, A, Hz, m3, m3/h; "" for none'),
  kind: z.enum(['instantaneous', 'counter']).describe('counter = cumulative, never decreasing except on rollover'),
  scale: z.number().refine((x) => x !== 0, 'must not be 0').default(1).describe('value = raw × scale + offset'),
  offset: z.number().default(0),
  max: z.number().positive().optional().describe('counters: the value after which the meter rolls over to 0'),
};

export const profileCommon = {
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "-" or "_"'),
  description: z.string(),
  source: z.string().describe('where the register map comes from'),
  verify: z.string().optional().describe('what to check on the real meter before trusting the map'),
  medium: z.enum(['electricity', 'water', 'gas']).optional().describe('what the meter measures, when its counter\'s unit does not say (m³ of gas vs water)'),
};

export const pointSchema = z.strictObject({
  ...common,
  register: address.describe('register, coil or input address (0-based, as on the wire), decimal or "0x…"'),
  function: z.enum(MODBUS_FUNCTIONS).optional().describe("this point's function when it is not the profile's"),
  type: z.enum(VALUE_TYPES).optional().describe('register value type; not used for coils and discrete inputs'),
  order: z.enum(BYTE_ORDERS).default('ABCD').describe('byte order of 32/64-bit values: ABCD big-endian, CDAB word-swapped, BADC, DCBA'),
  bit: bitIndex.optional().describe('one bit of an integer register (0 = least significant): the value is 0 or 1'),
  bits: z.tuple([bitIndex, bitIndex]).optional().describe('bits [from, to] of an integer register, inclusive, read as an unsigned number'),
  secondary: z
    .enum(['current', 'voltage', 'power'])
    .optional()
    .describe('the meter reports this on the secondary side of its CT/PT: multiplied by the current ratio, the voltage ratio, or both (power and energy)'),
});

/** Where a meter keeps its CT (current) and PT (voltage) ratios; value = raw × scale. */
const ratioRegister = z.strictObject({
  register: address.describe('register (0-based), decimal or "0x…"'),
  type: z.enum(['int16', 'uint16', 'int32', 'uint32', 'float32']).default('uint16'),
  order: z.enum(BYTE_ORDERS).default('ABCD'),
  scale: z.number().positive().default(1).describe('ratio = raw × scale (DTSU666 UrAt: 0.1)'),
});

export const RATIO_NAMES = { current: 'ratio_current', voltage: 'ratio_voltage' } as const;

export const dlt645PointSchema = z.strictObject({
  ...common,
  di: z
    .string()
    .regex(/^[0-9A-Fa-f]{8}$/, '8 hex digits, e.g. "00010000"')
    .transform((s) => s.toUpperCase())
    .describe('DL/T 645-2007 data identifier, as written in the standard (DI3 DI2 DI1 DI0)'),
});

export function uniqueNames(points: { name: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  points.forEach((p, i) => {
    if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: ['points', i, 'name'], message: `"${p.name}" is used by an earlier point` });
    seen.add(p.name);
  });
}

export const modbusProfileSchema = z
  .strictObject({
    ...profileCommon,
    protocol: z.literal('modbus').default('modbus'),
    function: z.enum(MODBUS_FUNCTIONS).describe('function of the points: holding (FC03), input (FC04), coils (FC01), discrete (FC02)'),
    ratios: z
      .strictObject({ current: ratioRegister.optional(), voltage: ratioRegister.optional() })
      .optional()
      .describe('registers holding the CT (current) and PT (voltage) ratios, read with the points (same function) and applied to `secondary` points'),
    points: z.array(pointSchema).min(1),
  })
  .superRefine((profile, ctx) => {
    uniqueNames(profile.points, ctx);
    profile.points.forEach((p, i) => {
      const needs = p.secondary === 'power' ? (['current', 'voltage'] as const) : p.secondary ? [p.secondary] : [];
      for (const r of needs) {
        if (!profile.ratios?.[r]) ctx.addIssue({ code: 'custom', path: ['points', i, 'secondary'], message: `"${p.secondary}" needs ratios.${r}: the register of the ${r} ratio` });
      }
    });
    profile.points.forEach((p, i) => {
      const at = (key: string) => ['points', i, key];
      const fn = p.function ?? profile.function;
      const bitFunction = fn === 'coils' || fn === 'discrete';
      if (bitFunction) {
        for (const key of ['type', 'bit', 'bits'] as const) {
          if (p[key] !== undefined) ctx.addIssue({ code: 'custom', path: at(key), message: `not used with function "${fn}": each ${fn === 'coils' ? 'coil' : 'input'} is one bit` });
        }
        return;
      }
      if (!p.type) {
        ctx.addIssue({ code: 'custom', path: at('type'), message: `missing; expected one of ${VALUE_TYPES.join(', ')} for function "${fn}"` });
        return;
      }
      const width = registerCount(p.type) * 16;
      if (p.register <= 0xffff && p.register + registerCount(p.type) > 0x10000) ctx.addIssue({ code: 'custom', path: at('register'), message: `${p.type} at ${p.register} runs past register 65535` });
      if (p.bit === undefined && p.bits === undefined) return;
      if (p.type.startsWith('float')) ctx.addIssue({ code: 'custom', path: at(p.bit !== undefined ? 'bit' : 'bits'), message: `bits need an integer type, not ${p.type}` });
      if (p.bit !== undefined && p.bits !== undefined) ctx.addIssue({ code: 'custom', path: at('bits'), message: 'give either bit or bits, not both' });
      const [from, to] = p.bits ?? [p.bit!, p.bit!];
      if (from > to) ctx.addIssue({ code: 'custom', path: at('bits'), message: `[${from}, ${to}]: from must not be above to` });
      if (to >= width) ctx.addIssue({ code: 'custom', path: at(p.bits ? 'bits' : 'bit'), message: `bit ${to} is outside a ${p.type} (bits 0…${width - 1})` });
    });
  })
  .transform((profile) => ({
    ...profile,
    points: profile.points.map(({ bit, bits, function: fn, type, ...p }) => ({
      ...p,
      function: fn ?? profile.function,
      type: type ?? 'uint16',
      ...(bits ? { bits } : bit !== undefined ? { bits: [bit, bit] as [number, number] } : {}),
    })),
  }));

export const dlt645ProfileSchema = z
  .strictObject({
    ...profileCommon,
    protocol: z.literal('dlt645'),
    points: z.array(dlt645PointSchema).min(1),
  })
  .superRefine((profile, ctx) => uniqueNames(profile.points, ctx));

/** A Modbus meter profile; every point's function and type are resolved, `bit: n` is `bits: [n, n]`. */
export type MeterProfile = z.output<typeof modbusProfileSchema>;
export type MeterPoint = MeterProfile['points'][number];
export type Dlt645Profile = z.output<typeof dlt645ProfileSchema>;
export type Dlt645Point = Dlt645Profile['points'][number];

export interface ProfileIssue {
  /** e.g. "points[3].register" */
  path: string;
  message: string;
}

// validateProfile(), shippedProfiles() and builtinProfiles() live in ../meter-protocols.ts,
// which checks a profile with the schema of its protocol.

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

/** A zod issue of a profile as `{path, message}`, naming the keys allowed where a key was unknown. */
export function describeIssue(issue: z.core.$ZodIssue, allowedKeys: string[]): ProfileIssue[] {
  const at = formatPath(issue.path);
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: at ? `${at}.${key}` : key, message: `unknown key; expected one of: ${allowedKeys.join(', ')}` }));
  }
  if (issue.code === 'invalid_type' && input === undefined) return [{ path: at, message: `missing; expected ${issue.expected}` }];
  if (issue.code === 'invalid_value') return [{ path: at, message: `got ${JSON.stringify(input)}; expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}` }];
  if (issue.code === 'invalid_union') return [{ path: at, message: `got ${JSON.stringify(input)}; expected a number 0…65535 or a hex string like "0x0048"` }];
  if (issue.code === 'custom') return [{ path: at, message: issue.message }];
  return [{ path: at, message: input === undefined ? issue.message : `got ${JSON.stringify(input)}; ${issue.message}` }];
}

export function isModbusProfile(p: { protocol: string }): p is MeterProfile {
  return p.protocol === 'modbus';
}
