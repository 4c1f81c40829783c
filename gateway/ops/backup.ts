// A backup of the data directory as one .tar.gz: manifest.json first (format, schema
// version, box id, time, and the size and sha256 of every file), then the files
// under data/ and, only when asked, the biometric key under key/. The database is
// copied with SQLite's online backup (better-sqlite3 `db.backup()`), so it is
// consistent while the gateway keeps writing; the other files are copied aside
// first, so each is archived as one version of itself.
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import Database from 'better-sqlite3';
import { sha256Stream } from '../../models/hash.ts';
import { SETTINGS_FILE } from '../store/settings.ts';
import { DB_FILE, schemaVersion } from '../store/sqlite.ts';
import { VERSION } from '../version.ts';
import { isDataDirLocked, LOCK_FILE } from './lock.ts';
import { PID_FILE } from './running.ts';
import { TarWriter } from './tar.ts';

export const BACKUP_FORMAT = 'canteen-edge-backup';
export const BACKUP_FORMAT_VERSION = 1;
export const MANIFEST = 'manifest.json';
/** where the key goes in the archive */
export const KEY_ENTRY = 'key/biometric.key';

export interface ManifestFile {
  /** path in the archive: data/<path in the data dir>, or key/biometric.key */
  path: string;
  bytes: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  canteenEdge: string;
  schemaVersion: number;
  boxId: string | null;
  createdAt: string;
  includesKey: boolean;
  files: ManifestFile[];
}

export class BackupError extends Error {}

/** Never in a backup: the WAL of the live database (the backup copy has it all), the pid file and the lock, the one-time admin password, earlier restores' leftovers, the disk-full reserve files (gateway/ops/spill.ts: zeros, or lines the next start writes into the database). */
const SKIP = [/^canteen-edge\.db(-wal|-shm|-journal)?$/, new RegExp(`^${PID_FILE.replace('.', '\\.')}$`), new RegExp(`^${LOCK_FILE.replace('.', '\\.')}(-journal)?$`), /^initial-admin-password\.txt$/, /\.tmp$/, /\.spill$/];

export interface BackupOptions {
  dataDir: string;
  /** models directory: not backed up (large, and re-installed from their manifests) */
  modelsDir: string;
  keyFile: string;
  includeKey: boolean;
  out: string;
}

export async function createBackup(o: BackupOptions): Promise<{ manifest: BackupManifest; file: string; bytes: number; sha256: string; gatewayRunning: boolean }> {
  const dbFile = path.join(o.dataDir, DB_FILE);
  if (!existsSync(dbFile)) throw new BackupError(`no database in ${o.dataDir} (expected ${DB_FILE}); is this the gateway's data directory?`);
  // the directory's lock (not a pid file) says whether a gateway is writing meanwhile: the online backup is made for that case
  const gatewayRunning = isDataDirLocked(o.dataDir);
  if (o.includeKey && !existsSync(o.keyFile)) throw new BackupError(`--include-key: no biometric key at ${o.keyFile}`);
  await mkdir(path.dirname(path.resolve(o.out)), { recursive: true });
  const staging = await mkdtemp(path.join(path.dirname(path.resolve(o.out)), '.canteen-edge-backup-'));
  try {
    const files: { rel: string; abs: string }[] = [];
    // the database, consistent as of one moment, in rollback-journal mode so it is one self-contained file
    const copy = path.join(staging, DB_FILE);
    const src = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      await src.backup(copy);
    } finally {
      src.close();
    }
    const db = new Database(copy);
    let schema: number;
    try {
      db.pragma('journal_mode = DELETE');
      schema = schemaVersion(db);
    } finally {
      db.close();
    }
    files.push({ rel: `data/${DB_FILE}`, abs: copy });

    const skipDirs = new Set([path.resolve(o.modelsDir), path.resolve(staging)]);
    const skipFiles = new Set([path.resolve(o.keyFile), path.resolve(o.out), path.resolve(`${o.out}.partial`)]);
    for (const rel of await walk(o.dataDir, '', skipDirs, skipFiles)) {
      const to = path.join(staging, 'data', rel);
      await mkdir(path.dirname(to), { recursive: true });
      try {
        await copyFile(path.join(o.dataDir, rel), to);
        files.push({ rel: `data/${rel.split(path.sep).join('/')}`, abs: to });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // removed meanwhile: not part of this backup
      }
    }
    if (o.includeKey) {
      const to = path.join(staging, 'biometric.key');
      await copyFile(o.keyFile, to);
      files.push({ rel: KEY_ENTRY, abs: to });
    }
    for (const f of files) {
      if (Buffer.byteLength(f.rel) >= 100) throw new BackupError(`${f.rel}: path too long for the archive (99 bytes at most)`);
    }

    const listed: (ManifestFile & { abs: string })[] = [];
    for (const f of files) listed.push({ path: f.rel, bytes: (await stat(f.abs)).size, sha256: await sha256Stream(f.abs), abs: f.abs });
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      canteenEdge: VERSION,
      schemaVersion: schema,
      boxId: await boxIdOf(o.dataDir),
      createdAt: new Date().toISOString(),
      includesKey: o.includeKey,
      files: listed.map(({ path: p, bytes, sha256 }) => ({ path: p, bytes, sha256 })),
    };

    // written next to the target and renamed: a failed backup never leaves a half archive under its name
    const partial = `${o.out}.partial`;
    const gzip = createGzip();
    const sink = createWriteStream(partial, { mode: 0o600 });
    const written = new Promise<void>((resolve, reject) => {
      sink.once('finish', resolve);
      sink.once('error', reject);
      gzip.once('error', reject);
    });
    gzip.pipe(sink);
    const tar = new TarWriter(gzip);
    await tar.addBuffer(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    for (const f of listed) await tar.addFile(f.path, f.abs, f.bytes, { mode: 0o600 });
    await tar.finish();
    gzip.end();
    await written;
    await rename(partial, o.out);
    return { manifest, file: path.resolve(o.out), bytes: (await stat(o.out)).size, sha256: await sha256Stream(o.out), gatewayRunning };
  } finally {
    await rm(staging, { recursive: true, force: true });
    await rm(`${o.out}.partial`, { force: true });
  }
}

/** Regular files under `dir`, relative, skipping the listed directories and files. */
async function walk(root: string, rel: string, skipDirs: Set<string>, skipFiles: Set<string>): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    const abs = path.resolve(root, r);
    if (e.isDirectory()) {
      if (!skipDirs.has(abs)) out.push(...(await walk(root, r, skipDirs, skipFiles)));
    } else if (e.isFile() && !skipFiles.has(abs) && !(rel === '' && SKIP.some((re) => re.test(e.name)))) {
      if ((await lstat(abs)).isFile()) out.push(r);
    }
  }
  return out.sort();
}

async function boxIdOf(dataDir: string): Promise<string | null> {
  try {
    return (JSON.parse(await readFile(path.join(dataDir, SETTINGS_FILE), 'utf8')) as { boxId?: string }).boxId ?? null;
  } catch {
    return null;
  }
}

