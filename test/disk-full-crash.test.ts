// A crash while the data disk is full (issue 12, a gap after part B): staff audit lines
// that could not be written were kept in memory only, so a kill -9 before the disk had
// room lost them. The real gateway on an 8 MB tmpfs mounted by this test (root only: it
// fails, it does not skip, elsewhere): requests refused 507 on the full disk, kill -9,
// space freed, a new start on the same data directory — every request's audit line is there.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

let gw: RunningGateway;
let mount = '';
let config: Record<string, unknown>;

function fill(file: string): void {
  const fd = openSync(file, 'a');
  try {
    for (;;) writeSync(fd, Buffer.alloc(64 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  try {
    for (;;) writeSync(fd, Buffer.alloc(512));
  } catch {
    /* full to the last block */
  } finally {
    closeSync(fd);
  }
}

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('disk-full-crash.test.ts mounts an 8 MB tmpfs as the data directory: run it as root (npm test under .ci/run does)');
  mount = path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-disk-crash-')), 'data');
  mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
  const base = await simulatorConfig();
  config = {
    ...base,
    devices: { ...(base.devices as object), cameras: [] },
    outbox: { min_free_disk_mb: 1 },
    payments: { accounts: [{ id: 'zhang', person: '张三明', card_id: 'C001', opening_balance_fen: 0 }] },
  };
  gw = await startGateway({ dataDir: mount, config });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  if (mount) {
    execFileSync('umount', ['-l', mount]);
    rmSync(path.dirname(mount), { recursive: true, force: true });
  }
});

it('keeps the audit lines of requests refused on a full disk through a kill -9, and writes them at the next start', async () => {
  const admin = (await gw.loginAs('admin')).headers;
  const topUp = async (key: string) =>
    (await fetch(`${gw.url}/api/payments/topups`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ key, account_id: 'zhang', amount_fen: 100 }) })).status;
  fill(path.join(mount, 'filler'));
  const answers: number[] = [];
  for (let i = 0; i < 500 && !answers.includes(507); i++) answers.push(await topUp(`t-${i}`));
  for (let i = 0; i < 5; i++) answers.push(await topUp(`more-${i}`));
  expect(answers.slice(-5)).toEqual([507, 507, 507, 507, 507]);
  // some lines could not be written: the alarm says they wait
  const ready = (await (await fetch(`${gw.url}/readyz`, { headers: admin })).json()) as { alarms: string[] };
  expect(ready.alarms.join(' ')).toMatch(/\d+ audit lines kept/);

  expect((await gw.stop('SIGKILL')).signal).toBe('SIGKILL');
  rmSync(path.join(mount, 'filler'));
  gw = await startGateway({ dataDir: mount, config });
  const again = (await gw.loginAs('admin')).headers;
  const audit = (await (await fetch(`${gw.url}/api/auth/audit?limit=1000`, { headers: again })).json()) as { action: string; result: string }[];
  const topUps = audit.filter((a) => a.action === 'POST /api/payments/topups');
  expect(topUps).toHaveLength(answers.length);
  expect(topUps.filter((a) => a.result === '507')).toHaveLength(answers.filter((s) => s === 507).length);
}, 120_000);
