import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PaymentLedger } from '../gateway/payments/ledger.ts';
import { openDatabase, readMigrations } from '../gateway/store/sqlite.ts';

const DAY = '2026-11-26';
function ledger(dailyCapFen?: number) {
  const l = new PaymentLedger(openDatabase(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-pay-'))), { meals: { lunch: { subsidy_fen: 500 } }, dailyCapFen, bounds: { maxTopupFen: 200_000, maxBalanceFen: 1_000_000 } });
  l.upsertAccount({ id: 'zhang', person: '张三明', card_id: 'C001', opening_balance_fen: 2000 }, 0);
  l.upsertAccount({ id: 'li', person: '李四', card_id: 'C002', opening_balance_fen: 100, credit_limit_fen: 300 }, 0);
  return l;
}
const lunch = (key: string, accountId: string, priceFen: number) => ({ key, accountId, priceFen, method: 'card' as const, meal: 'lunch', day: DAY, at: 1, station: 'checkout-1' });

describe('meal-card ledger', () => {
  it('charges the meal less the subsidy and returns the same result for a resubmitted key', () => {
    const l = ledger();
    const first = l.debit(lunch('k1', 'zhang', 1280));
    expect(first).toMatchObject({ status: 'approved', amount_fen: 780, subsidy_fen: 500, balance_after_fen: 1220 });
    const again = l.debit(lunch('k1', 'zhang', 1280));
    expect(again).toEqual(first);
    expect(l.account('zhang')!.balance_fen).toBe(1220); // charged once
  });

  it('refuses a key reused for another account', () => {
    const l = ledger();
    l.debit(lunch('k1', 'zhang', 900));
    expect(() => l.debit(lunch('k1', 'li', 900))).toThrow(/already used for another request \(account differ\)/);
  });

  it('binds a key to what it first paid: another sale, method or amount is a 409, not the first answer', () => {
    const l = ledger();
    l.debit({ ...lunch('k1', 'zhang', 900), saleId: 'sale-a' });
    expect(() => l.debit({ ...lunch('k1', 'zhang', 900), saleId: 'sale-b' })).toThrow(/sale differ/);
    expect(() => l.debit({ ...lunch('k1', 'zhang', 900), saleId: 'sale-a', method: 'qr' })).toThrow(/method differ/);
    expect(() => l.debit({ ...lunch('k1', 'zhang', 901), saleId: 'sale-a' })).toThrow(/amount differ/);
    expect(() => l.topUp('k1', 'zhang', 900, 2, DAY)).toThrow(/\(kind differ\)/);
    // a credential that did not verify never gets an approved key's answer
    expect(() => l.declined({ ...lunch('k1', 'zhang', 900), saleId: 'sale-a' }, 'wrong_pin')).toThrow(/approved with a credential that verified/);
    expect(l.account('zhang')!.balance_fen).toBe(1600);
  });

  it('takes amounts only as whole fen within the bounds, and the database refuses anything else', () => {
    const l = ledger();
    for (const bad of [1e308, Infinity, NaN, 2 ** 53 + 2, 12.5, -1, 0, '100' as unknown as number, 200_001]) expect(() => l.topUp(`t-${String(bad)}`, 'zhang', bad, 1, DAY)).toThrow(/amount_fen/);
    expect(() => l.refund('r', 'x', 1e308, 'sup', 1, DAY)).toThrow(/amount_fen/);
    l.topUp('big', 'zhang', 200_000, 1, DAY);
    for (let i = 0; i < 3; i++) l.topUp(`more-${i}`, 'zhang', 200_000, 1, DAY); // 802000
    expect(() => l.topUp('over', 'zhang', 200_000, 1, DAY)).toThrow(/above the most an account may hold/);
    const db = (l as unknown as { db: import('better-sqlite3').Database }).db;
    for (const v of [1e308, Infinity, -Infinity, 2 ** 53 + 2, 1.5]) {
      expect(() => db.prepare('UPDATE payment_accounts SET balance_fen = ? WHERE id = ?').run(v, 'zhang')).toThrow(/CHECK constraint failed/);
      expect(() => db.prepare("INSERT INTO payment_transactions (id, account_id, kind, status, amount_fen, day, at) VALUES ('z', 'zhang', 'topup', 'approved', ?, 'd', 1)").run(v)).toThrow(/CHECK constraint failed/);
    }
  });

  it('never goes below the credit limit, and declines with the reason', () => {
    const l = ledger();
    expect(l.debit(lunch('a', 'li', 800))).toMatchObject({ status: 'approved', balance_after_fen: -200 }); // 300 charged, credit 300
    expect(l.debit(lunch('b', 'li', 800))).toMatchObject({ status: 'declined', reason: 'insufficient_balance', balance_after_fen: null });
    expect(l.account('li')!.balance_fen).toBe(-200);
    expect(l.debit(lunch('c', 'nobody', 800))).toMatchObject({ status: 'declined', reason: 'unknown_account' });
  });

  it('declines a frozen account at once', () => {
    const l = ledger();
    l.upsertAccount({ id: 'zhang', person: '张三明', card_id: 'C001', status: 'frozen' }, 2);
    expect(l.debit(lunch('x', 'zhang', 100))).toMatchObject({ status: 'declined', reason: 'account_frozen' });
  });

  it('keeps to the daily cap', () => {
    const l = ledger(1000);
    expect(l.debit(lunch('1', 'zhang', 1200)).status).toBe('approved'); // 700 charged
    expect(l.debit(lunch('2', 'zhang', 1200))).toMatchObject({ status: 'declined', reason: 'daily_cap_reached' });
  });

  it('refunds part, then the rest, never more than was charged', () => {
    const l = ledger();
    l.debit(lunch('d', 'zhang', 1280)); // 780
    expect(l.refund('r1', 'd', 300, 'supervisor-wang', 2, DAY)).toMatchObject({ kind: 'refund', amount_fen: 300, original_id: 'd', actor: 'supervisor-wang', balance_after_fen: 1520 });
    expect(() => l.refund('r2', 'd', 500, 'supervisor-wang', 3, DAY)).toThrow(/would exceed it/);
    expect(l.refund('r3', 'd', undefined, 'supervisor-wang', 4, DAY)).toMatchObject({ amount_fen: 480 });
    expect(l.account('zhang')!.balance_fen).toBe(2000);
    expect(() => l.void('v1', 'd', 'supervisor-wang', 5, DAY)).toThrow(/already refunded or voided/);
  });

  it('voids a same-day debit in full, and refuses an older one', () => {
    const l = ledger();
    l.debit(lunch('d', 'zhang', 1280));
    expect(() => l.void('v0', 'd', 'supervisor', 2, '2026-11-27')).toThrow(/only the same day's debits can be voided/);
    expect(l.void('v1', 'd', 'supervisor', 2, DAY)).toMatchObject({ kind: 'void', amount_fen: 780, subsidy_fen: -500 });
    expect(l.account('zhang')!.balance_fen).toBe(2000);
  });

  it('merges top-ups from the central system once by their transaction id', () => {
    const l = ledger();
    l.topUp('central-991', 'zhang', 5000, 1, DAY);
    l.topUp('central-991', 'zhang', 5000, 2, DAY);
    expect(l.account('zhang')!.balance_fen).toBe(7000);
  });

  it('reconciles every fen per meal and station', () => {
    const l = ledger();
    l.debit(lunch('1', 'zhang', 1280));
    l.debit(lunch('2', 'zhang', 900));
    l.debit({ ...lunch('3', 'li', 450), station: 'checkout-2' });
    l.debit(lunch('4', 'li', 99_999)); // declined: not counted
    l.refund('5', '1', 100, 'sup', 2, DAY);
    expect(l.reconciliation(DAY)).toEqual([
      { meal: 'lunch', station: 'checkout-1', kind: 'debit', count: 2, amount_fen: 780 + 400, subsidy_fen: 1000 },
      { meal: 'lunch', station: 'checkout-1', kind: 'refund', count: 1, amount_fen: 100, subsidy_fen: 0 },
      { meal: 'lunch', station: 'checkout-2', kind: 'debit', count: 1, amount_fen: 0, subsidy_fen: 450 },
    ]);
    const balances = l.accounts().reduce((s, a) => s + a.balance_fen, 0);
    expect(balances).toBe(2000 + 100 - (780 + 400) + 100 - 0); // opening balances less what the ledger says was charged
  });

  it('migration 012 rebuilds the ledger tables with their CHECKs, keeping every row; an unknown card number goes', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-pay-012-'));
    const all = readMigrations();
    const before = openDatabase(dir, all.filter((m) => m.version < 12));
    before.prepare("INSERT INTO payment_accounts (id, person, card_id, status, balance_fen, credit_limit_fen, updated_at) VALUES ('zhang', '张三明', 'C001', 'active', 4299, 300, 1)").run();
    const tx = before.prepare('INSERT INTO payment_transactions (id, account_id, kind, status, reason, amount_fen, subsidy_fen, balance_after_fen, sale_id, method, day, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)');
    tx.run('k1', 'zhang', 'debit', 'approved', null, 701, 200, 4299, 's1', 'card', DAY);
    tx.run('k2', '6222021234567890', 'debit', 'declined', 'unknown_account', 701, 200, null, 's2', 'card', DAY);
    before.close();
    const after = openDatabase(dir, all);
    expect(after.prepare('SELECT id, balance_fen, credit_limit_fen, typeof(balance_fen) AS t FROM payment_accounts').all()).toEqual([{ id: 'zhang', balance_fen: 4299, credit_limit_fen: 300, t: 'integer' }]);
    expect(after.prepare('SELECT id, account_id, amount_fen FROM payment_transactions ORDER BY id').all()).toEqual([
      { id: 'k1', account_id: 'zhang', amount_fen: 701 },
      { id: 'k2', account_id: 'unknown:legacy', amount_fen: 701 },
    ]);
    expect(() => after.prepare("UPDATE payment_accounts SET balance_fen = 1e308 WHERE id = 'zhang'").run()).toThrow(/CHECK constraint failed/);
    // the one-debit-per-sale index came back
    expect(() => after.prepare("INSERT INTO payment_transactions (id, account_id, kind, status, amount_fen, sale_id, day, at) VALUES ('k3', 'zhang', 'debit', 'approved', 1, 's1', 'd', 1)").run()).toThrow(/UNIQUE constraint failed/);
    after.close();
  });
});
