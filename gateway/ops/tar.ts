// A small streaming tar (POSIX ustar) writer and reader, for the support bundle and
// backups: regular files and directories with short relative names. Written here
// rather than added as a dependency because that is all we need (~150 lines), it
// streams files of any size (a backup's database can be gigabytes: sizes past 8 GiB
// use the GNU base-256 size field), and GNU tar reads what it writes (tested).
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';

const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777;

export interface TarHeader {
  name: string;
  size: number;
  mode: number;
  /** epoch ms */
  mtime: number;
  type: 'file' | 'directory' | 'other';
}

export class TarFormatError extends Error {}

/** Writes entries to `out` (e.g. a gzip stream), honouring back-pressure. */
export class TarWriter {
  constructor(private readonly out: Writable) {}

  async addBuffer(name: string, body: Buffer | string, opts: { mode?: number; mtime?: number } = {}): Promise<void> {
    const data = typeof body === 'string' ? Buffer.from(body) : body;
    await this.put(header({ name, size: data.length, mode: opts.mode ?? 0o644, mtime: opts.mtime ?? Date.now(), type: 'file' }));
    await this.put(data);
    await this.pad(data.length);
  }

  async addFile(name: string, file: string, size: number, opts: { mode?: number; mtime?: number } = {}): Promise<void> {
    await this.put(header({ name, size, mode: opts.mode ?? 0o644, mtime: opts.mtime ?? Date.now(), type: 'file' }));
    let written = 0;
    for await (const chunk of createReadStream(file)) {
      const c = chunk as Buffer;
      if (written + c.length > size) throw new Error(`${file} grew while being archived (expected ${size} bytes)`);
      written += c.length;
      await this.put(c);
    }
    if (written !== size) throw new Error(`${file} shrank while being archived (${written} of ${size} bytes)`);
    await this.pad(size);
  }

  /** The end-of-archive marker (two zero blocks); does not end `out`. */
  async finish(): Promise<void> {
    await this.put(Buffer.alloc(BLOCK * 2));
  }

  private async pad(size: number): Promise<void> {
    const rest = size % BLOCK;
    if (rest) await this.put(Buffer.alloc(BLOCK - rest));
  }

  private put(chunk: Buffer): Promise<void> {
    if (this.out.write(chunk)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        this.out.off('drain', done);
        this.out.off('error', done);
        if (err) reject(err);
        else resolve();
      };
      this.out.once('drain', done);
      this.out.once('error', done);
    });
  }
}

export function header(h: TarHeader): Buffer {
  const name = Buffer.from(h.name);
  if (name.length === 0 || name.length >= 100) throw new Error(`tar entry name "${h.name}" must be 1-99 bytes`);
  const b = Buffer.alloc(BLOCK);
  name.copy(b, 0);
  octal(b, 100, 8, h.mode & 0o7777);
  octal(b, 108, 8, 0);
  octal(b, 116, 8, 0);
  if (h.size <= MAX_OCTAL_SIZE) octal(b, 124, 12, h.size);
  else {
    b[124] = 0x80;
    b.writeBigUInt64BE(BigInt(h.size), 128);
  }
  octal(b, 136, 12, Math.floor(h.mtime / 1000));
  b[156] = h.type === 'directory' ? 0x35 : 0x30;
  b.write('ustar\u000000', 257, 'latin1');
  b.write('canteen-edge', 265);
  b.write('canteen-edge', 297);
  b.fill(0x20, 148, 156);
  octal(b, 148, 7, checksum(b));
  return b;
}

function octal(b: Buffer, at: number, len: number, n: number): void {
  b.write(n.toString(8).padStart(len - 1, '0'), at, len - 1, 'latin1');
  b[at + len - 1] = 0;
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i]!;
  return sum;
}

function parseHeader(b: Buffer): TarHeader {
  const str = (at: number, len: number) => {
    const s = b.subarray(at, at + len);
    const end = s.indexOf(0);
    return s.subarray(0, end < 0 ? len : end).toString('utf8');
  };
  const num = (at: number, len: number) => {
    if (b[at]! & 0x80) return Number(b.readBigUInt64BE(at + len - 8));
    const s = str(at, len).trim();
    if (!/^[0-7]*$/.test(s)) throw new TarFormatError(`not a tar archive (bad number field "${s}")`);
    return s ? parseInt(s, 8) : 0;
  };
  if (num(148, 8) !== checksum(b)) throw new TarFormatError('not a tar archive, or a damaged one (header checksum mismatch)');
  const prefix = b.toString('latin1', 257, 262) === 'ustar' ? str(345, 155) : '';
  const name = prefix ? `${prefix}/${str(0, 100)}` : str(0, 100);
  const flag = b[156];
  return { name, size: num(124, 12), mode: num(100, 8), mtime: num(136, 12) * 1000, type: flag === 0x30 || flag === 0 ? 'file' : flag === 0x35 ? 'directory' : 'other' };
}

export interface EntrySink {
  write(chunk: Buffer): Promise<void> | void;
  end(): Promise<void> | void;
}

/**
 * Reads a tar stream, calling `onEntry` for each entry; the sink it returns gets the
 * entry's bytes. Throws TarFormatError on a damaged or truncated archive.
 */
export async function readTar(source: AsyncIterable<Buffer>, onEntry: (h: TarHeader) => Promise<EntrySink> | EntrySink): Promise<void> {
  let buf: Buffer = Buffer.alloc(0);
  let entry: { sink: EntrySink; left: number; pad: number } | null = null;
  let zeros = 0;
  for await (const chunk of source) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    for (;;) {
      if (entry) {
        if (entry.left > 0) {
          if (!buf.length) break;
          const take = Math.min(entry.left, buf.length);
          await entry.sink.write(buf.subarray(0, take));
          buf = buf.subarray(take);
          entry.left -= take;
          if (entry.left > 0) break;
        }
        if (buf.length < entry.pad) break;
        buf = buf.subarray(entry.pad);
        await entry.sink.end();
        entry = null;
        continue;
      }
      if (buf.length < BLOCK) break;
      const block = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      if (block.every((x) => x === 0)) {
        if (++zeros === 2) return;
        continue;
      }
      zeros = 0;
      const h = parseHeader(block);
      const sink = await onEntry(h);
      const size = h.type === 'file' ? h.size : 0;
      entry = { sink, left: size, pad: (BLOCK - (size % BLOCK)) % BLOCK };
    }
  }
  throw new TarFormatError('the archive is truncated (no end-of-archive marker)');
}
