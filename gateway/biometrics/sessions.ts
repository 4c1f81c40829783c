// Face-pay sessions at the kiosk: one per sale being paid by face, each with its own
// liveness tracker. Frames come one at a time from the kiosk page; each is decided
// (quality → liveness over frames → 1:N match with threshold and margin) and answered
// with a FaceProgress. A match is checked against the account (frozen, balance, daily
// cap) before the diner confirms; the debit itself goes through PaymentsModule.paySale
// with method 'face'. A decline ends the session; frames are never stored.
import { randomUUID } from 'node:crypto';
import { LivenessTracker } from '../../models/face/liveness.ts';
import type { SalesPort } from '../canteen/ports.ts';
import { maskName } from '../payments/module.ts';
import type { PaymentsPort } from '../payments/port.ts';
import { LedgerError } from '../payments/ledger.ts';
import type { FaceDecline, FaceProgress } from '../wire/payments.ts';
import type { FaceGallery } from '../../models/face/gallery.ts';
import type { Face, FacePipeline } from '../../models/face/pipeline.ts';
import type { Logger } from '../log.ts';
import type { BiometricsConfig } from './config.ts';
import { BiometricError, type FaceVault } from './vault.ts';

const DECLINES: readonly string[] = ['not_recognised', 'liveness_failed', 'no_face', 'account_frozen', 'account_closed', 'insufficient_balance', 'daily_cap_reached', 'face_pay_unavailable'];

interface Session {
  id: string;
  saleId: string;
  station: string;
  /** who opened it: the kiosk socket (sessions die with it) and its principal name for the audit */
  owner: string;
  actor: string;
  tracker: LivenessTracker;
  progress: FaceProgress;
  accountId: string | null;
  /** the payment credential of the match (PaymentsModule.issueFaceToken): this sale, station and account only */
  faceToken: string | null;
  /** the confirm key that paid or declined it */
  key: string | null;
  busy: boolean;
  timer: NodeJS.Timeout;
}

/** Short words for the diner, by the quality gate that failed (models/face/quality.ts). */
const HINTS: Record<string, string> = {
  size: 'face too small: come closer',
  blur: 'hold still',
  roll: 'keep your head upright',
  yaw: 'look straight at the camera',
  pitch: 'look straight at the camera',
  landmarks: 'face not clear',
};
export const hintFor = (face: Face): string => HINTS[face.quality.failed[0] ?? ''] ?? 'face not clear';

/** What the sessions use of face pay (BiometricsModule in module.ts is one): stated here so
 * module.ts and sessions.ts do not import each other. */
export interface FacePayPort {
  readonly available: boolean;
  readonly unavailableReason: string | null;
  readonly cfg: BiometricsConfig;
  readonly payments: PaymentsPort;
  readonly sales: SalesPort;
  readonly gallery: FaceGallery;
  readonly vault: FaceVault;
  readonly logger: Logger;
  requirePipeline(): FacePipeline;
}

export class FacePaySessions {
  private readonly byId = new Map<string, Session>();

  constructor(private readonly m: FacePayPort) {}

  /** Opens a session for a sale of `station` (null: staff, any station) awaiting payment. */
  start(saleId: string, station: string | null, owner: string, actor: string): FaceProgress {
    if (!this.m.available) throw new BiometricError(409, this.m.unavailableReason ?? 'face pay unavailable', 'face_pay_unavailable');
    const sale = this.m.sales.sale(saleId);
    if (!sale || (station !== null && sale.station !== station)) throw new BiometricError(404, `no sale "${saleId}" at this station`);
    if (sale.status !== 'awaiting_payment') throw new BiometricError(409, `sale ${sale.no} is ${sale.status}, not awaiting payment`);
    for (const s of this.byId.values()) if (s.owner === owner) this.end(s.id); // one at a time per kiosk
    const { liveness } = this.m.cfg;
    const id = randomUUID();
    const session: Session = {
      id,
      saleId,
      station: sale.station,
      owner,
      actor,
      tracker: new LivenessTracker({ threshold: liveness.threshold, frames: liveness.frames, maxGapMs: liveness.max_gap_ms }),
      progress: { sessionId: id, state: 'looking', liveness: { frames: 0, needed: liveness.frames, score: null }, hint: null, candidate: null, decline: null, message: null, transaction: null },
      accountId: null,
      faceToken: null,
      key: null,
      busy: false,
      timer: this.idleTimer(id),
    };
    this.byId.set(id, session);
    return session.progress;
  }

