// Per-process figures from /proc (Linux): CPU seconds (user + system) and peak
// resident memory (VmHWM). Used by the benchmarks to measure a client in its own
// process, and the server it talks to.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ; 100 on Linux). */
const TICKS = 100;

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number | 'self'): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after "pid (comm) ": state is field 3, utime 14, stime 15
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS;
}

/** Peak resident set size (VmHWM) in KiB. */
export function peakRssKb(pid: number | 'self'): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
