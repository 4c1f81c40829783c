// The ledger's invariants under random concurrent use, on the real running gateway:
// fast-check draws a few accounts and sales per run and a handful of operations — pay
// (card, QR, right or wrong PIN), replay a request, pay with a key of another request,
// refund, void, top-up (good and bad amounts), PIN tries — and sends them all at once
// over HTTP. After every run:
//   - every paid sale has exactly one approved debit, equal to its total, and no
//     approved debit belongs to a sale that is not paid;
//   - every balance = opening balance + Σ approved transactions;
//   - no balance is below its credit limit;
//   - every approved transaction is in the outbox;
//   - no request was answered 5xx.
// One gateway for the file; fresh accounts and sales per run (test/helpers/sales.ts).
// PROPERTY_RUNS (default 200) sets the number of runs.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hashPassword } from '../gateway/auth/passwords.ts';
import { PaymentLedger } from '../gateway/payments/ledger.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { SaleSeeder } from './helpers/sales.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);
const QR_SECRET = 'campus-app-secret-for-property-tests';
const PIN = '4826';
const SUBSIDY = 150;
let gw: RunningGateway;
let seeder: SaleSeeder;
let accountsLedger: PaymentLedger;
let pinHash: string;
let admin: Record<string, string>;
let kiosk: Record<string, string>;
let supervisor: Record<string, string>;
let run = 0;
/** what the runs did, so that a property that tests nothing shows: "<op> <status> <transaction status/reason>" → count */
const seen = new Map<string, number>();

