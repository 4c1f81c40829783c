// The meal-card ledger. Every change of a balance is one row in
// payment_transactions, written in the same SQLite transaction as the balance,
// keyed by the client's idempotency key: a resubmitted request returns the row it
// made the first time, approved or declined. better-sqlite3 runs each transaction
// to completion before the next starts, so two payments on one account can never
// both see the old balance.
import type { Db } from '../store/sqlite.ts';
import type { LedgerMethod } from '../wire/payments.ts';

export type TxKind = 'debit' | 'refund' | 'void' | 'topup';
export type AccountStatus = 'active' | 'frozen' | 'closed';

export interface Account {
  id: string;
  person: string;
  card_id: string | null;
  status: AccountStatus;
  balance_fen: number;
  credit_limit_fen: number;
}

export interface Transaction {
  id: string;
  account_id: string;
  kind: TxKind;
  status: 'approved' | 'declined';
  reason: string | null;
  amount_fen: number;
  subsidy_fen: number;
  balance_after_fen: number | null;
  sale_id: string | null;
  station: string | null;
  method: string | null;
  meal: string | null;
  day: string;
  original_id: string | null;
  actor: string | null;
  at: number;
}

export interface MealRule {
  /** the employer pays this much of each meal, at most the meal's price */
  subsidy_fen: number;
}

export interface DebitRequest {
  /** the client's idempotency key */
  key: string;
  accountId: string;
  /** the meal's price, before the subsidy */
  priceFen: number;
  method: LedgerMethod;
  saleId?: string;
  station?: string;
  meal: string;
  day: string;
  at: number;
}

export type Decline = 'unknown_account' | 'account_frozen' | 'account_closed' | 'insufficient_balance' | 'daily_cap_reached' | 'wrong_pin' | 'pin_locked' | 'no_pin';

/** What a key is bound to: a replay must match every field given. */
export interface Binding {
  kind: TxKind;
  account_id?: string;
  sale_id?: string | null;
  method?: string | null;
  /** debit: the price before the subsidy; refund, top-up: the amount */
  amount_fen?: number;
  original_id?: string;
}

function bindingDiffers(seen: Transaction, b: Binding): string[] {
  const out: string[] = [];
  if (seen.kind !== b.kind) out.push('kind');
  if (b.account_id !== undefined && seen.account_id !== b.account_id) out.push('account');
  if (b.sale_id !== undefined && seen.sale_id !== b.sale_id) out.push('sale');
  if (b.method !== undefined && seen.method !== b.method) out.push('method');
  if (b.original_id !== undefined && seen.original_id !== b.original_id) out.push('original transaction');
  if (b.amount_fen !== undefined) {
    const first = seen.kind === 'debit' ? seen.amount_fen + seen.subsidy_fen : seen.amount_fen;
    if (first !== b.amount_fen) out.push('amount');
  }
  return out;
}

/** The most any single money column may hold (the migration's CHECK: 10^11 fen). */
export const MAX_FEN = 100_000_000_000;

export interface AmountBounds {
  /** the most one top-up may add */
  maxTopupFen: number;
  /** a top-up that would take the balance above this is refused */
  maxBalanceFen: number;
}

/** An amount of money as the ledger takes it: a whole number of fen from `min` to `max`, nothing else. */
export function checkFen(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new LedgerError(400, `${field}: got ${JSON.stringify(value) ?? String(value)}; expected a whole number of fen`);
  if (value < min || value > max) throw new LedgerError(400, `${field}: got ${value}; expected ${min} to ${max} fen`);
  return value;
}

export class LedgerError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export class PaymentLedger {
  constructor(
    private readonly db: Db,
    private readonly rules: { meals: Record<string, MealRule>; dailyCapFen?: number; bounds: AmountBounds },
  ) {}

  account(id: string): Account | undefined {
    return this.db.prepare('SELECT id, person, card_id, status, balance_fen, credit_limit_fen FROM payment_accounts WHERE id = ?').get(id) as Account | undefined;
  }

