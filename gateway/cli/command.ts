// What every subcommand of `canteen-edge` is: words, flags, help, and a run
// function returning the exit code (0 ok, 1 a device or file failed, 2 usage or config).
import type { ParseArgsConfig } from 'node:util';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** the words after `canteen-edge`, e.g. ['config', 'check'] */
  words: string[];
  summary: string;
  usage: string;
  options: Options;
  /** takes arguments that are not flags (e.g. `models import FILE.tar`) */
  positionals?: boolean;
  run(values: Record<string, string | boolean | (string | boolean)[] | undefined>, positionals: string[]): Promise<number>;
}

/** A mistake in how the command was called: reported with its usage, exit 2. */
export class UsageError extends Error {}

export function printJson(doc: unknown): void {
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

/** `--tcp HOST:PORT` (IPv6 in brackets): the host and port, or a usage error naming the flag. */
export function parseHostPort(raw: string, flag = '--tcp'): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(raw);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new UsageError(`${flag} "${raw}": expected HOST:PORT, e.g. 192.168.1.50:502`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** An integer flag within [min, max]; `fallback` when absent (undefined: the flag is optional). */
export function intFlag(values: FlagValues, name: string, fallback: number, min: number, max: number): number;
export function intFlag(values: FlagValues, name: string, fallback: number | undefined, min: number, max: number): number | undefined;
export function intFlag(values: FlagValues, name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || n < min || n > max) throw new UsageError(`--${name} "${String(raw)}": expected an integer from ${min} to ${max}`);
  return n;
}
