// The SQLite database in the data directory, with versioned migrations.
// Migrations are the files in ./migrations named NNN_name.sql, applied in order,
// each in its own transaction, recorded in schema_migrations. A database written
// by a newer version of canteen-edge is refused rather than misread.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

export type Db = Database.Database;

export const DB_FILE = 'canteen-edge.db';
const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .map((f) => {
      const m = /^(\d{3})_([a-z0-9_]+)\.sql$/.exec(f);
      if (!m) throw new Error(`migration file ${f} is not named NNN_name.sql`);
      return { version: Number(m[1]), name: m[2]!, sql: readFileSync(path.join(dir, f), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 001, 002, … without gaps; found ${m.version} at position ${i + 1}`);
  });
  return migrations;
}

export function openDatabase(dataDir: string, migrations: Migration[] = readMigrations()): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, DB_FILE));
  try {
    db.pragma('journal_mode = WAL');
    // FULL: a commit is on disk when it returns. Stores that need group commit
    // batch their writes into one transaction rather than weaken this.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // The CLI (user add, kiosk pair, backup) opens this file from another process while
    // the gateway runs: a writer waits up to 5 s for the other. Every transaction in the
    // stores is BEGIN IMMEDIATE, because a deferred one that read first and then writes
    // after another process committed fails at once with SQLITE_BUSY (stale snapshot),
    // without waiting.
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

export function migrate(db: Db, migrations: Migration[]): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const newest = Math.max(0, ...applied);
  if (newest > migrations.length) {
    throw new Error(`database schema version ${newest} is newer than this canteen-edge knows (${migrations.length}); refusing to open it`);
  }
  const done: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    }).immediate();
    done.push(m.version);
  }
  return done;
}

export function schemaVersion(db: Db): number {
  return (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
}
