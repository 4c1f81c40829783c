import { spawnSync } from 'node:child_process';
import { BIN, ROOT } from './gateway.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: () => any;
}

/** Runs the real `canteen-edge` command, as an installer would. */
export function cli(args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
}
