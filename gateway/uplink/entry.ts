// The shape of one uplink type in the registry (registry.ts lists them): the config
// schema of its `uplinks[]` entry, which of its keys hold secrets (read from inline or
// {file: PATH} at load, redacted in support bundles), and how to build it.
import type { z } from 'zod';
import type { Logger } from '../log.ts';
import type { Uplink } from './uplink.ts';

/** The uplink's config as the factory takes it: each secret key read into a string (still optional where the schema says so). */
export type LoadedUplinkOf<C, K extends keyof C> = Omit<C, K> & { [P in K]: undefined extends C[P] ? string | undefined : string };

export interface UplinkContext {
  boxId: string;
  logger: Logger;
}

export interface UplinkEntry<S extends z.ZodObject = z.ZodObject, K extends keyof z.output<S> & string = keyof z.output<S> & string> {
  /** a strict object whose `type` is a literal: one branch of the config union */
  schema: S;
  secretKeys: readonly K[];
  /** keys naming a file, made absolute against the config file's folder */
  pathKeys?: readonly (keyof z.output<S> & string)[];
  create(config: LoadedUplinkOf<z.output<S>, K>, ctx: UplinkContext): Uplink;
  /** how long one batch may take before the forwarder's watchdog counts it hung; default the config's `timeout_ms` */
  batchTimeoutMs?(config: z.output<S>): number;
}

/** Typed helper: the entry's create sees its own config's types. */
export const uplinkEntry = <S extends z.ZodObject, K extends keyof z.output<S> & string>(entry: UplinkEntry<S, K>) => entry;
