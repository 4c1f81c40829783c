// Starts bench/lib/sdm630_server.py (Debian's /usr/bin/python3 with pymodbus 3.0)
// on a free loopback port, with the SDM630 profile's points as float32 values.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sdm630Floats } from './sdm630.ts';

export interface PymodbusServer {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sdm630_server.py');

export async function startPymodbus(): Promise<PymodbusServer> {
  const floats = sdm630Floats();
  const child: ChildProcess = spawn('/usr/bin/python3', [SCRIPT, JSON.stringify({ size: 400, floats })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('pymodbus server not ready within 15 s')), 15_000);
    child.once('exit', (code) => reject(new Error(`pymodbus server exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  return {
    port,
    pid: child.pid!,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
