// The other ways to pay, through the running gateway: PIN (set by an admin, scrypt at
// rest, locked after 5 wrong in a row) and the campus app's QR code (HMAC-signed,
// short-lived). The uplink is down the whole time: every transaction waits in the
// outbox and reaches the provincial simulator once it is back.
import { createHmac } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProvinceSim } from '../gateway/sim/province/province.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

const QR_SECRET = 'campus-app-secret-for-tests';
const SUBSIDY = 200;
let gw: RunningGateway;
let sim: ProvinceSim;
let admin: Record<string, string>;
let kiosk: Record<string, string>;

const call = async (headers: Record<string, string>, method: string, url: string, body?: unknown) => {
  const r = await fetch(`${gw.url}${url}`, { method, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
};
const pay = (saleId: string, body: Record<string, unknown>) => call(kiosk, 'POST', `/api/payments/sales/${saleId}/pay`, body);
const balance = async (id: string) => ((await call(admin, 'GET', '/api/payments/accounts')).body as { id: string; balance_fen: number }[]).find((a) => a.id === id)!.balance_fen;
/** the code as the campus app makes it: written out here, not with the gateway's own helper */
const qrCode = (account: string, expiryS: number, secret = QR_SECRET) => `CE1.${account}.${expiryS}.${createHmac('sha256', secret).update(`${account}.${expiryS}`).digest('hex')}`;
const nowS = () => Math.floor(Date.now() / 1000);

async function saleAwaitingPayment(): Promise<{ id: string; totalFen: number }> {
  const state = async () => (await call(admin, 'GET', '/api/canteen/stations/checkout-1')).body as { phase: string; line: { id: string } | null };
  await expect.poll(async () => (await state()).phase, { timeout: 30_000, interval: 50 }).toBe('priced');
  const sale = (await call(admin, 'POST', '/api/canteen/stations/checkout-1/confirm', { lineId: (await state()).line!.id })).body;
  expect(sale.status).toBe('awaiting_payment');
  return sale;
}
const nextPlate = () => expect.poll(async () => (await call(admin, 'GET', '/api/canteen/stations/checkout-1')).body.phase, { timeout: 30_000 }).toBe('zero');

beforeAll(async () => {
  sim = new ProvinceSim({ host: '127.0.0.1', httpPort: 0, token: 'tok', hmacKey: 'key' });
  await sim.start();
  sim.http.fault = { mode: 'error', status: 503 }; // the uplink is down
  const base = await simulatorConfig();
  const sims = base.simulators as { scale: Record<string, unknown> };
  gw = await startGateway({
    config: {
      ...base,
      simulators: { ...sims, scale: { ...sims.scale, plates_g: [487], cycle_ms: 3000 } },
      canteen: { pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 }, stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: 'plate', tare_g: 136 }] }] },
      payments: {
        meals: { breakfast: { subsidy_fen: SUBSIDY }, lunch: { subsidy_fen: SUBSIDY }, dinner: { subsidy_fen: SUBSIDY } },
        qr_secret: QR_SECRET,
        accounts: [
          { id: 'zhang', person: '张三明', card_id: 'C001', opening_balance_fen: 5000 },
          { id: 'wang', person: '王小五', card_id: 'C003', opening_balance_fen: 5000 },
          { id: 'li', person: '李四', card_id: 'C002', opening_balance_fen: 5000 },
        ],
      },
      uplinks: [{ id: 'province', type: 'http', url: `http://127.0.0.1:${sim.httpPort}/ingest/{stream}`, token: 'tok', hmac_key: 'key', backoff: { min_ms: 50, max_ms: 300, offline_after_ms: 500 } }],
    },
  });
  admin = (await gw.loginAs('admin')).headers;
  kiosk = (await gw.pairKiosk('checkout-1')).headers;
}, 90_000);

afterAll(async () => {
  await gw?.stop();
  await sim?.stop();
});

