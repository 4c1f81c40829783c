// Every meter protocol, by the name a profile gives as `protocol` (default "modbus").
// Profile checking, the shipped profiles and how the gateway polls a meter all come
// from this list: a new protocol is its own file exporting a MeterProtocol (see
// ./meter-protocol.ts) plus one line here.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { cjt188Protocol } from './cjt188/protocol.ts';
import { dlt645Protocol } from './dlt645/protocol.ts';
import type { MeterProtocol } from './meter-protocol.ts';
import { describeIssue, isModbusProfile, type MeterProfile, type ProfileIssue } from './modbus/profile.ts';
import { modbusProtocol } from './modbus/protocol.ts';

export const METER_PROTOCOLS = [
  modbusProtocol,
  dlt645Protocol,
  cjt188Protocol,
] as const;

type ProfileOf<E> = E extends MeterProtocol<infer P> ? P : never;
/** A profile of any protocol; `protocol` tells them apart. */
export type AnyProfile = ProfileOf<(typeof METER_PROTOCOLS)[number]>;

const byName = new Map<string, MeterProtocol>(METER_PROTOCOLS.map((p) => [p.name, p as unknown as MeterProtocol]));

export function meterProtocol(name: string): MeterProtocol {
  const p = byName.get(name);
  if (!p) throw new Error(`no meter protocol "${name}"; expected one of ${[...byName.keys()].join(', ')}`);
  return p;
}

export type ProfileCheck = { ok: true; profile: AnyProfile } | { ok: false; errors: ProfileIssue[] };

/** Checks a profile given as data (a site's own, inline in config) with its protocol's schema. */
export function validateProfile(input: unknown): ProfileCheck {
  const raw = typeof input === 'object' && input !== null ? (input as Record<string, unknown>).protocol : undefined;
  const protocol = raw === undefined ? 'modbus' : raw;
  const entry = typeof protocol === 'string' ? byName.get(protocol) : undefined;
  if (!entry) {
    const names = [...byName.keys()].map((n, i) => (i === 0 ? `"${n}" (the default)` : `"${n}"`));
    return { ok: false, errors: [{ path: 'protocol', message: `got ${JSON.stringify(raw)}; expected ${names.join(', ')}` }] };
  }
  const parsed = (entry.profileSchema as z.ZodType).safeParse(input, { reportInput: true });
  if (parsed.success) return { ok: true, profile: parsed.data as AnyProfile };
  return { ok: false, errors: parsed.error.issues.flatMap((i) => describeIssue(i, i.path.length === 0 ? entry.keys.profile : entry.keys.point)) };
}

const PROFILES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'modbus', 'profiles');

/** Every profile shipped with canteen-edge (all protocols), by name. Throws naming the file on a bad one. */
export function shippedProfiles(dir = PROFILES_DIR): Map<string, AnyProfile> {
  const profiles = new Map<string, AnyProfile>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const checked = validateProfile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    if (!checked.ok) throw new Error(`meter profile ${file}: ${checked.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    if (profiles.has(checked.profile.name)) throw new Error(`meter profile ${file}: name "${checked.profile.name}" is taken by another file`);
    profiles.set(checked.profile.name, checked.profile);
  }
  // by name, not by file name ("dtsu666.json" sorts after "dtsu666-101e.json")
  return new Map([...profiles].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The shipped Modbus profiles, by name. */
export function builtinProfiles(dir = PROFILES_DIR): Map<string, MeterProfile> {
  const out = new Map<string, MeterProfile>();
  for (const [name, p] of shippedProfiles(dir)) if (isModbusProfile(p)) out.set(name, p);
  return out;
}
