// Which gateway runs on a data directory: `canteen-edge start` writes its pid (and
// port) to <data_dir>/gateway.pid and removes it when it stops; restore refuses
// while that process is alive. A file left by a crash names a dead process (or one
// that is not canteen-edge) and is ignored.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const PID_FILE = 'gateway.pid';

export interface PidInfo {
  pid: number;
  port: number | null;
  startedAt: number;
}

export function writePidFile(dataDir: string, info: PidInfo): void {
  writeFileSync(path.join(dataDir, PID_FILE), `${JSON.stringify(info)}\n`, { mode: 0o644 });
}

/** Removes the pid file if it is ours. */
export function removePidFile(dataDir: string, pid = process.pid): void {
  const file = path.join(dataDir, PID_FILE);
  if (readPidFile(dataDir)?.pid === pid) rmSync(file, { force: true });
}

function readPidFile(dataDir: string): PidInfo | null {
  try {
    const info = JSON.parse(readFileSync(path.join(dataDir, PID_FILE), 'utf8')) as PidInfo;
    return Number.isInteger(info.pid) && info.pid > 0 ? info : null;
  } catch {
    return null;
  }
}

/** The gateway process running on this data directory, or null. */
export function runningGateway(dataDir: string): PidInfo | null {
  const info = readPidFile(dataDir);
  if (!info || info.pid === process.pid) return null;
  try {
    process.kill(info.pid, 0);
  } catch (err) {
    // EPERM: alive, but another user's
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  try {
    // a recycled pid belongs to something else
    if (!readFileSync(`/proc/${info.pid}/cmdline`, 'utf8').includes('canteen-edge')) return null;
  } catch {
    // no /proc: trust the pid
  }
  return info;
}
