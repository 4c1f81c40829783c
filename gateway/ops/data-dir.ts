// The data directory made ready before anything opens it: it must exist and take
// writes, or the start is refused with one line naming it and why (not an EROFS
// stack from SQLite). Its files hold personal information (accounts, payments,
// audit log, kitchen snapshots), so they are readable by the service user only:
// PIPL art. 51 (access control as a security measure) — the process creates files
// 0600 (umask 077, set by the command line) and files left 0644 by an older
// version are tightened here.
import { chmodSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The data directory cannot be used: the message is one line for the person starting the box. */
export class DataDirError extends Error {}

export function prepareDataDir(dir: string): void {
  const probe = path.join(dir, `.write-probe-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (err) {
    throw new DataDirError(explain(dir, err as NodeJS.ErrnoException));
  }
  tightenModes(dir);
}

function explain(dir: string, err: NodeJS.ErrnoException): string {
  const where = `data directory ${dir} (paths.data_dir or CANTEEN_EDGE_DATA_DIR)`;
  const fix = 'the gateway keeps its database and records there';
  switch (err.code) {
    case 'EROFS':
      return `${where} is on a read-only file system: ${fix}; remount it read-write or choose a writable directory`;
    case 'EACCES':
    case 'EPERM':
      return `${where} is not writable by user ${os.userInfo().username} (uid ${process.getuid?.() ?? '?'}): ${fix}; give that user the directory (chown) or choose another`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `${where} has no free space: ${fix}; free some space first`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `${where}: ${err.path ?? dir} is a file, not a directory`;
    default:
      return `${where} cannot be written (${err.code ?? err.message}): ${fix}`;
  }
}

/** Takes group and other permissions off everything in the directory (files the service user does not own are left). */
function tightenModes(dir: string): void {
  const walk = (p: string) => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) {
      try {
        chmodSync(p, st.mode & 0o700);
      } catch {
        // not ours (a models file installed by root): readable as it was
      }
    }
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
}
