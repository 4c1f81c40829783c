// sha256 of a weights file, streamed (the event loop keeps running; a 100 MB model
// never sits in memory to be hashed) and computed once per process per file version:
// the cache key is the real path with its size, mtime and inode, so a replaced file is
// hashed again and an unchanged one never is.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';

const cache = new Map<string, Promise<string>>();

/** sha256 of a file, streamed, every call (no cache): for files written once and hashed once,
 * like a backup's parts and archive (gateway/ops/backup.ts). */
export function sha256Stream(file: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => h.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

export async function sha256File(file: string): Promise<string> {
  const real = await realpath(file);
  const st = await stat(real);
  const key = `${real}\0${st.size}\0${st.mtimeMs}\0${st.ino}`;
  let p = cache.get(key);
  if (!p) {
    p = sha256Stream(real);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** How many files have been hashed (or are being): for tests of the once-per-process rule. */
export function hashCacheSize(): number {
  return cache.size;
}