describe('PIN', () => {
  it('an admin sets a PIN of 4–6 digits; it is stored as an scrypt hash', async () => {
    expect((await call(admin, 'POST', '/api/payments/accounts/zhang/pin', { pin: '12' })).status).toBe(400);
    expect((await call(admin, 'POST', '/api/payments/accounts/zhang/pin', { pin: 'abcd' })).status).toBe(400);
    expect((await call(admin, 'POST', '/api/payments/accounts/nobody/pin', { pin: '1234' })).status).toBe(404);
    expect((await call(kiosk, 'POST', '/api/payments/accounts/zhang/pin', { pin: '1234' })).status).toBe(403);
    expect((await call(admin, 'POST', '/api/payments/accounts/zhang/pin', { pin: '4321' })).status).toBe(204);
    expect((await call(admin, 'POST', '/api/payments/accounts/wang/pin', { pin: '135790' })).status).toBe(204);
    const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
    const rows = db.prepare('SELECT account_id, hash FROM payment_pins ORDER BY account_id').all() as { account_id: string; hash: string }[];
    db.close();
    expect(rows.map((r) => r.account_id)).toEqual(['wang', 'zhang']);
    for (const r of rows) {
      expect(r.hash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[\w-]+\$[\w-]+$/);
      expect(r.hash).not.toContain('4321');
    }
  });

  it('a wrong PIN is declined and leaves the sale waiting; the right one pays, charged exactly once', async () => {
    const sale = await saleAwaitingPayment();
    const wrong = await pay(sale.id, { key: 'pin-1', method: 'pin', account_id: 'zhang', pin: '0000' });
    expect(wrong.status).toBe(200);
    expect(wrong.body.transaction).toMatchObject({ status: 'declined', reason: 'wrong_pin', method: 'pin' });
    expect((await call(admin, 'GET', `/api/canteen/sales/${sale.id}`)).body.status).toBe('awaiting_payment');
    expect((await pay(sale.id, { key: 'pin-x', method: 'pin', account_id: 'zhang' })).status).toBe(400); // no PIN given
    expect((await pay(sale.id, { key: 'pin-x', method: 'card', account_id: 'zhang', pin: '4321' })).status).toBe(400); // a PIN is not a card
    const before = await balance('zhang');
    const right = await pay(sale.id, { key: 'pin-2', method: 'pin', account_id: 'zhang', pin: '4321' });
    expect(right.body).toMatchObject({ person: '张*明', transaction: { status: 'approved', method: 'pin', amount_fen: sale.totalFen - SUBSIDY } });
    expect(await pay(sale.id, { key: 'pin-2', method: 'pin', account_id: 'zhang', pin: '4321' })).toEqual(right);
    expect(await balance('zhang')).toBe(before - (sale.totalFen - SUBSIDY));
    expect((await call(admin, 'GET', `/api/canteen/sales/${sale.id}`)).body).toMatchObject({ status: 'paid', method: 'pin', reference: 'pin-2' });
  });

  it('locks PIN pay after 5 wrong PINs in a row (a resubmitted request is checked again, so it counts again); then even the right PIN is refused', async () => {
    await nextPlate();
    const sale = await saleAwaitingPayment();
    const reasons: string[] = [];
    for (const key of ['w-1', 'w-1', 'w-1', 'w-2', 'w-3', 'w-4', 'w-5']) {
      reasons.push((await pay(sale.id, { key, method: 'pin', account_id: 'wang', pin: '999999' })).body.transaction.reason);
    }
    // w-1 resubmitted is answered from the ledger (its first answer) after its PIN was checked again: 5 checks lock
    expect(reasons).toEqual(['wrong_pin', 'wrong_pin', 'wrong_pin', 'wrong_pin', 'wrong_pin', 'pin_locked', 'pin_locked']);
    const locked = await pay(sale.id, { key: 'w-6', method: 'pin', account_id: 'wang', pin: '135790' });
    expect(locked.body.transaction).toMatchObject({ status: 'declined', reason: 'pin_locked' });
    expect(await balance('wang')).toBe(5000);
    // the card still works for the same person: PIN is one way among several
    const card = await pay(sale.id, { key: 'card-1', card_id: 'C003' });
    expect(card.body.transaction).toMatchObject({ status: 'approved', method: 'card' });
  });
});

