// Fetches one declared file (a model's weights, a labels file, a test photo) into a
// directory: from a mirror (a local directory or USB stick, or an HTTP server on the
// site's network) or from its pinned upstream URLs, in that order.
//
// - The bytes go to `<dir>/.<file>.part` first; a later run resumes a partial download
//   (HTTP Range, or the offset in a mirror directory's file) instead of starting again.
// - Size and sha256 are checked BEFORE the file is renamed into place (rename is atomic
//   in one directory): a bad or half-written file never becomes visible to the gateway.
// - A wrong file is deleted and the next source is tried; the failure names each source
//   and why (unreachable, wrong size, wrong hash).
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sha256Stream } from '../../models/hash.ts';

export interface FileSpec {
  /** file name inside the target directory (may contain one sub-directory, e.g. manifests/x.json) */
  file: string;
  sha256: string;
  bytes?: number;
  /** pinned upstream URLs */
  urls: string[];
}

/** A mirror: a directory holding the files under their names, or an HTTP(S) base URL. */
export type Mirror = { kind: 'dir'; dir: string } | { kind: 'http'; base: string };

export function parseMirror(raw: string): Mirror {
  if (/^https?:\/\//i.test(raw)) return { kind: 'http', base: raw.replace(/\/+$/, '') };
  return { kind: 'dir', dir: path.resolve(raw) };
}

export const mirrorLabel = (m: Mirror) => (m.kind === 'dir' ? m.dir : m.base);

export function mirrorUrl(m: Extract<Mirror, { kind: 'http' }>, file: string): string {
  return `${m.base}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

export interface Progress {
  (event: { file: string; from: string; got: number; total: number | undefined; resumedAt: number }): void;
}

export interface FetchOptions {
  mirrors: Mirror[];
  /** try the manifest's upstream URLs after the mirrors (default true) */
  upstream?: boolean;
  progress?: Progress;
  /** an HTTP transfer that sends nothing for this long is abandoned (default 30 s) */
  idleMs?: number;
  /** a mirror may refuse a file (e.g. not in its signed index): the reason, or null */
  refuse?: (mirror: Mirror, spec: FileSpec) => string | null;
}

export class FetchError extends Error {
  constructor(
    readonly file: string,
    readonly reasons: string[],
  ) {
    super(`${file}: ${reasons.join('; ')}`);
  }
}

export type FetchResult = { file: string; from: string; bytes: number; resumed: boolean } | { file: string; from: 'already installed'; bytes: number; resumed: false };

const size = async (file: string) => (await stat(file).catch(() => undefined))?.size;

/** Whether `dir/spec.file` is there with the declared size and hash. */
export async function isInstalled(dir: string, spec: FileSpec): Promise<boolean> {
  const file = path.join(dir, spec.file);
  const n = await size(file);
  if (n === undefined || (spec.bytes !== undefined && n !== spec.bytes)) return false;
  return (await sha256Stream(file)) === spec.sha256;
}

export async function fetchFile(spec: FileSpec, dir: string, opts: FetchOptions): Promise<FetchResult> {
  const dest = path.join(dir, spec.file);
  if (await isInstalled(dir, spec)) return { file: spec.file, from: 'already installed', bytes: (await size(dest))!, resumed: false };
  await mkdir(path.dirname(dest), { recursive: true });
  const part = path.join(path.dirname(dest), `.${path.basename(dest)}.part`);
  const sources: { label: string; open: (offset: number) => Promise<Opened> }[] = [];
  for (const m of opts.mirrors) {
    const refused = opts.refuse?.(m, spec);
    if (refused) {
      sources.push({ label: mirrorLabel(m), open: () => Promise.reject(new Error(refused)) });
      continue;
    }
    if (m.kind === 'dir') sources.push({ label: path.join(m.dir, spec.file), open: (offset) => openLocal(path.join(m.dir, spec.file), offset) });
    else sources.push({ label: mirrorUrl(m, spec.file), open: (offset) => openHttp(mirrorUrl(m, spec.file), offset, opts.idleMs ?? 30_000) });
  }
  if (opts.upstream !== false) for (const u of spec.urls) sources.push({ label: u, open: (offset) => openHttp(u, offset, opts.idleMs ?? 30_000) });
  if (!sources.length) throw new FetchError(spec.file, ['no source: no mirror given and the manifest names no upstream URL']);

  const reasons: string[] = [];
  for (const src of sources) {
    try {
      const r = await download(spec, part, src.label, src.open, opts.progress);
      await rename(part, dest);
      return { file: spec.file, from: src.label, bytes: r.bytes, resumed: r.resumed };
    } catch (err) {
      reasons.push(`${src.label}: ${(err as Error).message}`);
    }
  }
  throw new FetchError(spec.file, reasons);
}

interface Opened {
  /** the offset the body starts at: the asked one when the source resumes, else 0 */
  offset: number;
  total: number | undefined;
  body: AsyncIterable<Uint8Array>;
}

class WrongFile extends Error {}

async function download(spec: FileSpec, part: string, from: string, openSource: (offset: number) => Promise<Opened>, progress?: Progress): Promise<{ bytes: number; resumed: boolean }> {
  let have = (await size(part)) ?? 0;
  if (spec.bytes !== undefined && have > spec.bytes) have = 0; // not a prefix of this file
  const src = await openSource(have);
  const offset = src.offset === have ? have : 0;
  if (spec.bytes !== undefined && src.total !== undefined && src.total !== spec.bytes) {
    throw new Error(`wrong size: the source has ${src.total} bytes, the manifest says ${spec.bytes}`);
  }
  const fh = await open(part, offset ? 'r+' : 'w');
  let got = offset;
  try {
    if (offset) await fh.truncate(offset);
    for await (const chunk of src.body) {
      await fh.write(chunk, 0, chunk.length, got);
      got += chunk.length;
      if (spec.bytes !== undefined && got > spec.bytes) throw new WrongFile(`wrong size: more than the ${spec.bytes} bytes the manifest says`);
      progress?.({ file: spec.file, from, got, total: spec.bytes ?? src.total, resumedAt: offset });
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    // a stopped transfer keeps its bytes for the next run; a wrong file does not
    if (err instanceof WrongFile) await rm(part, { force: true });
    throw err;
  }
  await fh.close();
  if (spec.bytes !== undefined && got !== spec.bytes) {
    if (got > spec.bytes) await rm(part, { force: true });
    throw new Error(`wrong size: ${got} bytes, the manifest says ${spec.bytes}${got < spec.bytes ? ' (transfer cut short; run again to resume)' : ''}`);
  }
  const sum = await sha256Stream(part);
  if (sum !== spec.sha256) {
    await rm(part, { force: true });
    throw new Error(`wrong hash: sha256 ${sum}, the manifest says ${spec.sha256}`);
  }
  return { bytes: got, resumed: offset > 0 };
}

async function openLocal(file: string, offset: number): Promise<Opened> {
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new Error(err.code === 'ENOENT' ? 'not in the mirror' : `unreadable (${err.code ?? err.message})`);
  });
  if (!st.isFile()) throw new Error('not a file');
  const start = offset > 0 && offset < st.size ? offset : 0;
  return { offset: start, total: st.size, body: createReadStream(file, { start, highWaterMark: 1 << 20 }) };
}

async function openHttp(url: string, offset: number, idleMs: number): Promise<Opened> {
  const ctl = new AbortController();
  let timer = setTimeout(() => ctl.abort(new Error(`no data for ${idleMs / 1000} s`)), idleMs);
  const poke = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctl.abort(new Error(`no data for ${idleMs / 1000} s`)), idleMs);
  };
  let res: Response;
  try {
    res = await fetch(url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, signal: ctl.signal, redirect: 'follow' });
  } catch (err) {
    clearTimeout(timer);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`unreachable (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
  if (res.status === 404) {
    clearTimeout(timer);
    throw new Error('not found (HTTP 404)');
  }
  if (res.status !== 200 && res.status !== 206) {
    clearTimeout(timer);
    throw new Error(`HTTP ${res.status} ${res.statusText}`);
  }
  let start = 0;
  let total = Number(res.headers.get('content-length') ?? NaN);
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== offset) {
      clearTimeout(timer);
      await res.body?.cancel();
      // a range we did not ask for: start again without one
      return openHttp(url, 0, idleMs);
    }
    start = offset;
    total = m[3] === '*' ? NaN : Number(m[3]);
  }
  const body = res.body ? Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>) : Readable.from([]);
  async function* chunks() {
    try {
      for await (const c of body) {
        poke();
        yield c as Uint8Array;
      }
    } catch (err) {
      throw new Error(`transfer stopped (${(ctl.signal.reason as Error | undefined)?.message ?? (err as Error).message}); run again to resume`);
    } finally {
      clearTimeout(timer);
    }
  }
  return { offset: start, total: Number.isFinite(total) ? total : undefined, body: chunks() };
}

/** Writes a buffer (an index, a signature, a manifest) to `file` atomically. */
export async function writeAtomic(file: string, data: Buffer | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const out = createWriteStream(tmp);
  await pipeline(Readable.from([typeof data === 'string' ? Buffer.from(data) : data]), out);
  await rename(tmp, file);
}
