// Real serial lines for the tests: socat links two ptys, one for the peer and one
// for us, so drivers open a serial port exactly as on a box.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export const SOCAT = '/usr/bin/socat';

/** SIGTERM, then resolves when the child has exited (at once if it already has). */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** socat linking two ptys at paths `a` and `b`; resolves once both exist and data flows. */
export async function socatPtys(a: string, b: string): Promise<ChildProcess> {
  const child = spawn(SOCAT, ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  const deadline = Date.now() + 5000;
  while (!(existsSync(a) && existsSync(b) && log.includes('starting data transfer loop'))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`socat did not make a pty pair:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return child;
}
