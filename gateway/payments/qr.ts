// The campus app's payment code, typed by the kiosk's QR scanner like a card:
// `CE1.<account_id>.<expiry epoch s>.<hex HMAC-SHA256 of "account_id.expiry">`
// keyed with payments.qr_secret. Short-lived: a code past its expiry, or valid for
// longer than qr_max_validity_s ahead, is refused.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { LedgerError } from './ledger.ts';

const FORMAT = /^CE1\.([a-z0-9][a-z0-9_-]{0,62})\.(\d{1,12})\.([0-9a-f]{64})$/;

/** The account a payment code is for; throws a 400 naming what is wrong with it. */
export function verifyQr(code: string, secret: string, nowMs: number, maxValidityS: number): string {
  const m = FORMAT.exec(code.trim());
  if (!m) throw new LedgerError(400, 'qr: not a payment code; expected CE1.<account>.<expiry>.<signature>');
  const [, accountId, expiry, sig] = m as unknown as [string, string, string, string];
  const want = createHmac('sha256', secret).update(`${accountId}.${expiry}`).digest();
  if (!timingSafeEqual(Buffer.from(sig, 'hex'), want)) throw new LedgerError(400, 'qr: the payment code\'s signature is not valid');
  const expiryMs = Number(expiry) * 1000;
  if (expiryMs <= nowMs) throw new LedgerError(400, `qr: the payment code expired at ${new Date(expiryMs).toISOString()}; show a fresh one`);
  if (expiryMs - nowMs > maxValidityS * 1000) throw new LedgerError(400, `qr: the payment code is valid until ${new Date(expiryMs).toISOString()}, more than ${maxValidityS} s ahead; expected a short-lived code`);
  return accountId;
}
