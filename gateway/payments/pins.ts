// Payment PINs: set by an admin, kept as scrypt hashes (the same format as staff
// passwords), checked at the kiosk. Wrong PINs in a row lock PIN pay for the
// account for a while, so that 4 to 6 digits cannot be tried through, however
// many tries are sent at once (each is reserved before it is hashed).
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

  /**
   * Checks a PIN. The attempt is reserved first, in one SQLite transaction, before the
   * slow scrypt hash: it counts as a failure from that moment (a crash mid-hash too),
   * and the attempt that reaches `maxFailures` locks PIN pay at once. So however many
   * tries arrive in parallel, at most `maxFailures` are ever checked before the lock;
   * the rest are refused 'pin_locked' without a hash. A right PIN clears the count.
   */
  async check(accountId: string, pin: string): Promise<PinCheck> {
    const reserved = this.reserve(accountId);
    if (typeof reserved === 'string') return reserved;
    const ok = PIN_PATTERN.test(pin) && (await verifyPassword(pin, reserved.hash));
    if (!ok) return 'wrong_pin';
    this.db.prepare('UPDATE payment_pins SET failures = 0, locked_until = NULL WHERE account_id = ?').run(accountId);
    return 'ok';
  }

  private reserve(accountId: string): { hash: string } | 'no_pin' | 'pin_locked' {
    return this.db.transaction(() => {
      const row = this.row(accountId);
      if (!row) return 'no_pin' as const;
      const now = this.now();
      if (row.locked_until !== null && row.locked_until > now) return 'pin_locked' as const;
      // a lock that has run out leaves a fresh count
      const failures = (row.locked_until !== null ? 0 : row.failures) + 1;
      const locks = failures >= this.opts.maxFailures;
      this.db
        .prepare('UPDATE payment_pins SET failures = ?, locked_until = ? WHERE account_id = ?')
        .run(locks ? 0 : failures, locks ? now + this.opts.lockMs : null, accountId);
      return { hash: row.hash };
    }).immediate();
  }

  private row(accountId: string): { hash: string; failures: number; locked_until: number | null } | undefined {
    return this.db.prepare('SELECT hash, failures, locked_until FROM payment_pins WHERE account_id = ?').get(accountId) as never;
  }
}
