// Payment PINs: set by an admin, kept as scrypt hashes (the same format as staff
// passwords), checked at the kiosk. Wrong PINs in a row lock PIN pay for the
// account for a while, so that 4 to 6 digits cannot be tried through.
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import type { Db } from '../store/sqlite.ts';
import { LedgerError } from './ledger.ts';

export type PinCheck = 'ok' | 'wrong_pin' | 'pin_locked' | 'no_pin';

export const PIN_PATTERN = /^\d{4,6}$/;

export class PinStore {
  constructor(
    private readonly db: Db,
    private readonly opts: { maxFailures: number; lockMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  async set(accountId: string, pin: string, actor: string): Promise<void> {
    if (!PIN_PATTERN.test(pin)) throw new LedgerError(400, 'pin: expected 4 to 6 digits');
    const hash = await hashPassword(pin);
    this.db
      .prepare(
        `INSERT INTO payment_pins (account_id, hash, failures, locked_until, set_by, updated_at) VALUES (?, ?, 0, NULL, ?, ?)
         ON CONFLICT (account_id) DO UPDATE SET hash = excluded.hash, failures = 0, locked_until = NULL, set_by = excluded.set_by, updated_at = excluded.updated_at`,
      )
      .run(accountId, hash, actor, this.now());
  }

  has(accountId: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM payment_pins WHERE account_id = ?').get(accountId);
  }

  /** Checks a PIN; a wrong one counts towards the lock, a right one clears the count. */
  async check(accountId: string, pin: string): Promise<PinCheck> {
    const row = this.row(accountId);
    if (!row) return 'no_pin';
    if (row.locked_until !== null && row.locked_until > this.now()) return 'pin_locked';
    const ok = PIN_PATTERN.test(pin) && (await verifyPassword(pin, row.hash));
    // counted in one statement after the (slow) hash: concurrent wrong attempts all count
    if (ok) {
      this.db.prepare('UPDATE payment_pins SET failures = 0, locked_until = NULL WHERE account_id = ?').run(accountId);
      return 'ok';
    }
    this.db
      .prepare(
        `UPDATE payment_pins SET failures = failures + 1,
           locked_until = CASE WHEN failures + 1 >= @max THEN @until ELSE locked_until END
         WHERE account_id = @id`,
      )
      .run({ id: accountId, max: this.opts.maxFailures, until: this.now() + this.opts.lockMs });
    const after = this.row(accountId)!;
    if (after.failures >= this.opts.maxFailures) {
      this.db.prepare('UPDATE payment_pins SET failures = 0 WHERE account_id = ?').run(accountId);
      return 'pin_locked';
    }
    return 'wrong_pin';
  }

  private row(accountId: string): { hash: string; failures: number; locked_until: number | null } | undefined {
    return this.db.prepare('SELECT hash, failures, locked_until FROM payment_pins WHERE account_id = ?').get(accountId) as never;
  }
}
