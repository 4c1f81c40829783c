// Payment and face-pay messages (gateway/payments, gateway/biometrics).

/** The credential a diner presents at the kiosk (gateway/payments credentialMethod). */
export type CredentialMethod = 'face' | 'card' | 'qr' | 'pin';
/** How money moved: a credential at the kiosk, by hand at the counter (the cashier marks a
 * sale paid, no ledger transaction), or the central card system (a top-up, never a sale). */
export type PayMethod = CredentialMethod | 'counter' | 'central';
/** What pays a sale (gateway/canteen): no top-up does. */
export type SaleMethod = Exclude<PayMethod, 'central'>;
/** What a ledger transaction carries (gateway/payments): the counter pays outside the ledger. */
export type LedgerMethod = Exclude<PayMethod, 'counter'>;

// ── Face pay (gateway/biometrics, issue 6) ───────────────────────────────────

export type FaceDecline = 'not_recognised' | 'liveness_failed' | 'no_face' | 'account_frozen' | 'account_closed'
  | 'insufficient_balance' | 'daily_cap_reached' | 'face_pay_unavailable';
export interface FaceProgress {
  sessionId: string;
  state: 'looking' | 'checking' | 'matched' | 'declined' | 'paid';
  /** liveness frames collected / needed, and the running mean score (0..1) */
  liveness: { frames: number; needed: number; score: number | null };
  /** why this frame did not count, e.g. 'face too small', 'hold still' (quality reasons, short) */
  hint: string | null;
  /** once matched: masked name (张*明) and the balance the debit would leave, fen */
  candidate: { person: string; balance_fen: number; balance_after_fen: number } | null;
  decline: FaceDecline | null;
  message: string | null;            // human-readable reason (en) for logs/tests
  transaction: { id: string; status: 'approved' | 'declined'; reason: string | null } | null;
}
