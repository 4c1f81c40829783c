import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
