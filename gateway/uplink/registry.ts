// Every uplink type, by the name its config entry gives as `type`. The config union
// of `uplinks[]`, the secrets read at load and redacted in support bundles, and the
// factory the outbox calls all come from this list. A new uplink is its own file
// exporting an entry (see entry.ts) plus one line here.
import { z } from 'zod';
import type { LoadedUplinkOf, UplinkContext, UplinkEntry } from './entry.ts';
import { httpUplink } from './http.ts';
import { jgj285Uplink } from './jgj285/client.ts';
import { mqttUplink } from './mqtt.ts';
import type { Uplink } from './uplink.ts';

export const UPLINKS = [
  httpUplink,
  mqttUplink,
  jgj285Uplink,
] as const;

type Entries = typeof UPLINKS;
type Schemas<T extends readonly { schema: unknown }[]> = { -readonly [I in keyof T]: T[I]['schema'] };
type EntrySecrets<E> = E extends UplinkEntry<infer S, infer K> ? LoadedUplinkOf<z.output<S>, K> : never;

export const uplinkSchema = z.discriminatedUnion('type', UPLINKS.map((u) => u.schema) as unknown as Schemas<Entries>);

export type UplinkConfig = z.output<typeof uplinkSchema>;
/** Each uplink with its secrets read (per type, so `type` still tells them apart). */
export type LoadedUplink = EntrySecrets<Entries[number]>;

const byType = new Map<string, UplinkEntry>(UPLINKS.map((u) => [u.schema.shape.type.value as string, u as unknown as UplinkEntry]));

export function uplinkEntryOf(type: string): UplinkEntry {
  const entry = byType.get(type);
  if (!entry) throw new Error(`no uplink type "${type}"; expected one of ${[...byType.keys()].join(', ')}`);
  return entry;
}

/** The config keys that hold an uplink secret, over every uplink type. */
export const UPLINK_SECRET_KEYS: readonly string[] = [...new Set(UPLINKS.flatMap((u) => u.secretKeys as readonly string[]))];

export function createUplink(u: LoadedUplink, ctx: UplinkContext): Uplink {
  return uplinkEntryOf(u.type).create(u as never, ctx);
}

/** How long one batch on this uplink may take before the forwarder's watchdog counts it hung. */
export function batchTimeoutMs(u: LoadedUplink): number {
  return uplinkEntryOf(u.type).batchTimeoutMs?.(u as never) ?? u.timeout_ms;
}
