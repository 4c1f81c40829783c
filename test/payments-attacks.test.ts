// The payment holes of issue 11, each tried as an attacker would against the real
// running gateway over HTTP: an idempotency key replayed on another sale (card, bogus
// QR, wrong PIN), a bare account id as a credential (kiosk and cashier), 50 parallel
// PIN guesses, amounts that are not whole fen in bounds, and unknown card numbers kept
// in clear. Each of these passed on the code before this file; each must be refused.
// Sales are written by the canteen's own Ledger (test/helpers/sales.ts): no plate on
// the scale is needed to pay one.
import { createHmac } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { SaleSeeder } from './helpers/sales.ts';

const QR_SECRET = 'campus-app-secret-for-attack-tests';
let gw: RunningGateway;
let sales: SaleSeeder;
let admin: Record<string, string>;
let kiosk: Record<string, string>;
let cashier: Record<string, string>;
let supervisor: Record<string, string>;

type Answer = { status: number; body: any };
const call = async (headers: Record<string, string>, method: string, url: string, body?: unknown): Promise<Answer> => {
  const r = await fetch(`${gw.url}${url}`, { method, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body !== undefined ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
};
const pay = (saleId: string, body: Record<string, unknown>, as = kiosk) => call(as, 'POST', `/api/payments/sales/${saleId}/pay`, body);
const balance = async (id: string) => ((await call(admin, 'GET', '/api/payments/accounts')).body as { id: string; balance_fen: number }[]).find((a) => a.id === id)!.balance_fen;
const saleStatus = async (id: string) => (await call(admin, 'GET', `/api/canteen/sales/${id}`)).body.status as string;
const qrCode = (account: string, expiryS: number, secret = QR_SECRET) => `CE1.${account}.${expiryS}.${createHmac('sha256', secret).update(`${account}.${expiryS}`).digest('hex')}`;
const nowS = () => Math.floor(Date.now() / 1000);
const sql = <R,>(q: string, ...args: unknown[]): R[] => {
  const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
  try {
    return db.prepare(q).all(...args) as R[];
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  const base = await simulatorConfig();
  gw = await startGateway({
    config: {
      ...base,
      canteen: { stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2 }] },
      payments: {
        qr_secret: QR_SECRET,
        max_topup_fen: 100_000,
        max_balance_fen: 300_000,
        accounts: [
          { id: 'zhang', person: '张三明', card_id: 'C001', opening_balance_fen: 10_000 },
          { id: 'li', person: '李四', card_id: 'C002', opening_balance_fen: 10_000 },
          { id: 'wang', person: '王小五', card_id: 'C003', opening_balance_fen: 10_000 },
          { id: 'zhao', person: '赵六', card_id: 'C004', opening_balance_fen: 10_000 },
        ],
      },
    },
  });
  sales = new SaleSeeder(gw.dataDir);
  admin = (await gw.loginAs('admin')).headers;
  kiosk = (await gw.pairKiosk('checkout-1')).headers;
  cashier = (await gw.loginAs('cashier')).headers;
  supervisor = (await gw.loginAs('supervisor')).headers;
  expect((await call(admin, 'POST', '/api/payments/accounts/li/pin', { pin: '2468' })).status).toBe(204);
  expect((await call(admin, 'POST', '/api/payments/accounts/wang/pin', { pin: '135790' })).status).toBe(204);
}, 90_000);

afterAll(async () => {
  sales?.close();
  await gw?.stop();
});

