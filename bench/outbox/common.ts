// Shared pieces of the outbox benchmark: the record every phase writes, the
// fast fill through the real Outbox.append, and per-process figures from /proc.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Outbox } from '../../gateway/outbox/outbox.ts';
import type { Stream } from '../../gateway/wire/streams.ts';
import { DB_FILE } from '../../gateway/store/sqlite.ts';

/** The SDM630 profile's points with their units: one meter reading as the gateway sends it upstream. */
const POINTS: [string, string, number][] = [
  ['voltage_l1', 'V', 230.4],
  ['voltage_l2', 'V', 231.5],
  ['voltage_l3', 'V', 229.9],
  ['current_l1', 'A', 10.25],
  ['current_l2', 'A', 11.5],
  ['current_l3', 'A', 9.75],
  ['power_l1', 'W', 2360.1],
  ['power_l2', 'W', 2648.2],
  ['power_l3', 'W', 2241.5],
  ['power_total', 'W', 7249.8],
  ['power_factor', '', 0.93],
  ['frequency', 'Hz', 50.02],
  ['energy_import', 'kWh', 12345.67],
  ['energy_export', 'kWh', 1.5],
  ['energy_total', 'kWh', 12347.17],
];

/** A deterministic number in [0, 1) for reading n, point i (so every run writes the same records). */
function noise(n: number, i: number): number {
  let h = Math.imul(n ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/**
 * A meter reading (`meter:reading` as the outbox module stores it), numbered so
 * no two are alike: values wander ±1 % around the profile's typical figures and
 * the energy counters climb, each written as the Modbus decoder writes a float32
 * (its shortest decimal), so the JSON compresses like real readings do.
 */
export function reading(n: number, at: number): unknown {
  const values: Record<string, { value: number; unit: string }> = {};
  for (let i = 0; i < POINTS.length; i++) {
    const [name, unit, base] = POINTS[i]!;
    const v = name.startsWith('energy') ? base + n * 0.0021 : base * (0.99 + 0.02 * noise(n, i));
    values[name] = { value: Number(Math.fround(v).toPrecision(7)), unit };
  }
  return { deviceId: 'main-meter', profile: 'sdm630', at, values };
}

/** The stored bytes of one record's payload (JSON, as Outbox.append stores it). */
export function payloadBytes(): Buffer {
  return Buffer.from(JSON.stringify(reading(1_000_000, 1_795_658_400_000)));
}

/**
 * Appends `n` records through the real Outbox.append, `chunk` per tick: all of a
 * chunk lands in one group commit, and the next chunk starts when it resolved.
 * Returns how many were appended (fewer than `n` when `stop` said so).
 */
export async function fill(
  outbox: Outbox,
  n: number,
  opts: { chunk: number; streams: Stream[]; from?: number; onChunk?: (done: number) => void | Promise<void>; stop?: () => boolean },
): Promise<number> {
  const from = opts.from ?? 0;
  const streams = opts.streams;
  let done = 0;
  while (done < n && !opts.stop?.()) {
    const size = Math.min(opts.chunk, n - done);
    const at = Date.now();
    const pending: Promise<unknown>[] = new Array(size);
    for (let i = 0; i < size; i++) {
      const k = from + done + i;
      pending[i] = outbox.append(streams[k % streams.length]!, reading(k, at));
    }
    await Promise.all(pending);
    done += size;
    await opts.onChunk?.(done);
  }
  return done;
}

/** VmRSS and VmHWM (peak) of a process, KiB. */
export function memKb(pid: number | 'self' = 'self'): { rssKb: number; hwmKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** utime + stime of a process, seconds (USER_HZ = 100). */
export function cpuSeconds(pid: number | 'self' = 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** This process's I/O counters: bytes handed to write(2) and the number of write calls. */
export function procIo(): { wchar: number; syscw: number; writeBytes: number } {
  const io = readFileSync('/proc/self/io', 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
  return { wchar: field('wchar'), syscw: field('syscw'), writeBytes: field('write_bytes') };
}

/** The mount a directory lives on (longest mount-point prefix in /proc/self/mountinfo). */
export function filesystemOf(dir: string): { mount: string; fstype: string; source: string } {
  const abs = path.resolve(dir);
  let best = { mount: '/', fstype: '?', source: '?' };
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const parts = line.split(' ');
    const sep = parts.indexOf('-');
    if (sep < 0) continue;
    const mount = parts[4]!;
    const inside = abs === mount || abs.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
    if (inside && mount.length >= best.mount.length) best = { mount, fstype: parts[sep + 1]!, source: parts[sep + 2]! };
  }
  return best;
}

/** Sizes of the database file and its WAL, bytes. */
export function dbFiles(dataDir: string): { db: number; wal: number } {
  const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
  const db = path.join(dataDir, DB_FILE);
  return { db: size(db), wal: size(`${db}-wal`) };
}

export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function median(xs: number[]): number {
  return quantile([...xs].sort((a, b) => a - b), 0.5);
}

/** Times `fn` once, milliseconds, with its result. */
export function timed<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}
