// The kitchen staff's standing, beyond one day's morning check:
// - off duty after a failed check until a supervisor records the clearance, across days
//   (GB 31654-2021 and 餐饮服务食品安全操作规范, staff health management — DOMAIN.md
//   "Kitchen food safety"; check the clause against the text in force: a person with fever, diarrhoea,
//   a skin wound or infection, sore throat … stays off food handling until the cause is
//   found and cured);
// - the health certificate (健康证; Food Safety Law art. 45: food handlers take a yearly
//   health check and hold a certificate before work): missing or expired → cannot be
//   checked in; a reminder 30 days before it expires.
import { randomBytes } from 'node:crypto';
import type { Db } from '../../store/sqlite.ts';
import type { HealthCertificateMsg, MorningCheckMsg, StaffClearanceMsg } from '../../wire/kitchen.ts';

export const HEALTH_CERT_WARN_DAYS = 30;

export interface StaffCertificate { number: string; expires: string }

const DAY_MS = 86_400_000;

/** The certificate's state on the site-local `today`: valid through its expiry date. */
export function healthCertificate(cert: StaffCertificate | undefined, today: string): HealthCertificateMsg {
  if (!cert) return { number: null, expires: null, daysLeft: null, state: 'missing' };
  const daysLeft = Math.round((Date.parse(`${cert.expires}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / DAY_MS);
  return { number: cert.number, expires: cert.expires, daysLeft, state: daysLeft < 0 ? 'expired' : daysLeft <= HEALTH_CERT_WARN_DAYS ? 'expiring' : 'valid' };
}

interface ClearanceRow { id: string; staff_id: string; check_id: string; note: string; cleared_by: string; cleared_at: number }
const clearanceMsg = (r: ClearanceRow): StaffClearanceMsg => ({ id: r.id, staffId: r.staff_id, checkId: r.check_id, note: r.note, clearedBy: r.cleared_by, clearedAt: r.cleared_at });

export class StaffStanding {
  constructor(private readonly db: Db) {}

  /** The failed check that keeps the person off duty: the latest failed current check with no clearance after it. */
  offDutyBy(staffId: string): { id: string; day: string; failures: string[]; checkedAt: number } | undefined {
    const r = this.db
      .prepare(
        `SELECT id, day, failures, checked_at FROM food_morning_checks
          WHERE staff_id = ? AND passed = 0 AND superseded_by IS NULL
            AND checked_at > COALESCE((SELECT MAX(cleared_at) FROM staff_clearances WHERE staff_id = ?), -1)
          ORDER BY checked_at DESC LIMIT 1`,
      )
      .get(staffId, staffId) as { id: string; day: string; failures: string; checked_at: number } | undefined;
    return r && { id: r.id, day: r.day, failures: JSON.parse(r.failures) as string[], checkedAt: r.checked_at };
  }

  /** Writes the clearance (the caller's transaction puts its outbox record with it). */
  addClearance(staffId: string, check: Pick<MorningCheckMsg, 'id'>, note: string, by: string, at: number): StaffClearanceMsg {
    const id = `sc-${randomBytes(6).toString('hex')}`;
    this.db.prepare('INSERT INTO staff_clearances (id, staff_id, check_id, note, cleared_by, cleared_at) VALUES (?, ?, ?, ?, ?, ?)').run(id, staffId, check.id, note, by, at);
    return this.clearance(id)!;
  }

  clearance(id: string): StaffClearanceMsg | undefined {
    const r = this.db.prepare('SELECT * FROM staff_clearances WHERE id = ?').get(id) as ClearanceRow | undefined;
    return r && clearanceMsg(r);
  }

  /** Clearances the outbox has not taken yet. */
  unqueued(): StaffClearanceMsg[] {
    return (this.db.prepare('SELECT * FROM staff_clearances WHERE queued_at IS NULL ORDER BY cleared_at').all() as ClearanceRow[]).map(clearanceMsg);
  }

  markQueued(id: string, at: number): void {
    this.db.prepare('UPDATE staff_clearances SET queued_at = ? WHERE id = ?').run(at, id);
  }
}