describe('hole 1: an idempotency key is bound to what it first paid', () => {
  it('a card key replayed on another sale is 409 with the reason; that sale stays unpaid and nothing is charged', async () => {
    const [a, b] = [sales.sale(900), sales.sale(900)];
    const before = await balance('zhang');
    const first = await pay(a.id, { key: 'k-card', card_id: 'C001' });
    expect(first.body.transaction).toMatchObject({ status: 'approved', sale_id: a.id, amount_fen: 900 });
    const replayOnB = await pay(b.id, { key: 'k-card', card_id: 'C001' });
    expect(replayOnB).toMatchObject({ status: 409, body: { error: expect.stringMatching(/already used for another request \(sale differ\)/) } });
    expect(await saleStatus(b.id)).toBe('awaiting_payment');
    // the same request again gets the first answer, and charges nothing more
    expect(await pay(a.id, { key: 'k-card', card_id: 'C001' })).toEqual(first);
    expect(await balance('zhang')).toBe(before - 900);
  });

  it('a bogus QR code with a key that paid before is refused on its signature, never answered from the key', async () => {
    const b = sales.sale(700);
    const forged = `CE1.zhang.${nowS() + 60}.${'0'.repeat(64)}`;
    const r = await pay(b.id, { key: 'k-card', method: 'qr', qr: forged });
    expect(r).toMatchObject({ status: 400, body: { error: expect.stringMatching(/signature/) } });
    expect(await saleStatus(b.id)).toBe('awaiting_payment');
  });

  it('a wrong PIN with a key that paid before is not approved, on another sale or on the same one', async () => {
    const b = sales.sale(800);
    const onOther = await pay(b.id, { key: 'k-card', method: 'pin', account_id: 'zhang', pin: '0000' });
    expect(onOther.status).toBe(409);
    expect(await saleStatus(b.id)).toBe('awaiting_payment');
    // li pays b by PIN; the same key with a wrong PIN is no longer "the same request"
    const right = await pay(b.id, { key: 'k-pin', method: 'pin', account_id: 'li', pin: '2468' });
    expect(right.body.transaction).toMatchObject({ status: 'approved', method: 'pin' });
    const wrongReplay = await pay(b.id, { key: 'k-pin', method: 'pin', account_id: 'li', pin: '1111' });
    expect(wrongReplay).toMatchObject({ status: 409, body: { error: expect.stringMatching(/credential that verified/) } });
    expect(await pay(b.id, { key: 'k-pin', method: 'pin', account_id: 'li', pin: '2468' })).toEqual(right);
  });

  it('refund, void and top-up keys are bound too: another debit, account or amount is 409', async () => {
    const [a, b] = [sales.sale(600), sales.sale(600)];
    const da = (await pay(a.id, { key: 'd-a', card_id: 'C004' })).body.transaction.id;
    const db = (await pay(b.id, { key: 'd-b', card_id: 'C004' })).body.transaction.id;
    expect((await call(supervisor, 'POST', '/api/payments/refunds', { key: 'r-1', original_id: da, amount_fen: 100 })).status).toBe(200);
    expect(await call(supervisor, 'POST', '/api/payments/refunds', { key: 'r-1', original_id: db, amount_fen: 100 })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/original transaction differ/) } });
    expect(await call(supervisor, 'POST', '/api/payments/refunds', { key: 'r-1', original_id: da, amount_fen: 200 })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/amount differ/) } });
    expect((await call(supervisor, 'POST', '/api/payments/voids', { key: 'v-1', original_id: db })).status).toBe(200);
    expect((await call(supervisor, 'POST', '/api/payments/voids', { key: 'v-1', original_id: da })).status).toBe(409);
    const zhao = await balance('zhao');
    expect((await call(admin, 'POST', '/api/payments/topups', { key: 't-1', account_id: 'zhao', amount_fen: 500 })).status).toBe(200);
    expect((await call(admin, 'POST', '/api/payments/topups', { key: 't-1', account_id: 'zhao', amount_fen: 700 })).status).toBe(409);
    expect((await call(admin, 'POST', '/api/payments/topups', { key: 't-1', account_id: 'li', amount_fen: 500 })).status).toBe(409);
    expect((await call(admin, 'POST', '/api/payments/topups', { key: 't-1', account_id: 'zhao', amount_fen: 500 })).status).toBe(200); // the same top-up resent: merged once
    expect(await balance('zhao')).toBe(zhao + 500);
  });
});

describe('hole 2: an account id is never a credential', () => {
  it('a kiosk sending only an account id is refused with the reason; nothing is charged', async () => {
    const s = sales.sale(500);
    const before = await balance('wang');
    const r = await pay(s.id, { key: 'bare-1', account_id: 'wang' });
    expect(r).toMatchObject({ status: 400, body: { error: expect.stringMatching(/an account id is not a credential/) } });
    expect(await balance('wang')).toBe(before);
    expect(await saleStatus(s.id)).toBe('awaiting_payment');
  });

  it('a method that the credential does not prove is refused', async () => {
    const s = sales.sale(500);
    expect(await pay(s.id, { key: 'm-1', card_id: 'C003', method: 'qr' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/does not match the credential/) } });
    expect(await pay(s.id, { key: 'm-2', card_id: 'C003', qr: qrCode('wang', nowS() + 60) })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/one credential/) } });
    expect((await pay(s.id, { key: 'm-3', method: 'face', account_id: 'wang' })).status).toBe(400); // face pay only through the face pipeline's match
  });

  it('a cashier confirms or cancels a counter sale but cannot debit an account, by id or otherwise', async () => {
    const s = sales.sale(500);
    const before = await balance('wang');
    expect((await pay(s.id, { key: 'cashier-1', account_id: 'wang' }, cashier)).status).toBe(403);
    expect((await pay(s.id, { key: 'cashier-2', card_id: 'C003' }, cashier)).status).toBe(403);
    expect(await balance('wang')).toBe(before);
    expect((await call(cashier, 'POST', `/api/canteen/sales/${s.id}/paid`, {})).body).toMatchObject({ status: 'paid', method: 'counter' });
    const t = sales.sale(500);
    expect((await call(cashier, 'POST', `/api/canteen/sales/${t.id}/cancel`, {})).body).toMatchObject({ status: 'cancelled' });
  });
});

