// Debian's python3 with its packages (pymodbus): always /usr/bin/python3, since
// the python3 on PATH may be another install without them.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

export const DEBIAN_PYTHON = '/usr/bin/python3';
export const PEERS_DIR = path.dirname(new URL(import.meta.url).pathname);

export async function runPeer(script: string, args: string[], timeoutMs = 15_000): Promise<string> {
  const { stdout } = await promisify(execFile)(DEBIAN_PYTHON, [path.join(PEERS_DIR, script), ...args], { timeout: timeoutMs });
  return stdout;
}
