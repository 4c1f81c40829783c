// The verification (检定) of each legal-for-trade scale: valid, due soon (30 days before
// its expiry: a warning on /admin) or expired (the station stops pricing by weight; per
// portion and counter sales go on) until a new verification is entered — in one
// transaction with its audit line. JJG 539 (digital indicating scales) sets the
// verification; the Metrology Law (art. 9) forbids trade on an instrument whose
// verification has lapsed.
import type { Db } from '../store/sqlite.ts';
import type { ScaleVerificationMsg } from '../wire/canteen.ts';
import { CanteenError } from './errors.ts';
import { isDate, localDay } from './meals.ts';

export const VERIFICATION_WARN_DAYS = 30;
const DAY_MS = 86_400_000;

export interface LegalScale { id: string; verificationNo: string; verifiedUntil: string }

export interface VerificationEntry { verificationNo: string; verifiedUntil: string }
export interface VerificationActor { actor: string; role: string | null; client: string | null }

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

export class ScaleVerifications {
  constructor(
    private readonly db: Db,
    private readonly scales: readonly LegalScale[],
    private readonly timeZone: string,
    private readonly now: () => number,
  ) {}

  /** Every legal-for-trade scale with its current verification. */
  list(): ScaleVerificationMsg[] {
    return this.scales.map((s) => this.status(s.id)!);
  }

  status(scale: string): ScaleVerificationMsg | undefined {
    const s = this.scales.find((x) => x.id === scale);
    if (!s) return undefined;
    const row = this.db
      .prepare('SELECT verification_no, verified_until, entered_by, entered_at FROM scale_verifications WHERE scale = ? ORDER BY id DESC LIMIT 1')
      .get(scale) as { verification_no: string; verified_until: string; entered_by: string; entered_at: number } | undefined;
    const verifiedUntil = row?.verified_until ?? s.verifiedUntil;
    const today = localDay(this.now(), this.timeZone);
    const daysLeft = daysBetween(today, verifiedUntil);
    return {
      scale,
      verificationNo: row?.verification_no ?? s.verificationNo,
      verifiedUntil,
      daysLeft,
      state: daysLeft < 0 ? 'expired' : daysLeft <= VERIFICATION_WARN_DAYS ? 'due_soon' : 'valid',
      enteredBy: row?.entered_by ?? null,
      enteredAt: row?.entered_at ?? null,
    };
  }

  /** True when the scale is legal for trade and its verification has lapsed. */
  expired(scale: string): boolean {
    return this.status(scale)?.state === 'expired';
  }

  record(scale: string, e: VerificationEntry, who: VerificationActor): ScaleVerificationMsg {
    if (!this.scales.some((s) => s.id === scale)) throw new CanteenError(404, `no legal-for-trade scale "${scale}" (devices.scales with legal_for_trade: true)`);
    if (!isDate(e.verifiedUntil)) {
      throw new CanteenError(400, `verifiedUntil: got "${e.verifiedUntil}"; expected a real date YYYY-MM-DD`);
    }
    const today = localDay(this.now(), this.timeZone);
    if (e.verifiedUntil < today) throw new CanteenError(400, `verifiedUntil: got ${e.verifiedUntil}; a new verification must be valid today (${today}) or later`);
    const at = this.now();
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO scale_verifications (scale, verification_no, verified_until, entered_by, entered_at) VALUES (?, ?, ?, ?, ?)').run(scale, e.verificationNo, e.verifiedUntil, who.actor, at);
      this.db
        .prepare('INSERT INTO audit_log (at, actor, role, action, detail, result, client) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(at, who.actor, who.role, 'scale verification', JSON.stringify({ scale, verificationNo: e.verificationNo, verifiedUntil: e.verifiedUntil }), 'ok', who.client);
    }).immediate();
    return this.status(scale)!;
  }
}