const post = async (headers: Record<string, string>, url: string, body: unknown): Promise<{ status: number; body: any }> => {
  const r = await fetch(`${gw.url}${url}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
};
const qrCode = (account: string) => {
  const expiry = Math.floor(Date.now() / 1000) + 120;
  return `CE1.${account}.${expiry}.${createHmac('sha256', QR_SECRET).update(`${account}.${expiry}`).digest('hex')}`;
};

beforeAll(async () => {
  const base = await simulatorConfig();
  gw = await startGateway({
    config: {
      ...base,
      log: { level: 'warn' },
      canteen: { stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2 }] },
      payments: {
        qr_secret: QR_SECRET,
        meals: { breakfast: { subsidy_fen: SUBSIDY }, lunch: { subsidy_fen: SUBSIDY }, dinner: { subsidy_fen: SUBSIDY } },
        max_topup_fen: 5000,
        max_balance_fen: 20_000,
        pin: { max_failures: 3 },
      },
    },
  });
  seeder = new SaleSeeder(gw.dataDir);
  // accounts as the central card system would create them: straight into the ledger's table
  accountsLedger = new PaymentLedger(seeder.db, { meals: {}, bounds: { maxTopupFen: 5000, maxBalanceFen: 20_000 } });
  pinHash = await hashPassword(PIN);
  admin = (await gw.loginAs('admin')).headers;
  kiosk = (await gw.pairKiosk('checkout-1')).headers;
  supervisor = (await gw.loginAs('supervisor')).headers;
}, 90_000);

afterAll(async () => {
  seeder?.close();
  await gw?.stop();
});

type Via = 'card' | 'qr' | 'pin' | 'wrong-pin';
type Op =
  | { op: 'pay'; sale: number; account: number; via: Via; key: number }
  | { op: 'replay'; of: number }
  | { op: 'refund'; sale: number; amount: number | null; key: number }
  | { op: 'void'; sale: number; key: number }
  | { op: 'topup'; account: number; amount: unknown; key: number };

const ACCOUNTS = 2;
const SALES = 3;
const KEYS = 6; // a small pool: keys collide across requests often
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('pay' as const), sale: fc.nat(SALES - 1), account: fc.nat(ACCOUNTS - 1), via: fc.constantFrom<Via>('card', 'qr', 'pin', 'wrong-pin'), key: fc.nat(KEYS - 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('replay' as const), of: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('refund' as const), sale: fc.nat(SALES - 1), amount: fc.option(fc.integer({ min: 1, max: 2500 })), key: fc.nat(KEYS - 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('void' as const), sale: fc.nat(SALES - 1), key: fc.nat(KEYS - 1) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('topup' as const),
      account: fc.nat(ACCOUNTS - 1),
      amount: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 5000 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(0, -1, 1e308, 2 ** 53 + 2, 12.5, '100', 5001) }),
      key: fc.nat(KEYS - 1),
    }),
  },
);
const runArb = fc.record({
  accounts: fc.array(fc.record({ opening: fc.integer({ min: 0, max: 3000 }), credit: fc.integer({ min: 0, max: 500 }), pin: fc.boolean() }), { minLength: ACCOUNTS, maxLength: ACCOUNTS }),
  sales: fc.array(fc.integer({ min: 1, max: 2000 }), { minLength: SALES, maxLength: SALES }),
  // two waves: every op of a wave is sent at once; the second finds the first's debits to refund and void
  ops: fc.array(fc.tuple(fc.nat(1), opArb), { minLength: 2, maxLength: 6 }),
});

it(`keeps the ledger's invariants over ${RUNS} runs of random concurrent payments, replays, refunds, voids, top-ups and PIN tries`, async () => {
  await fc.assert(
    fc.asyncProperty(runArb, async ({ accounts, sales, ops: waved }) => {
      const ops = waved.map(([, o]) => o);
      // refunds and voids go in the second wave, where the first wave's debits exist (most of the time)
      const waveOf = (i: number) => (ops[i]!.op === 'refund' || ops[i]!.op === 'void' ? 1 : waved[i]![0]);
      const r = `p${run++}`;
      const at = Date.now();
      const ids = accounts.map((a, i) => {
        const id = `${r}-acc${i}`;
        accountsLedger.upsertAccount({ id, person: `测试${i}`, card_id: `${r}-card${i}`, credit_limit_fen: a.credit, opening_balance_fen: a.opening }, at);
        if (a.pin) seeder.db.prepare("INSERT INTO payment_pins (account_id, hash, set_by, updated_at) VALUES (?, ?, 'test', ?)").run(id, pinHash, at);
        return id;
      });
      const saleIds = sales.map((total) => seeder.sale(total).id);
      const key = (k: number) => `${r}-k${k}`;
      // the n-th approved debit of this run's sales when the request is sent (none yet: an id that does not exist)
      const debitOf = (n: number) => {
        const debits = seeder.db.prepare(`SELECT id FROM payment_transactions WHERE sale_id IN (${saleIds.map(() => '?').join(', ')}) AND kind = 'debit' AND status = 'approved' ORDER BY id`).pluck().all(...saleIds) as string[];
        return debits.length ? debits[n % debits.length]! : `${r}-no-debit`;
      };

      const requestOf = (o: Op): (() => Promise<{ status: number; body: any }>) => {
        switch (o.op) {
          case 'pay': {
            const acc = ids[o.account]!;
            const body =
              o.via === 'card' ? { card_id: `${r}-card${o.account}` } : o.via === 'qr' ? { method: 'qr', qr: qrCode(acc) } : { method: 'pin', account_id: acc, pin: o.via === 'pin' ? PIN : '0000' };
            return () => post(kiosk, `/api/payments/sales/${saleIds[o.sale]}/pay`, { key: key(o.key), ...body });
          }
          case 'replay': {
            // the same request again as one drawn before it (none: nothing to replay)
            const target = ops.slice(0, ops.indexOf(o)).filter((t) => t.op !== 'replay')[o.of % Math.max(1, ops.indexOf(o))];
            return target ? requestOf(target) : () => Promise.resolve({ status: 200, body: { skipped: true } });
          }
          case 'refund':
            return () => post(supervisor, '/api/payments/refunds', { key: key(o.key), original_id: debitOf(o.sale), ...(o.amount === null ? {} : { amount_fen: o.amount }) });
          case 'void':
            return () => post(supervisor, '/api/payments/voids', { key: key(o.key), original_id: debitOf(o.sale) });
          case 'topup':
            return () => post(admin, '/api/payments/topups', { key: key(o.key), account_id: ids[o.account], amount_fen: o.amount });
        }
      };
      const answers: { status: number; body: any }[] = [];
      for (const wave of [0, 1]) {
        const idx = ops.flatMap((_, i) => (waveOf(i) === wave ? [i] : []));
        const got = await Promise.all(idx.map((i) => requestOf(ops[i]!)()));
        idx.forEach((i, j) => (answers[i] = got[j]!));
      }
      answers.forEach((a, i) => {
        if (a.body?.skipped) return;
        expect([200, 400, 404, 409], JSON.stringify(a.body)).toContain(a.status);
        const tx = a.body?.transaction ?? a.body;
        const what = `${ops[i]!.op} ${a.status}${tx?.status ? ` ${tx.status}${tx.reason ? `:${tx.reason}` : ''}` : ''}`;
        seen.set(what, (seen.get(what) ?? 0) + 1);
      });
      await new Promise((resolve) => setImmediate(resolve));
      checkInvariants(ids, accounts.map((a) => a.opening), saleIds);
    }),
    { numRuns: RUNS, seed: process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : undefined },
  );
  const tally = Object.fromEntries([...seen].sort());
  process.stderr.write(`payments property, ${RUNS} runs: ${JSON.stringify(tally)}\n`);
  // the runs did reach the interesting cases (not a property that checks nothing)
  const count = (re: RegExp) => [...seen].filter(([k]) => re.test(k)).reduce((n, [, v]) => n + v, 0);
  if (RUNS >= 100) {
    for (const re of [/^pay 200 approved$/, /^pay 200 declined:wrong_pin$/, /^pay 409/, /^refund 200/, /^void 200/, /^topup 200/, /^topup 400/]) expect(count(re), String(re)).toBeGreaterThan(0);
  }
}, 600_000);

