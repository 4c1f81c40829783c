// The receiver is down while a million records pile up: the gateway's memory
// stays flat (the backlog is paged from disk, never loaded), and everything
// drains, once and in order, when the receiver returns.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ProvinceSim } from '../gateway/sim/province/province.ts';
import { ROOT } from './helpers/gateway.ts';

const RECORDS = 2_000_000;

it(`holds ${RECORDS} records through an outage with flat memory, then drains them all`, async () => {
  const sim = new ProvinceSim({ host: '127.0.0.1', httpPort: 0, token: 'tok', hmacKey: 'key' });
  await sim.start();
  sim.http.fault = { mode: 'error', status: 503 };
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-outage-'));
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/peers/outbox-producer.ts', dataDir, String(sim.httpPort), 'outage', String(RECORDS)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('FILLED') && sim.http.fault.mode !== 'ok') sim.http.fault = { mode: 'ok' }; // the receiver returns
  });
  const code = await new Promise((resolve) => child.once('exit', resolve));
  await sim.stop();
  expect(code).toBe(0);
  const rss = [...out.matchAll(/^RSS (\d+) (\d+)$/gm)].map((m) => ({ records: Number(m[1]), mb: Number(m[2]) / 1e6 }));
  console.log(rss.map((r) => `${r.records} held: ${r.mb.toFixed(0)} MB`).join('\n'));
  expect(rss).toHaveLength(10);
  // from a tenth of the backlog to all of it, memory may not grow with it
  expect(rss.at(-1)!.mb - rss[0]!.mb).toBeLessThan(40);
  const drained = Number(/RSS drained (\d+)/.exec(out)![1]) / 1e6;
  expect(drained - rss[0]!.mb).toBeLessThan(60);
  const report = sim.report().streams;
  const total = Object.values(report).reduce((s, r) => s + r.unique, 0);
  expect(total).toBe(RECORDS);
  for (const r of Object.values(report)) expect(r).toMatchObject({ duplicates: 0, outOfOrder: 0, gaps: 0 });
}, 300_000);
