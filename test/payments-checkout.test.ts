// Paying a checkout sale by meal card through the running gateway: the sale is
// charged once however many times (and however concurrently) the kiosk submits,
// the balance and the reconciliation agree to the fen, and every transaction is
// in the outbox under its own id.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

let gw: RunningGateway;
let paidBy = '';
/** signed in as admin (accounts and sessions: gateway/auth) */
const admin = async () => (await gw.loginAs('admin')).headers;
const post = async (url: string, body: unknown) => fetch(`${gw.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(await admin()) }, body: JSON.stringify(body) });

beforeAll(async () => {
  const base = await simulatorConfig();
  const sims = base.simulators as { scale: Record<string, unknown> };
  gw = await startGateway({
    config: {
      ...base,
      simulators: { ...sims, scale: { ...sims.scale, plates_g: [487], cycle_ms: 3000 } },
      canteen: { pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 }, stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: 'plate', tare_g: 136 }] }] },
      payments: { meals: { breakfast: { subsidy_fen: 200 }, lunch: { subsidy_fen: 200 }, dinner: { subsidy_fen: 200 } }, accounts: [{ id: 'zhang', person: '张三明', card_id: 'C001', opening_balance_fen: 5000 }] },
    },
  });
}, 60_000);
afterAll(() => gw?.stop());

/** Waits for a priced plate and confirms it: a sale awaiting payment. */
async function saleAwaitingPayment(): Promise<{ id: string; totalFen: number }> {
  const state = async () => (await (await fetch(`${gw.url}/api/canteen/stations/checkout-1`, { headers: await admin() })).json()) as { phase: string; line: { id: string } | null };
  await expect.poll(async () => (await state()).phase, { timeout: 20_000, interval: 50 }).toBe('priced');
  const sale = await (await post('/api/canteen/stations/checkout-1/confirm', { lineId: (await state()).line!.id })).json();
  expect(sale.status).toBe('awaiting_payment');
  return sale;
}

it('charges a sale once whatever the kiosk resubmits, with the masked name and the balance', async () => {
  const sale = await saleAwaitingPayment();
  expect(sale.totalFen).toBe(901); // 352 g at 12.80 per 500 g
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post(`/api/payments/sales/${sale.id}/pay`, { key: i < 4 ? 'tap-1' : `tap-${i}`, card_id: 'C001' })));
  const bodies = await Promise.all(answers.map((r) => r.json()));
  const approved = bodies.filter((b) => b.transaction?.status === 'approved');
  const winner = approved[0].transaction.id as string; // whichever request the gateway took first
  expect(new Set(approved.map((b) => b.transaction.id))).toEqual(new Set([winner]));
  const keys = Array.from({ length: 8 }, (_, i) => (i < 4 ? 'tap-1' : `tap-${i}`));
  // every request with the winning key got the same answer; every other key was refused: already paid
  expect(approved.length).toBe(keys.filter((k) => k === winner).length);
  expect(answers.filter((r) => r.status === 409).length).toBe(keys.filter((k) => k !== winner).length);
  expect(approved[0]).toMatchObject({ person: '张*明', balance_fen: 5000 - (901 - 200) });
  paidBy = winner;
  const accounts = await (await fetch(`${gw.url}/api/payments/accounts`, { headers: await admin() })).json();
  expect(accounts[0].balance_fen).toBe(4299);
  expect((await (await fetch(`${gw.url}/api/canteen/sales/${sale.id}`, { headers: await admin() })).json())).toMatchObject({ status: 'paid', method: 'card', reference: winner });
});

it('declines an unknown card and leaves the sale waiting', async () => {
  await expect.poll(async () => (await (await fetch(`${gw.url}/api/canteen/stations/checkout-1`, { headers: await admin() })).json()).phase, { timeout: 20_000 }).toBe('zero');
  const sale = await saleAwaitingPayment();
  const r = await (await post(`/api/payments/sales/${sale.id}/pay`, { key: 'x-1', card_id: 'NOPE' })).json();
  expect(r.transaction).toMatchObject({ status: 'declined', reason: 'unknown_account' });
  expect((await (await fetch(`${gw.url}/api/canteen/sales/${sale.id}`, { headers: await admin() })).json()).status).toBe('awaiting_payment');
});

it('refunds by a supervisor, reconciles, and hands every transaction to the outbox', async () => {
  const supervisor = (await gw.loginAs('supervisor')).headers;
  const asSupervisor = (url: string, body: unknown) => fetch(`${gw.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', ...supervisor }, body: JSON.stringify(body) });
  // the actor is the signed-in supervisor, not a name the request claims
  expect((await asSupervisor('/api/payments/refunds', { key: 'refund-0', original_id: paidBy, amount_fen: 100, actor: 'someone-else' })).status).toBe(400);
  const refund = await asSupervisor('/api/payments/refunds', { key: 'refund-1', original_id: paidBy, amount_fen: 100 });
  expect(refund.status).toBe(200);
  expect(await refund.json()).toMatchObject({ kind: 'refund', amount_fen: 100, original_id: paidBy, balance_after_fen: 4399, actor: 'test-supervisor' });
  const bad = await asSupervisor('/api/payments/refunds', { key: 'refund-2', original_id: paidBy, amount_fen: 100_000 });
  expect(bad.status).toBe(409);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  const rec = await (await fetch(`${gw.url}/api/payments/reconciliation?date=${today}`, { headers: await admin() })).json();
  const sum = (kind: string) => rec.rows.filter((r: { kind: string }) => r.kind === kind).reduce((s: number, r: { amount_fen: number }) => s + r.amount_fen, 0);
  expect(sum('debit') - sum('refund')).toBe(5000 - 4399);
  const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
  const queued = db.prepare("SELECT id, json_extract(payload, '$.type') AS type, json_extract(payload, '$.status') AS status FROM outbox_records WHERE stream = 'transactions' AND json_extract(payload, '$.type') = 'payment' ORDER BY seq").all();
  db.close();
  expect(queued).toEqual([
    expect.objectContaining({ id: expect.stringMatching(new RegExp(`:transactions:${paidBy}$`)), status: 'approved' }),
    expect.objectContaining({ id: expect.stringMatching(/:transactions:x-1$/), status: 'declined' }),
    expect.objectContaining({ id: expect.stringMatching(/:transactions:refund-1$/), status: 'approved' }),
  ]);
});