  accountByCard(cardId: string): Account | undefined {
    return this.db.prepare('SELECT id, person, card_id, status, balance_fen, credit_limit_fen FROM payment_accounts WHERE card_id = ?').get(cardId) as Account | undefined;
  }

  accounts(): Account[] {
    return this.db.prepare('SELECT id, person, card_id, status, balance_fen, credit_limit_fen FROM payment_accounts ORDER BY id').all() as Account[];
  }

  /** Creates an account, or updates who it is and its limits; the balance only ever moves by transactions. */
  upsertAccount(a: { id: string; person: string; card_id?: string | null; status?: AccountStatus; credit_limit_fen?: number; opening_balance_fen?: number }, at: number): void {
    this.db
      .prepare(
        `INSERT INTO payment_accounts (id, person, card_id, status, balance_fen, credit_limit_fen, updated_at) VALUES (@id, @person, @card, @status, @opening, @credit, @at)
         ON CONFLICT (id) DO UPDATE SET person = excluded.person, card_id = excluded.card_id, status = excluded.status, credit_limit_fen = excluded.credit_limit_fen, updated_at = excluded.updated_at`,
      )
      .run({ id: a.id, person: a.person, card: a.card_id ?? null, status: a.status ?? 'active', opening: a.opening_balance_fen ?? 0, credit: a.credit_limit_fen ?? 0, at });
  }

  transaction(id: string): Transaction | undefined {
    return this.db.prepare('SELECT * FROM payment_transactions WHERE id = ?').get(id) as Transaction | undefined;
  }

  /** Charges a meal: subsidy first, the rest from the balance (down to the credit limit), within the daily cap. */
  debit(req: DebitRequest): Transaction {
    checkFen('price', req.priceFen, 0, MAX_FEN);
    return this.once(req.key, () => {
      const acc = this.account(req.accountId);
      const subsidy = Math.min(req.priceFen, this.rules.meals[req.meal]?.subsidy_fen ?? 0);
      const charge = req.priceFen - subsidy;
      const base = { id: req.key, account_id: req.accountId, kind: 'debit' as const, amount_fen: charge, subsidy_fen: subsidy, sale_id: req.saleId ?? null, station: req.station ?? null, method: req.method, meal: req.meal, day: req.day, original_id: null, actor: null, at: req.at };
      if (req.saleId) {
        const paid = this.db.prepare("SELECT id FROM payment_transactions WHERE sale_id = ? AND kind = 'debit' AND status = 'approved'").pluck().get(req.saleId) as string | undefined;
        if (paid) throw new LedgerError(409, `sale ${req.saleId} is already paid by transaction ${paid}`);
      }
      const decline = this.declineReason(acc, charge, req.day);
      if (decline) return this.insert({ ...base, status: 'declined', reason: decline, balance_after_fen: null });
      return this.apply({ ...base, status: 'approved', reason: null }, -charge);
    }, debitBinding(req));
  }

  /**
   * A debit refused before the ledger saw it (a wrong PIN), recorded under its key like
   * any decline. A key already approved is not answered here: the approval was for a
   * credential that verified, and this request's did not.
   */
  declined(req: DebitRequest, reason: Decline): Transaction {
    checkFen('price', req.priceFen, 0, MAX_FEN);
    const tx = this.once(req.key, () => {
      const subsidy = Math.min(req.priceFen, this.rules.meals[req.meal]?.subsidy_fen ?? 0);
      return this.insert({ id: req.key, account_id: req.accountId, kind: 'debit', status: 'declined', reason, amount_fen: req.priceFen - subsidy, subsidy_fen: subsidy, balance_after_fen: null, sale_id: req.saleId ?? null, station: req.station ?? null, method: req.method, meal: req.meal, day: req.day, original_id: null, actor: null, at: req.at });
    }, debitBinding(req));
    if (tx.status === 'approved') throw new LedgerError(409, `key "${req.key}" was approved with a credential that verified; this request's (${reason}) did not: use a new key`);
    return tx;
  }

