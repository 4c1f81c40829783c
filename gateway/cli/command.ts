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
  run(values: Record<string, string | boolean | (string | boolean)[] | undefined>, positionals: string[]): Promise<number>;
}

/** A mistake in how the command was called: reported with its usage, exit 2. */
export class UsageError extends Error {}

export function printJson(doc: unknown): void {
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}
