// Installing the models of a box: list, pull (from mirrors or the pinned upstream
// sources), verify, bundle for the next box, import a bundle, sign a bundle or mirror.
// Every file lands through fetchFile: checked (size, sha256) before an atomic rename.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { readTar, TarFormatError, TarWriter } from '../ops/tar.ts';
import { parseManifest, type ModelManifest } from '../../models/manifest.ts';
import { readManifests } from '../../models/registry.ts';
import { FEATURE_NAMES, featureOf } from './features.ts';
import { sha256Stream } from '../../models/hash.ts';
import { fetchFile, FetchError, mirrorLabel, mirrorUrl, writeAtomic, type FileSpec, type Mirror, type Progress } from './fetch.ts';
import { checkSignature, INDEX_FILE, makeIndex, parseIndex, signIndex, SIGNATURE_FILE, TrustError, type IndexEntry, type ModelsIndex } from './signed-index.ts';

export interface InstallContext {
  modelsDir: string;
  manifests: ModelManifest[];
  /** models.trust_key: bundles and mirrors must then carry a valid signature */
  trustKey?: KeyObject;
}

export async function installContext(modelsDir: string, trustKey?: KeyObject): Promise<InstallContext> {
  const dir = path.resolve(modelsDir);
  return { modelsDir: dir, manifests: await readManifests(dir), trustKey };
}

/** The files a model needs in the models dir: its weights, and its labels file when the manifest names one. */
export function filesOf(m: ModelManifest): FileSpec[] {
  const files: FileSpec[] = [{ file: m.file, sha256: m.sha256, bytes: m.bytes, urls: m.urls }];
  if (m.labels && !Array.isArray(m.labels) && m.labels.sha256) files.push({ file: m.labels.file, sha256: m.labels.sha256, bytes: m.labels.bytes, urls: m.labels.urls });
  return files;
}

export type InstallState = 'ok' | 'missing' | 'corrupt';

export interface ModelRow {
  name: string;
  family: string;
  feature: string | null;
  feature_zh: string | null;
  state: InstallState;
  /** what is wrong, when not ok */
  detail: string | null;
  file: string;
  sha256: string;
  bytes: number | null;
  source: string;
  urls: string[];
  licence: string;
}

async function stateOf(ctx: InstallContext, m: ModelManifest): Promise<{ state: InstallState; detail: string | null }> {
  const specs = filesOf(m);
  if (m.labels && !Array.isArray(m.labels) && !m.labels.sha256) specs.push({ file: m.labels.file, sha256: '', urls: [] });
  for (const spec of specs) {
    const file = path.join(ctx.modelsDir, spec.file);
    const st = await stat(file).catch(() => undefined);
    if (!st) return { state: 'missing', detail: `${spec.file} not installed` };
    if (!spec.sha256) continue; // a labels file the manifest gives no hash for
    if (spec.bytes !== undefined && st.size !== spec.bytes) return { state: 'corrupt', detail: `${spec.file}: ${st.size} bytes, the manifest says ${spec.bytes}` };
    const sum = await sha256Stream(file).catch((err: Error) => `unreadable: ${err.message}`);
    if (sum !== spec.sha256) return { state: 'corrupt', detail: `${spec.file}: sha256 ${sum.slice(0, 12)}…, the manifest says ${spec.sha256.slice(0, 12)}…` };
  }
  return { state: 'ok', detail: null };
}

