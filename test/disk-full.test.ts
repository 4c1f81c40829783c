// A full data disk under the real gateway: its data directory is an 8 MB tmpfs
// mounted by this test (root only: it fails, it does not skip, elsewhere). Low disk
// is an alarm and thins the readings first while transactions are still taken; a
// full disk answers 507 with the reason (never 500), makes /readyz 503 and shows on
// /admin and /metrics; once space is freed everything resumes, every top-up answered
// 2xx reaches the province, and no audit line is lost.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { freePort } from './helpers/ports.ts';

const MB = 1024 * 1024;
let gw: RunningGateway;
let mount = '';
let provincePort = 0;
let admin: Record<string, string> = {};
/** every top-up key sent, and its last answer */
const topups = new Map<string, number>();
let requests = 0;

const free = () => {
  const s = statfsSync(mount);
  return s.bavail * s.bsize;
};

/** Writes zeros into `file` until at most `leave` bytes are free; with 0, until the disk refuses (ENOSPC). */
function fill(file: string, leave: number): void {
  const fd = openSync(file, 'a');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    while (free() > leave + chunk.length) writeSync(fd, chunk);
    if (leave === 0) for (;;) writeSync(fd, chunk.subarray(0, 4096));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

async function topUp(key: string): Promise<{ status: number; body: { id?: string; status?: string; error?: string; reason?: string } }> {
  requests++;
  const r = await fetch(`${gw.url}/api/payments/topups`, { method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body: JSON.stringify({ key, account_id: 'zhang', amount_fen: 100 }) });
  topups.set(key, r.status);
  return { status: r.status, body: await r.json() };
}

const readyz = async (headers: Record<string, string> = {}) => {
  const r = await fetch(`${gw.url}/readyz`, { headers });
  return { status: r.status, body: await r.json() };
};
const metrics = async () => (await fetch(`${gw.url}/metrics`, { headers: admin })).text();
const metric = (text: string, name: string, labels: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((x) => l.includes(x)));
  return line ? Number(line.split(' ').at(-1)) : 0;
};
const province = (what: string, body?: unknown) =>
  fetch(`http://127.0.0.1:${provincePort}${what}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('disk-full.test.ts mounts an 8 MB tmpfs as the data directory: run it as root (npm test under .ci/run does)');
  mount = path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-disk-')), 'data');
  mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
  const base = await simulatorConfig();
  const devices = base.devices as { meters: Record<string, unknown>[] };
  provincePort = await freePort();
  gw = await startGateway({
    dataDir: mount,
    config: {
      ...base,
      simulators: { ...(base.simulators as object), province: { enabled: true, port: provincePort, token: 't', hmac_key: 'k' } },
      devices: { ...devices, meters: [{ ...devices.meters[0], poll_ms: 100 }] },
      uplinks: [{ id: 'province', type: 'http', url: `http://127.0.0.1:${provincePort}/ingest/{stream}`, token: 't', hmac_key: 'k', backoff: { min_ms: 100, max_ms: 500 } }],
      outbox: { readings_every_ms: 0, min_free_disk_mb: 3 },
      payments: { accounts: [{ id: 'zhang', person: '张三明', card_id: 'C001', opening_balance_fen: 0 }] },
    },
  });
  // the receiver is down: readings pile up unsent, as in an outage
  expect((await province('/control', { mode: 'error', status: 503 })).status).toBe(200);
  admin = (await gw.loginAs('admin')).headers;
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  if (mount) {
    execFileSync('umount', ['-l', mount]);
    rmSync(path.dirname(mount), { recursive: true, force: true });
  }
});