  /** One JPEG frame → the session's progress. */
  async frame(sessionId: string, owner: string, jpeg: Buffer): Promise<FaceProgress> {
    const s = this.get(sessionId, owner);
    if (s.progress.state !== 'looking' && s.progress.state !== 'checking') return s.progress;
    if (s.busy) throw new BiometricError(409, 'a frame of this session is still being checked; send the next one after its answer');
    const maxBytes = this.m.cfg.max_frame_kb * 1024;
    if (jpeg.length > maxBytes) throw new BiometricError(400, `jpeg: ${jpeg.length} bytes; expected at most ${maxBytes}`);
    this.touch(s);
    s.busy = true;
    try {
      const d = await this.m.requirePipeline()
        .identify(jpeg, this.m.gallery, { tracker: s.tracker, at: performance.now() })
        .catch((err: Error) => {
          throw new BiometricError(400, `jpeg: not a readable image (${err.message.split('\n')[0]})`);
        });
      if (!this.byId.has(s.id)) return s.progress; // cancelled meanwhile
      const window = s.tracker.window;
      const live = { frames: window.length, needed: s.tracker.frames, score: window.length ? window.reduce((a, b) => a + b, 0) / window.length : null };
      const p: FaceProgress = { ...s.progress, liveness: live, hint: null, message: null };
      switch (d.state) {
        case 'no-face':
          s.progress = { ...p, state: 'looking', hint: 'no face in view', message: d.reasons.join('; ') };
          break;
        case 'poor-quality':
          s.progress = { ...p, state: 'looking', hint: hintFor(d.face!), message: d.reasons.join('; ') };
          break;
        case 'liveness-pending':
          s.progress = { ...p, state: 'checking' };
          break;
        case 'not-live':
          s.progress = this.decline(s, p, 'liveness_failed', `liveness failed: ${d.reasons.join('; ')}`);
          this.m.logger.info({ sale: s.saleId, station: s.station }, 'face pay: liveness failed');
          break;
        case 'no-match':
          s.progress = this.decline(s, p, 'not_recognised', `not recognised: ${d.reasons.join('; ')}`);
          break;
        case 'match':
          s.progress = this.matched(s, p, d.personId!, d.match!.similarity, d.match!.margin);
          break;
      }
      return s.progress;
    } finally {
      s.busy = false;
    }
  }

  /** Charges the matched person for the sale; the answer is kept for a resubmitted key. */
  async confirm(sessionId: string, owner: string, key: string): Promise<FaceProgress> {
    const s = this.get(sessionId, owner);
    // decided already (a resubmitted confirm, or declined since the match): the same answer, never a second charge
    if (s.progress.state === 'paid' || s.progress.state === 'declined') return s.progress;
    if (s.progress.state !== 'matched' || !s.accountId) throw new BiometricError(409, `session is ${s.progress.state}; confirm only after a match`);
    this.touch(s);
    // withdrawn or deleted since the match: face pay has stopped for this person
    if (!this.m.gallery.has(s.accountId)) {
      s.key = key;
      s.progress = this.decline(s, s.progress, 'not_recognised', 'face pay withdrawn for this person');
      return s.progress;
    }
    s.key = key;
    let r;
    try {
      r = await this.m.payments.paySale(s.saleId, { key, face_token: s.faceToken ?? '', method: 'face' });
    } catch (err) {
      if (err instanceof LedgerError) throw new BiometricError(err.statusCode, err.message);
      throw err;
    }
    const tx = r.transaction;
    const transaction = { id: tx.id, status: tx.status, reason: tx.reason };
    if (tx.status === 'approved') {
      s.progress = { ...s.progress, state: 'paid', transaction, message: null, candidate: s.progress.candidate && { ...s.progress.candidate, balance_after_fen: tx.balance_after_fen ?? s.progress.candidate.balance_after_fen } };
      this.m.vault.audit(s.actor, 'pay', s.accountId, `sale ${s.saleId}, transaction ${tx.id}`);
    } else {
      const reason = DECLINES.includes(tx.reason ?? '') ? (tx.reason as FaceDecline) : 'not_recognised';
      s.progress = { ...this.decline(s, s.progress, reason, `declined: ${tx.reason}`), transaction };
    }
    return s.progress;
  }