describe('QR code', () => {
  it('pays with a valid code; refuses an expired, a forged, a too-long-lived and a garbled one with the reason', async () => {
    await nextPlate();
    const sale = await saleAwaitingPayment();
    const expired = await pay(sale.id, { key: 'qr-1', method: 'qr', qr: qrCode('li', nowS() - 5) });
    expect(expired).toMatchObject({ status: 400, body: { error: expect.stringMatching(/expired/) } });
    const forged = await pay(sale.id, { key: 'qr-2', method: 'qr', qr: qrCode('li', nowS() + 60, 'not-the-secret') });
    expect(forged).toMatchObject({ status: 400, body: { error: expect.stringMatching(/signature/) } });
    const tampered = qrCode('li', nowS() + 60).replace('CE1.li.', 'CE1.zhang.');
    expect((await pay(sale.id, { key: 'qr-3', method: 'qr', qr: tampered })).body.error).toMatch(/signature/);
    expect((await pay(sale.id, { key: 'qr-4', method: 'qr', qr: qrCode('li', nowS() + 86_400) })).body.error).toMatch(/more than 300 s ahead/);
    expect((await pay(sale.id, { key: 'qr-5', method: 'qr', qr: 'hello' })).body.error).toMatch(/not a payment code/);
    expect(await balance('li')).toBe(5000);
    const ok = await pay(sale.id, { key: 'qr-6', method: 'qr', qr: qrCode('li', nowS() + 120) });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ person: '李*', transaction: { status: 'approved', method: 'qr', account_id: 'li' } });
    expect(await balance('li')).toBe(5000 - (sale.totalFen - SUBSIDY));
  });
});

describe('without the face models', () => {
  it('face pay is unavailable (an answer, not a failure) and every other way still pays', async () => {
    // this gateway's models dir (<data_dir>/models) is empty
    const socket = connect(`${gw.url}/kiosk`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: (await gw.pairKiosk('checkout-1')).token } });
    await new Promise<void>((resolve, reject) => (socket.once('connect', resolve), socket.once('connect_error', reject)));
    const answer = await socket.timeout(10_000).emitWithAck('face:start', { saleId: 'any' });
    socket.close();
    expect(answer).toEqual({ code: 'face_pay_unavailable', error: expect.stringMatching(/face pay unavailable: model\(s\) .*MobileFaceNet.* missing/) });
    expect((await call(kiosk, 'GET', '/api/biometrics/consent-text')).status).toBe(200);
    expect(gw.stdout()).toMatch(/face pay unavailable/);
  });
});

describe('offline', () => {
  it('kept every transaction in the outbox while the uplink was down, and delivers them all once it is back', async () => {
    const ids = ['pin-1', 'pin-2', 'w-1', 'w-2', 'w-3', 'w-4', 'w-5', 'w-6', 'card-1', 'qr-6'];
    expect(sim.ledger.ids('transactions')).toEqual([]);
    const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
    const queued = (db.prepare("SELECT id FROM outbox_records WHERE stream = 'transactions' AND json_extract(payload, '$.type') = 'payment'").pluck().all() as string[]).map((id) => id.split(':').at(-1));
    db.close();
    expect(queued.sort()).toEqual([...ids].sort());
    sim.http.fault = { mode: 'ok' };
    await expect.poll(() => sim.ledger.ids('transactions').filter((id) => ids.includes(id.split(':').at(-1)!)).length, { timeout: 30_000, interval: 100 }).toBe(ids.length);
    expect(sim.report().streams.transactions).toMatchObject({ duplicates: 0, gaps: 0 });
  });
});