  /** Why a debit of `priceFen` would be declined now (checked again, atomically, by debit()). */
  wouldDecline(accountId: string, priceFen: number, meal: string, day: string): Decline | undefined {
    const charge = priceFen - Math.min(priceFen, this.rules.meals[meal]?.subsidy_fen ?? 0);
    return this.declineReason(this.account(accountId), charge, day);
  }

  /** What a meal of `priceFen` costs the account after the subsidy. */
  chargeFor(priceFen: number, meal: string): number {
    return priceFen - Math.min(priceFen, this.rules.meals[meal]?.subsidy_fen ?? 0);
  }

  /** Gives back (part of) an approved debit; a supervisor's act, referencing it. */
  refund(key: string, originalId: string, amountFen: number | undefined, actor: string, at: number, day: string): Transaction {
    if (amountFen !== undefined) checkFen('amount_fen', amountFen, 1, MAX_FEN);
    return this.once(key, () => {
      const original = this.originalDebit(originalId);
      const refunded = this.undone(originalId);
      const amount = amountFen ?? original.amount_fen - refunded;
      if (amount <= 0) throw new LedgerError(409, `debit ${originalId} is already given back in full`);
      if (refunded + amount > original.amount_fen) {
        throw new LedgerError(409, `debit ${originalId} charged ${original.amount_fen} fen and ${refunded} is already given back; ${amount} more would exceed it`);
      }
      return this.apply(this.undo(key, original, 'refund', amount, actor, at, day), amount);
    }, { kind: 'refund', original_id: originalId, ...(amountFen !== undefined ? { amount_fen: amountFen } : {}) });
  }

  /** Cancels an approved debit of the same day in full, subsidy included. */
  void(key: string, originalId: string, actor: string, at: number, day: string): Transaction {
    return this.once(key, () => {
      const original = this.originalDebit(originalId);
      if (original.day !== day) throw new LedgerError(409, `debit ${originalId} is from ${original.day}; only the same day's debits can be voided (refund it instead)`);
      if (this.undone(originalId) > 0) throw new LedgerError(409, `debit ${originalId} was already refunded or voided`);
      return this.apply({ ...this.undo(key, original, 'void', original.amount_fen, actor, at, day), subsidy_fen: -original.subsidy_fen }, original.amount_fen);
    }, { kind: 'void', original_id: originalId });
  }

  /** A top-up from the central card system; its transaction id is the key, so a resent one is merged once. */
  topUp(key: string, accountId: string, amountFen: number, at: number, day: string): Transaction {
    const { maxTopupFen, maxBalanceFen } = this.rules.bounds;
    checkFen('amount_fen', amountFen, 1, maxTopupFen);
    return this.once(key, () => {
      const acc = this.account(accountId);
      if (!acc) throw new LedgerError(404, `no account "${accountId}"`);
      if (acc.balance_fen + amountFen > maxBalanceFen) {
        throw new LedgerError(409, `a top-up of ${amountFen} fen would take account ${accountId} to ${acc.balance_fen + amountFen} fen, above the most an account may hold (payments.max_balance_fen: ${maxBalanceFen})`);
      }
      return this.apply(
        { id: key, account_id: accountId, kind: 'topup', status: 'approved', reason: null, amount_fen: amountFen, subsidy_fen: 0, sale_id: null, station: null, method: 'central', meal: null, day, original_id: null, actor: null, at },
        amountFen,
      );
    }, { kind: 'topup', account_id: accountId, amount_fen: amountFen });
  }

  /** Counts and sums of approved transactions per meal and station for one day, from the ledger itself. */
  reconciliation(day: string): { meal: string | null; station: string | null; kind: TxKind; count: number; amount_fen: number; subsidy_fen: number }[] {
    return this.db
      .prepare(
        `SELECT meal, station, kind, COUNT(*) AS count, SUM(amount_fen) AS amount_fen, SUM(subsidy_fen) AS subsidy_fen
         FROM payment_transactions WHERE day = ? AND status = 'approved' GROUP BY meal, station, kind ORDER BY meal, station, kind`,
      )
      .all(day) as never;
  }

