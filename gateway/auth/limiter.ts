// Failed sign-ins (and pairing attempts), kept in SQLite (table auth_attempts) so that
// a restart gives a guesser no fresh budget. Each attempt is reserved in one
// transaction before the slow password hash, so 50 parallel guesses check at most the
// limit; the others are answered 429 without a hash.
//
// Limits, in a sliding window:
// - per client address and username (`maxFailures`): a guesser at one account from one
//   address is stopped; the same username from another address is not, so nobody can
//   lock an administrator out by failing on purpose from elsewhere;
// - per client address, any username (`maxFailuresPerClient`): one address spraying
//   many usernames is stopped; a kiosk pairing attempt counts against this with the
//   lower `maxFailures`;
// - per username from all addresses (`alertFailuresPerUser`): no lock, but the
//   admins are told (audit record and a warning on /admin).
// A success clears that address's failures for that username, not the address's others.
import type { Db } from '../store/sqlite.ts';

export interface LimiterOptions {
  /** failures for one username from one address (or pairing attempts from one address) before 429 */
  maxFailures: number;
  /** failures from one address, any username, before 429 */
  maxFailuresPerClient: number;
  /** failures for one username from anywhere that alert the admins */
  alertFailuresPerUser: number;
  windowMs: number;
}

export type Reservation = { id: number; waitMs?: undefined } | { waitMs: number; id?: undefined };

/** What a failure led to: the pair now locked, or the username's failures from anywhere crossing the alert line. */
export interface FailureOutcome {
  locked: boolean;
  alert: boolean;
  userFailures: number;
}

/** Pairing attempts are recorded under this username (no account is named). */
export const PAIRING = '';

export class AttemptLimiter {
  constructor(
    private readonly db: Db,
    /** read at each use: a reloaded config applies to the next attempt */
    private readonly opts: LimiterOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** An attempt cut short by a crash was never answered: it counts as failed. */
  recover(): void {
    this.db.prepare("UPDATE auth_attempts SET state = 'failed' WHERE state = 'pending'").run();
  }

  /** Reserves an attempt for (client, username), or says how long to wait. */
  reserve(client: string, username: string): Reservation {
    return this.db.transaction((): Reservation => {
      const now = this.now();
      const since = now - this.opts.windowMs;
      const wait =
        username === PAIRING
          ? this.wait('client = ?', [client], since, this.opts.maxFailures)
          : Math.max(this.wait('client = ? AND username = ?', [client, username], since, this.opts.maxFailures), this.wait('client = ?', [client], since, this.opts.maxFailuresPerClient));
      if (wait > 0) return { waitMs: wait };
      const id = this.db.prepare("INSERT INTO auth_attempts (at, client, username, state) VALUES (?, ?, ?, 'pending')").run(now, client, username).lastInsertRowid;
      return { id: Number(id) };
    }).immediate();
  }

  failed(id: number, client: string, username: string): FailureOutcome {
    return this.db.transaction((): FailureOutcome => {
      this.db.prepare("UPDATE auth_attempts SET state = 'failed' WHERE id = ?").run(id);
      const since = this.now() - this.opts.windowMs;
      const pair = this.count('client = ? AND username = ?', [client, username], since, "state = 'failed'");
      const user = username === PAIRING ? 0 : this.count('username = ?', [username], since, "state = 'failed'");
      return { locked: pair === this.opts.maxFailures, alert: user === this.opts.alertFailuresPerUser, userFailures: user };
    }).immediate();
  }

  succeeded(id: number, client: string, username: string): void {
    this.db.prepare("DELETE FROM auth_attempts WHERE id = ? OR (client = ? AND username = ? AND state = 'failed')").run(id, client, username);
  }

  prune(): void {
    this.db.prepare("DELETE FROM auth_attempts WHERE at < ? AND state = 'failed'").run(this.now() - this.opts.windowMs);
  }

  private count(where: string, args: unknown[], since: number, extra = '1'): number {
    return this.db.prepare(`SELECT COUNT(*) FROM auth_attempts WHERE ${where} AND at > ? AND ${extra}`).pluck().get(...args, since) as number;
  }

  /** The wait until the oldest of the last `max` attempts ages out, or 0 when fewer than `max`. */
  private wait(where: string, args: unknown[], since: number, max: number): number {
    const at = this.db.prepare(`SELECT at FROM auth_attempts WHERE ${where} AND at > ? ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?`).pluck().get(...args, since, max - 1) as number | undefined;
    return at === undefined ? 0 : Math.max(1, at + this.opts.windowMs - this.now());
  }
}
