// Meter profiles: data files mapping a meter model's registers to named points.
// Shipped profiles live in ./profiles/*.json; a site can add its own in config.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BYTE_ORDERS, VALUE_TYPES } from './decode.ts';

const register = z.union([
  z.number().int().min(0).max(0xffff),
  z.string().regex(/^0x[0-9a-fA-F]{1,4}$/, 'a hex register like "0x0048"').transform((s) => Number.parseInt(s, 16)),
]);

export const pointSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]*$/, 'snake_case').describe('point name, e.g. power_total'),
  unit: z.string().describe('unit after scaling, e.g. W, kWh, V, A, Hz, m3'),
  kind: z.enum(['instantaneous', 'counter']).describe('counter = cumulative, never decreasing except on rollover'),
  register: register.describe('register address (0-based, as on the wire), decimal or "0x…"'),
  type: z.enum(VALUE_TYPES),
  order: z.enum(BYTE_ORDERS).default('ABCD'),
  scale: z.number().default(1).describe('value = raw × scale + offset'),
  offset: z.number().default(0),
  max: z.number().positive().optional().describe('counters: the value after which the meter rolls over to 0'),
});

export const profileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/),
  description: z.string(),
  source: z.string().describe('where the register map comes from'),
  function: z.enum(['holding', 'input']).describe('FC03 holding or FC04 input registers'),
  points: z.array(pointSchema).min(1),
});

export type MeterPoint = z.output<typeof pointSchema>;
export type MeterProfile = z.output<typeof profileSchema>;

const PROFILES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'profiles');

/** The profiles shipped with canteen-edge, by name. Throws naming the file on a bad one. */
export function builtinProfiles(dir = PROFILES_DIR): Map<string, MeterProfile> {
  const profiles = new Map<string, MeterProfile>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const parsed = profileSchema.safeParse(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    if (!parsed.success) throw new Error(`meter profile ${file}: ${z.prettifyError(parsed.error)}`);
    profiles.set(parsed.data.name, parsed.data);
  }
  return profiles;
}
