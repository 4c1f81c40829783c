// What the data directory uses on disk, and what its filesystem has left.
import { lstat, readdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { OpsDiskMsg } from '../wire/admin.ts';

export type DiskUse = OpsDiskMsg;

export async function diskUse(dataDir: string): Promise<DiskUse> {
  const { bytes, files } = await treeSize(dataDir);
  const s = await statfs(dataDir);
  const totalBytes = s.blocks * s.bsize;
  const freeBytes = s.bfree * s.bsize;
  const availableBytes = s.bavail * s.bsize;
  return {
    dataDir,
    usedBytes: bytes,
    files,
    fs: { totalBytes, freeBytes, availableBytes, usedPercent: totalBytes ? Math.round(((totalBytes - freeBytes) / totalBytes) * 1000) / 10 : 0 },
  };
}

async function treeSize(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { bytes, files };
    throw err;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const sub = await treeSize(p);
      bytes += sub.bytes;
      files += sub.files;
    } else {
      try {
        bytes += (await lstat(p)).size;
        files++;
      } catch {
        // gone meanwhile (a WAL checkpoint, a temp file)
      }
    }
  }
  return { bytes, files };
}