describe('hole 4: PIN guesses in parallel', () => {
  it('50 parallel tries check at most payments.pin.max_failures (5); the lock then holds, even for the right PIN', async () => {
    const s = sales.sale(500);
    const pins = Array.from({ length: 50 }, (_, i) => String(100_000 + i)); // all wrong: wang's is 135790
    const answers = await Promise.all(pins.map((pin, i) => pay(s.id, { key: `guess-${i}`, method: 'pin', account_id: 'wang', pin })));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const reasons = answers.map((a) => a.body.transaction.reason as string);
    const checked = reasons.filter((r) => r !== 'pin_locked');
    expect(checked.length).toBeLessThanOrEqual(5);
    expect(checked.every((r) => r === 'wrong_pin')).toBe(true);
    expect((await pay(s.id, { key: 'guess-right', method: 'pin', account_id: 'wang', pin: '135790' })).body.transaction).toMatchObject({ status: 'declined', reason: 'pin_locked' });
    expect(await saleStatus(s.id)).toBe('awaiting_payment');
  });
});

describe('hole 6: amounts are whole fen within bounds', () => {
  it('top-ups of 1e308, 1.7e308, 2^53+2, a fraction, a string or above payments.max_topup_fen are 400 with the reason', async () => {
    const before = await balance('li');
    for (const raw of ['1e308', '1.7e308', String(2 ** 53 + 2), '12.5', '"100"', '100001', '-5', '0']) {
      const r = await call(admin, 'POST', '/api/payments/topups', `{"key":"bad-${raw.replace(/\W/g, '')}","account_id":"li","amount_fen":${raw}}`);
      expect(r.status, raw).toBe(400);
      expect(r.body.error, raw).toMatch(/amount_fen/);
    }
    expect(await balance('li')).toBe(before);
    const sums = sql<{ t: string }>("SELECT DISTINCT typeof(balance_fen) AS t FROM payment_accounts UNION SELECT DISTINCT typeof(amount_fen) FROM payment_transactions");
    expect(sums).toEqual([{ t: 'integer' }]);
  });

  it('a refund amount sent as a string is refused, not coerced', async () => {
    const s = sales.sale(400);
    const d = (await pay(s.id, { key: 'd-str', card_id: 'C002' })).body.transaction.id;
    expect(await call(supervisor, 'POST', '/api/payments/refunds', { key: 'r-str', original_id: d, amount_fen: '100' })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/amount_fen: got "100".*not in quotes/) } });
  });

  it('a top-up that would take the balance above payments.max_balance_fen is 409', async () => {
    const now = await balance('zhao');
    const keys = Array.from({ length: Math.ceil((300_000 - now) / 100_000) + 1 }, (_, i) => `cap-${i}`);
    const answers = [];
    for (const key of keys) answers.push((await call(admin, 'POST', '/api/payments/topups', { key, account_id: 'zhao', amount_fen: 100_000 })).status);
    expect(answers.at(-1)).toBe(409);
    expect(await balance('zhao')).toBeLessThanOrEqual(300_000);
  });
});

describe('hole 8: unknown card numbers are not kept in clear', () => {
  it('a decline for an unknown card records a keyed hash, not the number, in the ledger and the outbox', async () => {
    const s = sales.sale(300);
    const number = 'CARD-6222021234567890';
    const r = await pay(s.id, { key: 'unknown-card', card_id: number });
    expect(r.body.transaction).toMatchObject({ status: 'declined', reason: 'unknown_account', account_id: expect.stringMatching(/^unknown:[0-9a-f]{16}$/) });
    expect(JSON.stringify(r.body)).not.toContain(number);
    // the same unknown card again is recognisable as the same (one hash), without its number
    const again = await pay(s.id, { key: 'unknown-card-2', card_id: number });
    expect(again.body.transaction.account_id).toBe(r.body.transaction.account_id);
    const stored = sql<{ n: number }>("SELECT COUNT(*) AS n FROM payment_transactions WHERE instr(account_id, ?) > 0 OR instr(COALESCE(reason, ''), ?) > 0", number, number);
    const queued = sql<{ n: number }>('SELECT COUNT(*) AS n FROM outbox_records WHERE instr(payload, ?) > 0', number);
    expect([stored[0]!.n, queued[0]!.n]).toEqual([0, 0]);
  });
});