/** Every manifest with the state of its files (re-hashed: this is also `models verify`). */
export async function listModels(ctx: InstallContext): Promise<ModelRow[]> {
  const rows: ModelRow[] = [];
  for (const m of ctx.manifests) {
    const feature = featureOf(m) ?? null;
    rows.push({
      name: m.name,
      family: m.family,
      feature,
      feature_zh: feature ? FEATURE_NAMES[feature].zh : null,
      ...(await stateOf(ctx, m)),
      file: m.file,
      sha256: m.sha256,
      bytes: m.bytes ?? null,
      source: m.source,
      urls: m.urls,
      licence: m.licence,
    });
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

export interface PullResult {
  installed: { name: string; from: string[] }[];
  already: string[];
  failed: { name: string; reason: string }[];
}

export function unknownNames(ctx: InstallContext, names: string[]): string[] {
  const known = new Set(ctx.manifests.map((m) => m.name));
  return names.filter((n) => !known.has(n));
}

/** A mirror's signed index, when models.trust_key asks for one: refuses the files it does not vouch for. */
async function mirrorIndex(m: Mirror): Promise<{ index: Buffer; sig: Buffer | undefined }> {
  const get = async (file: string): Promise<Buffer | undefined> => {
    if (m.kind === 'dir') return readFile(path.join(m.dir, file)).catch(() => undefined);
    const res = await fetch(mirrorUrl(m, file)).catch((err: Error) => {
      throw new TrustError(`mirror ${m.base} unreachable (${(err as { cause?: { code?: string } }).cause?.code ?? err.message})`);
    });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    return Buffer.from(await res.arrayBuffer());
  };
  const index = await get(INDEX_FILE);
  if (!index) throw new TrustError(`mirror ${mirrorLabel(m)} refused: it has no ${INDEX_FILE} and models.trust_key is set; sign it with \`canteen-edge models sign --key PRIVATE.pem DIR\``);
  return { index, sig: await get(SIGNATURE_FILE) };
}

export async function pullModels(ctx: InstallContext, opts: { only?: string[]; mirrors: Mirror[]; upstream?: boolean; progress?: Progress; log?: (line: string) => void }): Promise<PullResult> {
  const wanted = opts.only?.length ? ctx.manifests.filter((m) => opts.only!.includes(m.name)) : ctx.manifests;
  const result: PullResult = { installed: [], already: [], failed: [] };
  // With a trust key, a mirror is used only for what its signed index vouches for.
  const vouched = new Map<Mirror, Map<string, IndexEntry> | string>();
  if (ctx.trustKey) {
    for (const m of opts.mirrors) {
      try {
        const { index, sig } = await mirrorIndex(m);
        checkSignature(index, sig, ctx.trustKey, `mirror ${mirrorLabel(m)}`);
        vouched.set(m, new Map(parseIndex(index, mirrorLabel(m)).files.map((f) => [f.file, f])));
      } catch (err) {
        if (!(err instanceof TrustError)) throw err;
        opts.log?.(err.message);
        vouched.set(m, err.message);
      }
    }
  }
  const refuse = (m: Mirror, spec: FileSpec): string | null => {
    if (!ctx.trustKey) return null;
    const v = vouched.get(m);
    if (typeof v === 'string') return v;
    const e = v?.get(spec.file);
    if (!e) return `not in the mirror's signed index`;
    if (e.sha256 !== spec.sha256) return `the mirror's signed index gives another sha256 for ${spec.file}`;
    return null;
  };
  const done = new Map<string, Promise<{ from: string }>>(); // a labels file shared by two models is fetched once
  for (const m of wanted) {
    const from: string[] = [];
    let fresh = false;
    try {
      for (const spec of filesOf(m)) {
        let p = done.get(spec.file);
        if (!p) {
          p = fetchFile(spec, ctx.modelsDir, { mirrors: opts.mirrors, upstream: opts.upstream, progress: opts.progress, refuse });
          done.set(spec.file, p);
        }
        const r = await p;
        if (r.from !== 'already installed') {
          fresh = true;
          from.push(r.from);
        }
      }
      if (fresh) result.installed.push({ name: m.name, from });
      else result.already.push(m.name);
    } catch (err) {
      if (!(err instanceof FetchError)) throw err;
      result.failed.push({ name: m.name, reason: err.message });
    }
  }
  return result;
}

// ---- bundles -------------------------------------------------------------------

export interface BundleResult {
  file: string;
  models: string[];
  files: IndexEntry[];
  signed: boolean;
}

/** The installed (ok) models, their labels and the site's own manifests, as one tar with a hash index. */
export async function makeBundle(ctx: InstallContext, opts: { out: string; only?: string[]; key?: KeyObject }): Promise<BundleResult> {
  const rows = await listModels(ctx);
  const chosen = rows.filter((r) => r.state === 'ok' && (!opts.only?.length || opts.only.includes(r.name)));
  const entries = new Map<string, string>(); // tar name → path on disk
  for (const r of chosen) {
    const m = ctx.manifests.find((x) => x.name === r.name)!;
    for (const f of filesOf(m)) entries.set(f.file, path.join(ctx.modelsDir, f.file));
    if (m.labels && !Array.isArray(m.labels)) entries.set(m.labels.file, path.join(ctx.modelsDir, m.labels.file));
    const site = path.join(ctx.modelsDir, 'manifests', `${m.name}.json`);
    if (await stat(site).catch(() => undefined)) entries.set(`manifests/${m.name}.json`, site);
  }
  const files = await indexEntries(entries);
  const index = makeIndex(files);
  await writeBundle(opts.out, entries, index, opts.key ? signIndex(index, opts.key) : undefined);
  return { file: path.resolve(opts.out), models: chosen.map((r) => r.name), files, signed: !!opts.key };
}

async function indexEntries(entries: Map<string, string>): Promise<IndexEntry[]> {
  const out: IndexEntry[] = [];
  for (const [name, file] of entries) out.push({ file: name, sha256: await sha256Stream(file), bytes: (await stat(file)).size });
  return out;
}

async function writeBundle(out: string, entries: Map<string, string>, index: Buffer, sig: Buffer | undefined): Promise<void> {
  const tmp = `${out}.${process.pid}.tmp`;
  const stream = createWriteStream(tmp);
  const closed = new Promise<void>((resolve, reject) => stream.on('close', resolve).on('error', reject));
  try {
    const tar = new TarWriter(stream);
    await tar.addBuffer(INDEX_FILE, index);
    if (sig) await tar.addBuffer(SIGNATURE_FILE, sig);
    for (const [name, file] of [...entries].sort(([a], [b]) => a.localeCompare(b))) await tar.addFile(name, file, (await stat(file)).size);
    await tar.finish();
    stream.end();
    await closed;
    await rename(tmp, out);
  } catch (err) {
    stream.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
}

/** A bundle's files, read into a staging directory inside the models dir (same file system: renames stay atomic). */
async function extractBundle(from: string, staging: string): Promise<void> {
  try {
    await readTar(createReadStream(from) as AsyncIterable<Buffer>, async (h) => {
      if (h.type !== 'file') return { write() {}, end() {} };
      if (path.isAbsolute(h.name) || h.name.split('/').includes('..') || h.name.split('/').length > 2) throw new TrustError(`${from}: entry "${h.name}" is outside the models directory`);
      const to = path.join(staging, h.name);
      await mkdir(path.dirname(to), { recursive: true });
      const out = createWriteStream(to);
      return {
        write: (c) =>
          new Promise<void>((resolve, reject) => {
            if (out.write(c)) resolve();
            else out.once('drain', resolve).once('error', reject);
          }),
        end: () => new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve()))),
      };
    });
  } catch (err) {
    if (err instanceof TarFormatError) throw new TrustError(`${from}: ${err.message}`);
    throw err;
  }
}

