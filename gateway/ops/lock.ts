// One gateway per data directory. `canteen-edge start` takes an exclusive lock on
// <data_dir>/gateway.lock before it opens anything and holds it for its lifetime;
// a second start on the same directory is refused, and `restore` takes the same
// lock for the time it swaps the directory (so nothing can start under it).
//
// Why SQLite's lock: Node has no flock(2), and a native addon is one more thing to
// build on a Pi. An O_EXCL lock file names a pid that can be recycled after kill -9
// (the pid file did exactly that). A dedicated SQLite database in
// `locking_mode = EXCLUSIVE` that has been written once holds an fcntl(2) write lock
// on its file until the connection closes — and the kernel drops it when the process
// dies, however it dies, so a kill -9 leaves nothing to clean up. better-sqlite3 is
// already here. The lock lives in its own file, not in canteen-edge.db: the CLI
// (user add, backup) must keep opening the real database while the gateway runs.
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runningGateway } from './running.ts';

export const LOCK_FILE = 'gateway.lock';

/** The data directory is held by another process (a gateway, or a restore). */
export class DataDirLocked extends Error {
  constructor(readonly dataDir: string, holder: string) {
    super(`the data directory ${dataDir} is in use by ${holder}`);
  }
}

export interface DataDirLock {
  readonly file: string;
  release(): void;
}

/** Keeps the connections alive: a lock whose Database object were collected would be released. */
const held = new Set<Database.Database>();

/**
 * Takes the data directory's lock or throws DataDirLocked. `waitMs` rides over a
 * checker's momentary read lock (isDataDirLocked) rather than refusing a start for it.
 */
export function lockDataDir(dataDir: string, purpose: string, waitMs = 2000): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  const db = new Database(file, { timeout: waitMs });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, purpose TEXT NOT NULL, since INTEGER NOT NULL)');
    db.transaction(() => {
      db.exec('DELETE FROM holder');
      db.prepare('INSERT INTO holder (pid, purpose, since) VALUES (?, ?, ?)').run(process.pid, purpose, Date.now());
    }).exclusive();
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirLocked(dataDir, holderOf(dataDir));
    throw err;
  }
  held.add(db);
  return {
    file,
    release() {
      if (!held.delete(db)) return;
      db.close();
    },
  };
}

/** Whether a live process holds the data directory's lock (it is never taken by this check for longer than one read). */
export function isDataDirLocked(dataDir: string): boolean {
  const file = path.join(dataDir, LOCK_FILE);
  if (!existsSync(file)) return false;
  const db = new Database(file, { timeout: 0, fileMustExist: true });
  try {
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
    throw err;
  } finally {
    db.close();
  }
}

/** Who holds the lock, for the message: the pid file says which gateway (and its port), when it is one. */
function holderOf(dataDir: string): string {
  const gw = runningGateway(dataDir);
  return gw ? `a running gateway (pid ${gw.pid}${gw.port ? `, port ${gw.port}` : ''})` : 'another canteen-edge process (a gateway or a restore)';
}
