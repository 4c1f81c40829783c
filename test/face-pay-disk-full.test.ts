// Face pay over Socket.IO on a full data disk (issue 12, a gap after part B): the real
// gateway with the real face models on a 16 MB tmpfs mounted by this test (root only: it
// fails, it does not skip, elsewhere). A diner matched and about to confirm when the disk
// fills gets the same honest answer as HTTP's 507 — the reason and a code the kiosk says in
// Chinese — never "internal error"; nothing is charged; once space is freed the same
// session confirms and pays.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FACE_MODELS, requireShared, SHARED_MODELS_DIR } from '../bench/face/photos.ts';
import type { FaceProgress } from '../gateway/wire/payments.ts';
import { kioskFrame, recordImpactAssessment } from './helpers/face.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

let gw: RunningGateway;
let kiosk: Socket;
let admin: Record<string, string>;
let mount = '';

const api = async (method: string, url: string, body?: unknown) => {
  const r = await fetch(`${gw.url}${url}`, { method, headers: { ...admin, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
};
const ack = <T,>(event: string, body: unknown) => kiosk.timeout(60_000).emitWithAck(event, body) as Promise<T>;
const balance = async () => ((await api('GET', '/api/payments/accounts')).body as { id: string; balance_fen: number }[]).find((a) => a.id === 'zhang')!.balance_fen;

/** Writes zeros into `file` until the disk refuses (ENOSPC). */
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
  if (process.getuid?.() !== 0) throw new Error('face-pay-disk-full.test.ts mounts a 16 MB tmpfs as the data directory: run it as root (npm test under .ci/run does)');
  requireShared(FACE_MODELS);
  mount = path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-face-disk-')), 'data');
  mkdirSync(mount);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mount]);
  const base = await simulatorConfig();
  const sims = base.simulators as { scale: Record<string, unknown> };
  gw = await startGateway({
    dataDir: mount,
    config: {
      ...base,
      devices: { ...(base.devices as object), cameras: [] },
      paths: { models_dir: SHARED_MODELS_DIR },
      simulators: { ...sims, scale: { ...sims.scale, plates_g: [487], cycle_ms: 3000 } },
      canteen: { pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 }, stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: 'plate', tare_g: 136 }] }] },
      payments: { accounts: [{ id: 'zhang', person: '张三明', card_id: 'C001', opening_balance_fen: 5000 }] },
      biometrics: { liveness: { max_gap_ms: 30_000 } },
      outbox: { min_free_disk_mb: 1 },
    },
  });
  admin = (await gw.loginAs('admin')).headers;
  await recordImpactAssessment(gw.url, admin);
  const { version } = (await api('GET', '/api/biometrics/consent-text')).body as { version: string };
  expect((await api('POST', '/api/biometrics/consents', { account_id: 'zhang', given_by: 'self', minor: false, text_version: version })).status).toBe(201);
  const enrol = await api('POST', '/api/biometrics/enrolments', { account_id: 'zhang', images: [(await kioskFrame('compreface_001_A.jpg', 1400)).toString('base64')] });
  expect(enrol.status, JSON.stringify(enrol.body)).toBe(201);
  const session = await gw.pairKiosk('checkout-1');
  kiosk = connect(`${gw.url}/kiosk`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: session.token } });
  await new Promise<void>((resolve, reject) => (kiosk.once('connect', resolve), kiosk.once('connect_error', reject)));
}, 120_000);

afterAll(async () => {
  kiosk?.close();
  await gw?.stop();
  if (mount) {
    execFileSync('umount', ['-l', mount]);
    rmSync(path.dirname(mount), { recursive: true, force: true });
  }
});

it('answers a face confirm on a full disk with the disk-full reason (507, code disk-full), charges nothing, and pays once space is freed', async () => {
  const station = async () => (await api('GET', '/api/canteen/stations/checkout-1')).body as { phase: string; line: { id: string } | null };
  await expect.poll(async () => (await station()).phase, { timeout: 30_000, interval: 50 }).toBe('priced');
  const sale = (await api('POST', '/api/canteen/stations/checkout-1/confirm', { lineId: (await station()).line!.id })).body as { id: string; status: string };
  expect(sale.status).toBe('awaiting_payment');
  const start = await ack<FaceProgress>('face:start', { saleId: sale.id });
  const jpeg = await kioskFrame('compreface_002_A.jpg');
  let p = start;
  for (let i = 0; i < 8 && p.state !== 'matched' && p.state !== 'declined'; i++) p = await ack<FaceProgress>('face:frame', { sessionId: start.sessionId, jpeg });
  expect(p.state, JSON.stringify(p)).toBe('matched');
  const before = await balance();

  // the disk fills: top-ups until one is refused (the gateway knows the disk is full now)
  fill(path.join(mount, 'filler'));
  let refused = false;
  for (let i = 0; i < 500 && !refused; i++) {
    const r = await api('POST', '/api/payments/topups', { key: `fill-${i}`, account_id: 'zhang', amount_fen: 1 });
    expect([200, 507]).toContain(r.status);
    refused = r.status === 507;
  }
  expect(refused, 'no top-up was refused on the full disk').toBe(true);
  const toppedUp = (await balance()) - before;

  const answer = await ack<Record<string, unknown>>('face:confirm', { sessionId: p.sessionId, key: 'face-disk-1' });
  expect(answer).toEqual({ error: expect.stringMatching(/^存储空间已满.*Storage full/), code: 'disk-full', status: 507 });
  expect(await balance()).toBe(before + toppedUp);
  expect((await api('GET', `/api/canteen/sales/${sale.id}`)).body).toMatchObject({ status: 'awaiting_payment' });

  // room again: the same session confirms (a new tap, a new key) and pays once
  rmSync(path.join(mount, 'filler'));
  await expect.poll(async () => (await fetch(`${gw.url}/readyz`)).status, { timeout: 30_000, interval: 200 }).toBe(200);
  const paid = await ack<FaceProgress>('face:confirm', { sessionId: p.sessionId, key: 'face-disk-2' });
  expect(paid).toMatchObject({ state: 'paid', transaction: { id: 'face-disk-2', status: 'approved' } });
  expect((await api('GET', `/api/canteen/sales/${sale.id}`)).body).toMatchObject({ status: 'paid', reference: 'face-disk-2' });
}, 180_000);