function checkInvariants(accountIds: string[], openings: number[], saleIds: string[]): void {
  const db = seeder.db;
  for (const saleId of saleIds) {
    const sale = db.prepare('SELECT status, total_fen, method, reference FROM canteen_sales WHERE id = ?').get(saleId) as { status: string; total_fen: number; method: string | null; reference: string | null };
    const debits = db.prepare("SELECT id, amount_fen, subsidy_fen FROM payment_transactions WHERE sale_id = ? AND kind = 'debit' AND status = 'approved'").all(saleId) as { id: string; amount_fen: number; subsidy_fen: number }[];
    if (sale.status === 'paid') {
      expect(debits, `paid sale ${saleId}`).toHaveLength(1);
      expect(debits[0]!.amount_fen + debits[0]!.subsidy_fen).toBe(sale.total_fen);
      expect(sale.reference).toBe(debits[0]!.id);
    } else expect(debits, `unpaid sale ${saleId} (${sale.status})`).toEqual([]);
  }
  accountIds.forEach((id, i) => {
    const acc = db.prepare('SELECT balance_fen, credit_limit_fen FROM payment_accounts WHERE id = ?').get(id) as { balance_fen: number; credit_limit_fen: number };
    const moved = db
      .prepare("SELECT COALESCE(SUM(CASE kind WHEN 'debit' THEN -amount_fen ELSE amount_fen END), 0) FROM payment_transactions WHERE account_id = ? AND status = 'approved'")
      .pluck()
      .get(id) as number;
    expect(acc.balance_fen, `balance of ${id}`).toBe(openings[i]! + moved);
    expect(Number.isSafeInteger(acc.balance_fen)).toBe(true);
    expect(acc.balance_fen, `credit limit of ${id}`).toBeGreaterThanOrEqual(-acc.credit_limit_fen);
    const missing = db
      .prepare(
        `SELECT t.id FROM payment_transactions t WHERE t.account_id = ? AND t.status = 'approved'
         AND NOT EXISTS (SELECT 1 FROM outbox_records o WHERE o.stream = 'transactions' AND json_extract(o.payload, '$.type') = 'payment' AND json_extract(o.payload, '$.id') = t.id AND json_extract(o.payload, '$.status') = 'approved')`,
      )
      .pluck()
      .all(id);
    expect(missing, `approved transactions of ${id} not in the outbox`).toEqual([]);
  });
}