  cancel(sessionId: string, owner: string): void {
    const s = this.byId.get(sessionId);
    if (s && s.owner === owner) this.end(s.id);
  }

  /** A kiosk went away: its sessions end. */
  dropOwner(owner: string): void {
    for (const s of [...this.byId.values()]) if (s.owner === owner) this.end(s.id);
  }

  /** Consent withdrawn or biometrics deleted: a pending match for the person is declined at once. */
  forget(accountId: string): void {
    for (const s of this.byId.values()) {
      if (s.accountId === accountId && s.progress.state === 'matched') s.progress = this.decline(s, s.progress, 'not_recognised', 'face pay withdrawn for this person');
    }
  }

  stop(): void {
    for (const id of [...this.byId.keys()]) this.end(id);
  }

  get size(): number {
    return this.byId.size;
  }

  private matched(s: Session, p: FaceProgress, accountId: string, similarity: number, margin: number | null): FaceProgress {
    const account = this.m.payments.ledger.account(accountId);
    this.m.vault.touch(accountId); // used: the retention clock starts again
    this.m.vault.audit(s.actor, 'match', accountId, `sale ${s.saleId} at ${s.station}: similarity ${similarity.toFixed(3)}, margin ${margin === null ? 'n/a' : margin.toFixed(3)}`);
    if (!account) return this.decline(s, p, 'not_recognised', `matched account ${accountId} is not in the ledger`);
    s.accountId = accountId;
    s.faceToken = this.m.payments.issueFaceToken({ station: s.station, saleId: s.saleId, accountId });
    const sale = this.m.sales.sale(s.saleId)!;
    const { meal, day } = this.m.payments.mealNow();
    const charge = this.m.payments.ledger.chargeFor(sale.totalFen, meal);
    const candidate = { person: maskName(account.person), balance_fen: account.balance_fen, balance_after_fen: account.balance_fen - charge };
    const why = this.m.payments.ledger.wouldDecline(accountId, sale.totalFen, meal, day);
    if (why) return { ...this.decline(s, p, DECLINES.includes(why) ? (why as FaceDecline) : 'not_recognised', `declined before confirm: ${why}`), candidate };
    return { ...p, state: 'matched', candidate };
  }

  private decline(s: Session, p: FaceProgress, decline: FaceDecline, message: string): FaceProgress {
    s.tracker.reset();
    return { ...p, state: 'declined', decline, message, hint: null };
  }

  private get(sessionId: string, owner: string): Session {
    const s = this.byId.get(sessionId);
    if (!s || s.owner !== owner) throw new BiometricError(404, `no face-pay session "${sessionId}" (ended, expired after ${this.m.cfg.session_idle_s} s idle, or of another kiosk)`);
    return s;
  }

  private touch(s: Session): void {
    clearTimeout(s.timer);
    s.timer = this.idleTimer(s.id);
  }

  private idleTimer(id: string): NodeJS.Timeout {
    const t = setTimeout(() => this.end(id), this.m.cfg.session_idle_s * 1000);
    t.unref();
    return t;
  }

  private end(id: string): void {
    const s = this.byId.get(id);
    if (!s) return;
    clearTimeout(s.timer);
    s.tracker.reset();
    this.byId.delete(id);
  }
}
