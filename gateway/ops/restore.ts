// Restoring a backup made by backup.ts into the data directory. Nothing is touched
// until the whole archive has been read and checked: every file's size and sha256
// against the manifest, nothing missing or extra, no path leaving the directory,
// a schema this canteen-edge can open, a database that passes SQLite's quick_check.
// Then the old data directory is kept aside as <data_dir>.<time>.bak and the
// restored one takes its place. Refused while a gateway runs on that directory: the
// restore takes the directory's lock (lock.ts) for the whole swap, so a running
// gateway refuses it and no gateway can start in the middle of it.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { chmod, chown, copyFile, lstat, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import Database from 'better-sqlite3';
import { DB_FILE, schemaVersion } from '../store/sqlite.ts';
import { BACKUP_FORMAT, BackupError, KEY_ENTRY, MANIFEST, type BackupManifest, type ManifestFile } from './backup.ts';
import { DataDirLocked, lockDataDir } from './lock.ts';
import { readTar, TarFormatError } from './tar.ts';

export interface RestoreOptions {
  from: string;
  dataDir: string;
  modelsDir: string;
  keyFile: string;
  /** the newest schema this canteen-edge knows */
  knownSchema: number;
  /** replace a data directory that holds a database */
  force: boolean;
}

export interface RestoreResult {
  manifest: BackupManifest;
  dataDir: string;
  /** where the previous data directory now is, or null when there was none */
  keptAside: string | null;
  /** what came over from the old data directory because backups do not hold it */
  carriedOver: string[];
}

const stampOf = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export async function restoreBackup(o: RestoreOptions): Promise<RestoreResult> {
  let lock;
  try {
    lock = existsSync(o.dataDir) ? lockDataDir(o.dataDir, 'restore', 0) : null;
  } catch (err) {
    if (err instanceof DataDirLocked) throw new BackupError(`${err.message}; stop it first (systemctl stop canteen-edge)`);
    throw err;
  }
  try {
    return await restoreLocked(o);
  } finally {
    lock?.release();
  }
}

