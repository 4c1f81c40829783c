// POST /api/payments/sales/:id/pay for every method typed or keyed at the kiosk
// (card, QR, PIN), and the diner-facing text of its declines.
import type { Key } from '../i18n.ts';
import { call } from './api.ts';
import { newKey } from './idempotency.ts';

export interface PayAnswer {
  transaction: { status: 'approved' | 'declined'; reason: string | null };
  person: string | null;
  balance_fen: number | null;
}

export type PayBody = { card_id: string } | { method: 'qr'; qr: string } | { method: 'pin'; pin: string; account_id: string };

/** One key per attempt: a retried request after a lost answer is charged once. */
export const paySale = (saleId: string, body: PayBody) => call<PayAnswer>('POST', `/api/payments/sales/${encodeURIComponent(saleId)}/pay`, { key: newKey(), ...body });

const DECLINES = ['unknown_account', 'account_frozen', 'account_closed', 'insufficient_balance', 'daily_cap_reached', 'wrong_pin', 'pin_locked', 'no_pin'] as const;
export const payDeclineKey = (reason: string | null): Key => (DECLINES.includes(reason as never) ? (`pay.${reason as (typeof DECLINES)[number]}` as const) : 'pay.declined');