  private declineReason(acc: Account | undefined, charge: number, day: string): Decline | undefined {
    if (!acc) return 'unknown_account';
    if (acc.status === 'frozen') return 'account_frozen';
    if (acc.status === 'closed') return 'account_closed';
    if (acc.balance_fen - charge < -acc.credit_limit_fen) return 'insufficient_balance';
    const cap = this.rules.dailyCapFen;
    if (cap !== undefined && this.spentOn(acc.id, day) + charge > cap) return 'daily_cap_reached';
    return undefined;
  }

  private spentOn(accountId: string, day: string): number {
    const row = this.db
      .prepare(
        `SELECT COALESCE(SUM(CASE kind WHEN 'debit' THEN amount_fen ELSE -amount_fen END), 0) AS spent
         FROM payment_transactions WHERE account_id = ? AND day = ? AND status = 'approved' AND kind IN ('debit', 'refund', 'void')`,
      )
      .get(accountId, day) as { spent: number };
    return row.spent;
  }

  private originalDebit(id: string): Transaction {
    const t = this.transaction(id);
    if (!t) throw new LedgerError(404, `no transaction "${id}"`);
    if (t.kind !== 'debit' || t.status !== 'approved') throw new LedgerError(409, `transaction ${id} is a ${t.status} ${t.kind}; only approved debits can be refunded or voided`);
    return t;
  }

  private undone(originalId: string): number {
    return (this.db.prepare("SELECT COALESCE(SUM(amount_fen), 0) FROM payment_transactions WHERE original_id = ? AND status = 'approved'").pluck().get(originalId) as number) ?? 0;
  }

  private undo(key: string, original: Transaction, kind: 'refund' | 'void', amount: number, actor: string, at: number, day: string): Omit<Transaction, 'balance_after_fen'> {
    return { id: key, account_id: original.account_id, kind, status: 'approved', reason: null, amount_fen: amount, subsidy_fen: 0, sale_id: original.sale_id, station: original.station, method: original.method, meal: original.meal, day, original_id: original.id, actor, at };
  }

  /**
   * Runs `make` unless the key was seen. A key is bound to what it first did: the same
   * request again gets the stored row; the key used for anything else (another sale,
   * account, method, amount or kind) is refused with 409 naming what differs, never
   * answered with the first request's result.
   */
  private once(key: string, make: () => Transaction, binding: Binding): Transaction {
    if (!key || key.length > 128) throw new LedgerError(400, 'key: expected an idempotency key of 1 to 128 characters');
    return this.db.transaction(() => {
      const seen = this.transaction(key);
      if (!seen) return make();
      const differs = bindingDiffers(seen, binding);
      if (differs.length) throw new LedgerError(409, `key "${key}" was already used for another request (${differs.join(', ')} differ); a key stands for one request: use a new key`);
      return seen;
    }).immediate();
  }

  private apply(t: Omit<Transaction, 'balance_after_fen'>, delta: number): Transaction {
    this.db.prepare('UPDATE payment_accounts SET balance_fen = balance_fen + ?, updated_at = ? WHERE id = ?').run(delta, t.at, t.account_id);
    const balance = this.account(t.account_id)!.balance_fen;
    return this.insert({ ...t, balance_after_fen: balance });
  }

  private insert(t: Transaction): Transaction {
    this.db
      .prepare(
        `INSERT INTO payment_transactions (id, account_id, kind, status, reason, amount_fen, subsidy_fen, balance_after_fen, sale_id, station, method, meal, day, original_id, actor, at)
         VALUES (@id, @account_id, @kind, @status, @reason, @amount_fen, @subsidy_fen, @balance_after_fen, @sale_id, @station, @method, @meal, @day, @original_id, @actor, @at)`,
      )
      .run(t);
    return t;
  }
}

const debitBinding = (req: DebitRequest): Binding => ({ kind: 'debit', account_id: req.accountId, sale_id: req.saleId ?? null, method: req.method, amount_fen: req.priceFen });