it('on a low disk raises an alarm and thins the readings first, while transactions are still taken', async () => {
  for (let i = 0; i < 5; i++) expect((await topUp(`low-${i}`)).status).toBe(200);
  await expect.poll(async () => metric(await metrics(), 'canteen_edge_outbox_backlog', 'stream="readings"'), { timeout: 30_000, interval: 200 }).toBeGreaterThan(60);
  fill(path.join(mount, 'filler-1'), 2 * MB);

  await expect.poll(async () => (await readyz()).body.alarms.join(' '), { timeout: 30_000, interval: 200 }).toMatch(/disk low/);
  const low = await readyz();
  expect(low.status).toBe(200);
  expect(low.body).toMatchObject({ ready: true, disk: { state: 'low' } });
  // readings are thinned (every 10th kept, then one per meter per hour), then new ones refused
  await expect.poll(async () => metric(await metrics(), 'canteen_edge_outbox_dropped_total', 'stream="readings",reason="thinned-every-10th"'), { timeout: 30_000, interval: 200 }).toBeGreaterThan(0);
  const text = await metrics();
  expect(metric(text, 'canteen_edge_disk_state', 'state="low"')).toBe(1);
  expect(metric(text, 'canteen_edge_disk_free_bytes', '')).toBeLessThan(3 * MB);
  // transactions are never thinned nor refused
  expect(text).not.toMatch(/canteen_edge_outbox_dropped_total\{stream="transactions"/);
  for (let i = 5; i < 10; i++) expect((await topUp(`low-${i}`)).status).toBe(200);
}, 90_000);

it('on a full disk answers 507 with the reason, never 500, and /readyz, /admin and /metrics say so', async () => {
  fill(path.join(mount, 'filler-2'), 0);
  let refused: { status: number; body: { error?: string; reason?: string } } | undefined;
  for (let i = 0; i < 500 && !refused; i++) {
    const r = await topUp(`full-${i}`);
    expect([200, 507]).toContain(r.status);
    if (r.status === 507) refused = r;
  }
  expect(refused, 'no top-up was refused on a full disk').toBeDefined();
  expect(refused!.body.reason).toBe('disk-full');
  expect(refused!.body.error).toMatch(/存储空间已满.*Storage full/);

  // refused from now on, with the same reason, until there is room again
  for (let i = 0; i < 3; i++) expect((await topUp(`full-more-${i}`)).status).toBe(507);
  const ready = await readyz();
  expect(ready.status).toBe(503);
  expect(ready.body.ready).toBe(false);
  expect(ready.body.reasons.join(' ')).toMatch(/disk full/);
  expect(ready.body.disk).toEqual({ state: 'full' });
  expect(ready.body.alarms.join(' ')).toMatch(/磁盘已满.*disk full/);
  const text = await metrics();
  expect(metric(text, 'canteen_edge_disk_state', 'state="full"')).toBe(1);
  expect(text).toMatch(/^canteen_edge_disk_free_bytes \d+/m);
  // the admin page's outbox panel shows the alarm (pushed every few seconds; /api/admin/ops has the same)
  await expect
    .poll(async () => ((await (await fetch(`${gw.url}/api/admin/ops`, { headers: admin })).json()).outbox?.alarms ?? []).join(' '), { timeout: 20_000, interval: 250 })
    .toMatch(/磁盘已满/);
}, 90_000);

it('resumes once space is freed: ready again, every top-up answered 2xx delivered, every audit line kept', async () => {
  rmSync(path.join(mount, 'filler-1'));
  rmSync(path.join(mount, 'filler-2'));
  await expect.poll(async () => (await readyz()).status, { timeout: 30_000, interval: 200 }).toBe(200);
  const resumed = await readyz();
  expect(resumed.body.disk).toEqual({ state: 'ok' });
  // the budget's refusals lift with the disk, not at its next 30 s run (readings and events were refused meanwhile)
  expect(resumed.body.alarms.join(' ')).not.toMatch(/refusing new/);

  // the refused ones are taken when sent again (same key: once in the ledger, once upstream)
  for (const [key, status] of [...topups]) if (status !== 200) expect((await topUp(key)).status).toBe(200);
  for (let i = 0; i < 3; i++) expect((await topUp(`after-${i}`)).status).toBe(200);
  const accounts = (await (await fetch(`${gw.url}/api/payments/accounts`, { headers: admin })).json()) as { id: string; balance_fen: number }[];
  expect(accounts.find((a) => a.id === 'zhang')!.balance_fen).toBe(100 * topups.size);

  await province('/control', { mode: 'ok' });
  await expect
    .poll(async () => new Set((await (await province('/ids/transactions')).json()) as string[]).size, { timeout: 60_000, interval: 500 })
    .toBe(topups.size);
  const received = new Set((await (await province('/ids/transactions')).json()) as string[]);
  for (const key of topups.keys()) expect([...received].some((id) => id.endsWith(`:transactions:${key}`)), key).toBe(true);

  // one audit line per request, also for those the full disk refused (kept in memory, written now)
  const audit = (await (await fetch(`${gw.url}/api/auth/audit?limit=1000`, { headers: admin })).json()) as { action: string; result: string }[];
  expect(audit.filter((a) => a.action === 'POST /api/payments/topups')).toHaveLength(requests);
  expect(audit.filter((a) => a.action === 'POST /api/payments/topups' && a.result === '507').length).toBeGreaterThan(0);
}, 120_000);