async function restoreLocked(o: RestoreOptions): Promise<RestoreResult> {
  if (!existsSync(o.from)) throw new BackupError(`${o.from}: no such file`);
  const hasDb = existsSync(path.join(o.dataDir, DB_FILE));
  if (hasDb && !o.force) throw new BackupError(`${o.dataDir} already holds a database; give --force to replace it (it is kept aside as ${path.basename(o.dataDir)}.<time>.bak)`);

  const stamp = stampOf(new Date());
  const staging = `${o.dataDir}.restore-${stamp}`;
  await mkdir(staging, { recursive: true });
  try {
    const manifest = await extract(o.from, staging);
    if (manifest.schemaVersion > o.knownSchema) {
      throw new BackupError(`the backup's database has schema version ${manifest.schemaVersion}, newer than this canteen-edge knows (${o.knownSchema}); restore it with canteen-edge ${manifest.canteenEdge} or newer`);
    }
    checkDatabase(path.join(staging, 'data', DB_FILE), manifest.schemaVersion);

    const keptAside = existsSync(o.dataDir) ? `${o.dataDir}.${stamp}.bak` : null;
    // run as root (sudo) for a service user's directory: the restored files must stay that user's
    const owner = keptAside ? await stat(o.dataDir) : null;
    if (keptAside) await rename(o.dataDir, keptAside);
    await rename(path.join(staging, 'data'), o.dataDir);

    const carriedOver: string[] = [];
    const inside = (p: string) => !path.relative(o.dataDir, p).startsWith('..');
    if (keptAside && inside(o.modelsDir)) {
      const old = path.join(keptAside, path.relative(o.dataDir, o.modelsDir));
      if (existsSync(old) && !existsSync(o.modelsDir)) {
        await mkdir(path.dirname(o.modelsDir), { recursive: true });
        await rename(old, o.modelsDir);
        carriedOver.push(path.relative(o.dataDir, o.modelsDir) || 'models');
      }
    }
    if (manifest.includesKey) {
      if (existsSync(o.keyFile)) await rename(o.keyFile, `${o.keyFile}.${stamp}.bak`);
      await mkdir(path.dirname(o.keyFile), { recursive: true });
      await rename(path.join(staging, 'biometric.key'), o.keyFile);
      await chmod(o.keyFile, 0o600);
    } else if (keptAside && inside(o.keyFile)) {
      const old = path.join(keptAside, path.relative(o.dataDir, o.keyFile));
      if (existsSync(old)) {
        await copyFile(old, o.keyFile);
        await chmod(o.keyFile, 0o600);
        carriedOver.push(path.relative(o.dataDir, o.keyFile));
      }
    }
    if (owner && process.getuid?.() === 0) {
      await chownTree(o.dataDir, owner.uid, owner.gid);
      if (manifest.includesKey) await chown(o.keyFile, owner.uid, owner.gid);
    }
    return { manifest, dataDir: o.dataDir, keptAside, carriedOver };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Reads the archive into `staging` (data/… and biometric.key), checking it against its manifest. */
async function extract(from: string, staging: string): Promise<BackupManifest> {
  const got: { manifest: BackupManifest | null } = { manifest: null };
  const expected = new Map<string, ManifestFile>();
  const seen = new Set<string>();
  const gunzip = createGunzip();
  createReadStream(from)
    .on('error', (err) => gunzip.destroy(err))
    .pipe(gunzip);
  try {
    await readTar(gunzip, async (h) => {
      if (!got.manifest) {
        if (h.name !== MANIFEST || h.type !== 'file') throw new BackupError(`not a canteen-edge backup: the first entry is "${h.name}", expected ${MANIFEST}`);
        if (h.size > 16 * 1024 * 1024) throw new BackupError(`${MANIFEST} is ${h.size} bytes; not a canteen-edge backup`);
        const chunks: Buffer[] = [];
        return {
          write: (c) => void chunks.push(Buffer.from(c)),
          end: () => {
            got.manifest = parseManifest(Buffer.concat(chunks).toString('utf8'));
            for (const f of got.manifest.files) expected.set(f.path, f);
          },
        };
      }
      if (h.type === 'directory') return { write() {}, end() {} };
      const want = expected.get(h.name);
      if (!want) throw new BackupError(`the archive holds "${h.name}", which its manifest does not list`);
      if (seen.has(h.name)) throw new BackupError(`the archive holds "${h.name}" twice`);
      seen.add(h.name);
      if (h.size !== want.bytes) throw new BackupError(`${h.name}: ${h.size} bytes in the archive, the manifest says ${want.bytes}`);
      const to = h.name === KEY_ENTRY ? path.join(staging, 'biometric.key') : path.join(staging, h.name);
      await mkdir(path.dirname(to), { recursive: true });
      const out = createWriteStream(to, { mode: 0o600 });
      const hash = createHash('sha256');
      return {
        write: (c) => {
          hash.update(c);
          return writeAll(out, c);
        },
        end: async () => {
          await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
          const sum = hash.digest('hex');
          if (sum !== want.sha256) throw new BackupError(`${h.name}: sha256 ${sum} does not match the manifest's ${want.sha256} (the archive is damaged)`);
        },
      };
    });
  } catch (err) {
    if (err instanceof BackupError) throw err;
    if (err instanceof TarFormatError) throw new BackupError(`${from}: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code?.startsWith('Z_') || code === 'ERR_PADDING_1' || /unexpected end of file|incorrect header check|invalid/i.test((err as Error).message)) {
      throw new BackupError(`${from}: not a readable .tar.gz, or a damaged one (${(err as Error).message})`);
    }
    throw err;
  } finally {
    gunzip.destroy();
  }
  const manifest = got.manifest;
  if (!manifest) throw new BackupError(`not a canteen-edge backup: no ${MANIFEST}`);
  const missing = [...expected.keys()].filter((p) => !seen.has(p));
  if (missing.length) throw new BackupError(`the archive lacks ${missing.join(', ')}, listed in its manifest (truncated?)`);
  if (!seen.has(`data/${DB_FILE}`)) throw new BackupError(`the backup holds no database (data/${DB_FILE})`);
  return manifest;
}

async function chownTree(p: string, uid: number, gid: number): Promise<void> {
  await chown(p, uid, gid);
  if ((await lstat(p)).isDirectory()) for (const e of await readdir(p)) await chownTree(path.join(p, e), uid, gid);
}

function writeAll(out: WriteStream, chunk: Buffer): Promise<void> | void {
  if (out.write(chunk)) return;
  return new Promise((resolve, reject) => {
    out.once('drain', resolve);
    out.once('error', reject);
  });
}

/** The manifest, checked: the format, and only safe relative paths (data/… or the key). */
export function parseManifest(text: string): BackupManifest {
  let m: BackupManifest;
  try {
    m = JSON.parse(text) as BackupManifest;
  } catch {
    throw new BackupError(`${MANIFEST} is not JSON; not a canteen-edge backup`);
  }
  if (m?.format !== BACKUP_FORMAT) throw new BackupError(`not a canteen-edge backup (format ${JSON.stringify(m?.format)})`);
  if (!Number.isInteger(m.schemaVersion) || !Array.isArray(m.files)) throw new BackupError(`${MANIFEST} lacks schemaVersion or files`);
  for (const f of m.files) {
    const p = f?.path;
    const safe = typeof p === 'string' && (p === KEY_ENTRY || (p.startsWith('data/') && !p.split('/').some((s) => s === '..' || s === '' || s === '.')));
    if (!safe || !/^[0-9a-f]{64}$/.test(String(f.sha256)) || !Number.isInteger(f.bytes)) throw new BackupError(`${MANIFEST}: bad file entry ${JSON.stringify(f)}`);
  }
  return m;
}

function checkDatabase(file: string, schema: number): void {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`the backup's database fails SQLite's quick_check: ${String(check)}`);
    const v = schemaVersion(db);
    if (v !== schema) throw new BackupError(`the backup's database has schema version ${v}, the manifest says ${schema}`);
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`the backup's database cannot be read: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}
