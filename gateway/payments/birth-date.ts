// The account holder's birth date: the server decides who is under 14 (PIPL art. 31: a
// minor under 14 needs a guardian's consent), never a tick box on a page. Kept in its own
// column of payment_accounts, written by the config's accounts and by the central
// account sync (PUT /api/payments/accounts/:id).
import { z } from 'zod';
import type { Db } from '../store/sqlite.ts';

/** PIPL art. 28: the personal information of a minor under 14 is sensitive; art. 31: a guardian consents. */
export const GUARDIAN_AGE = 14;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date YYYY-MM-DD (2023-02-29 is not one). */
export function isCalendarDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

export const birthDateSchema = z
  .string()
  .refine(isCalendarDate, { message: 'expected a date YYYY-MM-DD (e.g. 2014-09-01)' })
  .describe('the holder\'s birth date (YYYY-MM-DD): under 14 in site time, face enrolment needs a guardian\'s consent recorded by staff');

/** Whole years from `birth` to `day` (both YYYY-MM-DD, the day in site time). */
export function ageOn(birth: string, day: string): number {
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

export function birthDateOf(db: Db, accountId: string): string | null {
  return (db.prepare('SELECT birth_date FROM payment_accounts WHERE id = ?').pluck().get(accountId) as string | null | undefined) ?? null;
}

export function setBirthDate(db: Db, accountId: string, birth: string | null): void {
  if (birth !== null && !isCalendarDate(birth)) throw new Error(`birth_date: got "${birth}"; expected a date YYYY-MM-DD`);
  db.prepare('UPDATE payment_accounts SET birth_date = ? WHERE id = ?').run(birth, accountId);
}