export interface ImportResult {
  installed: string[];
  already: string[];
  failed: { name: string; reason: string }[];
  /** files of the bundle that no manifest claims */
  ignored: string[];
  signed: boolean;
}

/** Installs the models a bundle (FILE.tar) or a directory holds; with a trust key, only a validly signed one. */
export async function importBundle(ctx: InstallContext, from: string): Promise<ImportResult> {
  const st = await stat(from).catch(() => undefined);
  if (!st) throw new TrustError(`${from}: no such file or directory`);
  await mkdir(ctx.modelsDir, { recursive: true });
  let dir = path.resolve(from);
  let staging: string | undefined;
  if (!st.isDirectory()) {
    staging = await mkdtemp(path.join(ctx.modelsDir, '.import-'));
    dir = staging;
  }
  try {
    if (staging) await extractBundle(from, staging);
    const indexBytes = await readFile(path.join(dir, INDEX_FILE)).catch(() => undefined);
    const sig = await readFile(path.join(dir, SIGNATURE_FILE)).catch(() => undefined);
    let index: ModelsIndex | undefined;
    if (ctx.trustKey) {
      if (!indexBytes) throw new TrustError(`${from} refused: it has no ${INDEX_FILE} and models.trust_key is set`);
      checkSignature(indexBytes, sig, ctx.trustKey, from);
    }
    if (indexBytes) index = parseIndex(indexBytes, from);
    const vouched = new Map(index?.files.map((f) => [f.file, f]) ?? []);
    // the bundle's own manifests (a site's models): checked against the index like any file
    const bundled: ModelManifest[] = [];
    const failed: ImportResult['failed'] = [];
    for (const f of (await readdir(path.join(dir, 'manifests')).catch(() => [] as string[])).filter((f) => f.endsWith('.json'))) {
      const file = path.join(dir, 'manifests', f);
      const e = vouched.get(`manifests/${f}`);
      if (index && (!e || e.sha256 !== (await sha256Stream(file)))) {
        failed.push({ name: f.replace(/\.json$/, ''), reason: `manifests/${f} does not match the bundle's index` });
        continue;
      }
      try {
        const m = parseManifest(JSON.parse(await readFile(file, 'utf8')), `manifests/${f} of ${from}`);
        if (`${m.name}.json` !== f) throw new Error(`manifests/${f}: name "${m.name}" does not match the file name`);
        bundled.push(m);
      } catch (err) {
        failed.push({ name: f.replace(/\.json$/, ''), reason: (err as Error).message });
      }
    }
    const manifests = new Map(ctx.manifests.map((m) => [m.name, m]));
    for (const m of bundled) manifests.set(m.name, m);
    const present = new Set(await listFiles(dir));
    const claimed = new Set([INDEX_FILE, SIGNATURE_FILE]);
    const result: ImportResult = { installed: [], already: [], failed, ignored: [], signed: !!(indexBytes && sig) };
    for (const m of manifests.values()) {
      const specs = filesOf(m);
      if (!present.has(m.file)) continue;
      for (const s of specs) claimed.add(s.file);
      if (m.labels && !Array.isArray(m.labels)) claimed.add(m.labels.file);
      claimed.add(`manifests/${m.name}.json`);
      const mirror: Mirror = { kind: 'dir', dir };
      const refuse = (_: Mirror, spec: FileSpec) => {
        if (!index) return null;
        const e = vouched.get(spec.file);
        return !e ? `${spec.file} is not in the bundle's index` : e.sha256 !== spec.sha256 ? `${spec.file}: the bundle's index gives another sha256 than the manifest` : null;
      };
      try {
        let fresh = false;
        for (const spec of specs) fresh = (await fetchFile(spec, ctx.modelsDir, { mirrors: [mirror], upstream: false, refuse })).from !== 'already installed' || fresh;
        if (m.labels && !Array.isArray(m.labels) && !m.labels.sha256 && present.has(m.labels.file)) {
          await fetchFile({ file: m.labels.file, sha256: await sha256Stream(path.join(dir, m.labels.file)), urls: [] }, ctx.modelsDir, { mirrors: [mirror], upstream: false });
        }
        if (bundled.includes(m)) await writeAtomic(path.join(ctx.modelsDir, 'manifests', `${m.name}.json`), `${JSON.stringify(JSON.parse(await readFile(path.join(dir, 'manifests', `${m.name}.json`), 'utf8')), null, 2)}\n`);
        (fresh ? result.installed : result.already).push(m.name);
      } catch (err) {
        if (!(err instanceof FetchError)) throw err;
        result.failed.push({ name: m.name, reason: err.message });
      }
    }
    result.ignored = [...present].filter((f) => !claimed.has(f)).sort();
    return result;
  } finally {
    if (staging) await rm(staging, { recursive: true, force: true });
  }
}

