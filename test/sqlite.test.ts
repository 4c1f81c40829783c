import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AuthStore } from '../gateway/auth/store.ts';
import { openDatabase, readMigrations, schemaVersion } from '../gateway/store/sqlite.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-sqlite-'));

describe('SQLite store', () => {
  it('creates the data directory and applies the migrations once, in WAL mode', () => {
    const dir = path.join(tmp(), 'nested', 'data');
    const db = openDatabase(dir);
    expect(schemaVersion(db)).toBe(readMigrations().length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    db.close();
    const again = openDatabase(dir);
    expect((again.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number }).n).toBe(readMigrations().length);
    again.close();
  });

  it('rolls back a failing migration and keeps the earlier ones', () => {
    const migDir = path.join(tmp(), 'migrations');
    mkdirSync(migDir);
    writeFileSync(path.join(migDir, '001_one.sql'), 'CREATE TABLE one (x INTEGER);');
    writeFileSync(path.join(migDir, '002_broken.sql'), 'CREATE TABLE two (x INTEGER); INSERT INTO nowhere VALUES (1);');
    const dataDir = tmp();
    expect(() => openDatabase(dataDir, readMigrations(migDir))).toThrow(/no such table: nowhere/);
    writeFileSync(path.join(migDir, '002_broken.sql'), 'CREATE TABLE two (x INTEGER);');
    const db = openDatabase(dataDir, readMigrations(migDir)); // two was rolled back, so it can be created now
    expect(schemaVersion(db)).toBe(2);
    db.close();
  });

  it('refuses a database from a newer version', () => {
    const dataDir = tmp();
    openDatabase(dataDir).close();
    expect(() => openDatabase(dataDir, [])).toThrow(/newer than this canteen-edge knows/);
  });

  it('refuses migration files with gaps or bad names', () => {
    const migDir = path.join(tmp(), 'm');
    mkdirSync(migDir);
    writeFileSync(path.join(migDir, '001_a.sql'), '');
    writeFileSync(path.join(migDir, '003_c.sql'), '');
    expect(() => readMigrations(migDir)).toThrow(/without gaps/);
    writeFileSync(path.join(migDir, '2_b.sql'), '');
    expect(() => readMigrations(migDir)).toThrow(/not named NNN_name.sql/);
  });

  it('waits for a write by another process instead of failing a read-then-write transaction', async () => {
    const dir = tmp();
    const db = openDatabase(dir);
    const store = new AuthStore(db);
    const { code } = store.createPairingCode('checkout-1', 'checkout-1', 60_000, 'admin');
    // Another process (as the CLI would) holds the write lock for a moment, then commits.
    const other = spawn(process.execPath, ['-e', `
      const db = require('better-sqlite3')(process.argv[1]);
      db.pragma('busy_timeout = 5000');
      db.exec('BEGIN IMMEDIATE');
      db.prepare("INSERT INTO audit_log (at, actor, action, result) VALUES (1, 'cli', 'user add', 'ok')").run();
      process.stdout.write('locked\\n');
      const until = Date.now() + 400; while (Date.now() < until);
      db.exec('COMMIT');
    `, path.join(dir, 'canteen-edge.db')], { cwd: path.resolve(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => other.stdout.once('data', () => resolve()));
    expect(store.redeemPairingCode(code)).toEqual({ station: 'checkout-1', scale: 'checkout-1' });
    expect(await new Promise((resolve) => other.on('exit', resolve))).toBe(0);
    expect((db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE actor = 'cli'").get() as { n: number }).n).toBe(1);
    db.close();
  });
});
