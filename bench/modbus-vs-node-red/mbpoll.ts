// Debian's mbpoll (C, libmodbus) as a native reference: one process per read
// block, `-a 1,1,1,…` makes it read unit 1 that many times in one poll (`-1`),
// one request in flight, no delay between them. GNU time reports its CPU and
// peak RSS; startup (a few ms) is included. mbpoll prints every value, which
// its CPU figure includes (stdout goes to a file).
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuSeconds } from '../lib/proc.ts';
import type { RunConfig, RunResult } from './result.ts';

function run(args: string[], stdoutFile: string, timeoutMs: number): Promise<{ cpuS: number; peakRssKb: number }> {
  return new Promise((resolve, reject) => {
    const fd = openSync(stdoutFile, 'w');
    const child = spawn('/usr/bin/time', ['-f', 'TIME %U %S %M', 'mbpoll', ...args], { stdio: ['ignore', fd, 'pipe'] });
    closeSync(fd);
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      const m = /TIME (\S+) (\S+) (\d+)/.exec(err);
      if (!m) return reject(new Error(`mbpoll: ${err.slice(-1000)}`));
      resolve({ cpuS: Number(m[1]) + Number(m[2]), peakRssKb: Number(m[3]) });
    });
  });
}

export async function runMbpoll(cfg: RunConfig): Promise<RunResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-mbpoll-'));
  const out: RunResult = { reads: 0, registers: 0, errors: 0, wallS: 0, cpuS: 0, serverCpuS: 0, peakRssKb: 0, checksum: 0 };
  const blocks = cfg.scenario.reads;
  try {
    const srv0 = cpuSeconds(cfg.serverPid);
    const t0 = performance.now();
    for (const [i, b] of blocks.entries()) {
      const n = Math.ceil((cfg.reads - i) / blocks.length); // the same total as the others, split over the blocks
      const isFloat = b.floats.length > 0;
      const file = path.join(dir, `out-${i}.txt`);
      const r = await run(
        ['-m', 'tcp', '-p', String(cfg.port), '-a', Array(n).fill(1).join(','), '-0', '-r', String(b.start), '-c', String(isFloat ? b.count / 2 : b.count),
          '-t', isFloat ? '3:float' : '3', '-B', '-o', '1', '-1', '127.0.0.1'],
        file, cfg.timeLimitS * 1000);
      const text = readFileSync(file, 'utf8');
      const first = `[${b.start}]: `;
      let ok = 0;
      for (let at = text.indexOf(first); at >= 0; at = text.indexOf(first, at + 1)) {
        ok += 1;
        if (isFloat) for (const o of b.floats) out.checksum += Number(text.slice(text.indexOf(`[${b.start + o}]: `, at) + `[${b.start + o}]: `.length).split('\n', 1)[0]);
      }
      out.reads += ok;
      out.errors += n - ok;
      out.registers += ok * b.count;
      out.cpuS += r.cpuS;
      out.peakRssKb = Math.max(out.peakRssKb, r.peakRssKb);
    }
    out.wallS = (performance.now() - t0) / 1000;
    out.serverCpuS = cpuSeconds(cfg.serverPid) - srv0;
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