/** Regular files of a directory and of its manifests/ sub-directory, as relative names; hidden and partial files left out. */
async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    if (e.isFile()) out.push(e.name);
    else if (e.isDirectory() && e.name === 'manifests') {
      for (const f of await readdir(path.join(dir, e.name), { withFileTypes: true })) if (f.isFile() && !f.name.startsWith('.')) out.push(`manifests/${f.name}`);
    }
  }
  return out;
}

/** Signs a mirror directory (writes its index and signature) or a bundle (rewritten with them). */
export async function signTarget(target: string, key: KeyObject): Promise<{ target: string; kind: 'directory' | 'bundle'; files: IndexEntry[] }> {
  const st = await stat(target).catch(() => undefined);
  if (!st) throw new TrustError(`${target}: no such file or directory`);
  const sign = async (dir: string) => {
    const entries = new Map((await listFiles(dir)).filter((f) => f !== INDEX_FILE && f !== SIGNATURE_FILE).map((f) => [f, path.join(dir, f)]));
    const files = await indexEntries(entries);
    const index = makeIndex(files);
    return { entries, files, index, sig: signIndex(index, key) };
  };
  if (st.isDirectory()) {
    const { files, index, sig } = await sign(target);
    await writeAtomic(path.join(target, INDEX_FILE), index);
    await writeAtomic(path.join(target, SIGNATURE_FILE), sig);
    return { target: path.resolve(target), kind: 'directory', files };
  }
  const staging = await mkdtemp(path.join(path.dirname(path.resolve(target)), '.sign-'));
  try {
    await extractBundle(target, staging);
    const { entries, files, index, sig } = await sign(staging);
    await writeBundle(target, entries, index, sig);
    return { target: path.resolve(target), kind: 'bundle', files };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
