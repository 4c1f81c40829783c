// The `payments:` section: meal rules and the accounts the box starts with.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { id, secret } from '../config/shapes.ts';
import { birthDateSchema } from './birth-date.ts';

// Whole fen, at most the ledger's column bound (10^11 fen, migration 012).
const fen = z.number().int().min(0).max(100_000_000_000);

export const paymentsConfigSchema = z
  .strictObject({
    meals: z
      .strictObject({
        breakfast: z.strictObject({ subsidy_fen: fen.default(0).describe('the employer pays this much of each breakfast (fen)') }).prefault({}).describe('breakfast'),
        lunch: z.strictObject({ subsidy_fen: fen.default(0).describe('the employer pays this much of each lunch (fen)') }).prefault({}).describe('lunch'),
        dinner: z.strictObject({ subsidy_fen: fen.default(0).describe('the employer pays this much of each dinner (fen)') }).prefault({}).describe('dinner'),
      })
      .prefault({})
      .describe('meal rules; which meal a payment belongs to follows canteen.meals'),
    daily_cap_fen: fen.optional().describe('the most an account may be charged in one day (fen); none when unset'),
    max_topup_fen: fen.min(1).default(200_000).describe('the most one top-up may add (fen; 200000 = 2000 yuan); a larger one is refused 400'),
    max_balance_fen: fen.min(1).default(1_000_000).describe('a top-up that would take an account above this balance is refused 409 (fen; 1000000 = 10000 yuan)'),
    qr_secret: secret
      .optional()
      .describe('key of the campus app\'s payment codes (CE1.<account>.<expiry>.<HMAC-SHA256>); inline or `{file: PATH}` (relative to the config file). QR pay is off without it'),
    qr_max_validity_s: z.number().int().min(10).max(86_400).default(300).describe('a payment code whose expiry lies further ahead than this is refused (a screenshot must not pay for days)'),
    pin: z
      .strictObject({
        max_failures: z.number().int().min(1).max(20).default(5).describe('wrong PINs in a row that lock PIN pay for the account'),
        lock_minutes: z.number().int().min(1).max(1440).default(15).describe('how long PIN pay stays locked'),
      })
      .prefault({})
      .describe('PIN payment (PINs are set by an admin and stored as scrypt hashes)'),
    accounts: z
      .array(
        z.strictObject({
          id: id.describe('account id (staff or student number)'),
          person: z.string().min(1).describe('the holder\'s name (shown masked on the kiosk: 张*明)'),
          card_id: z.string().min(1).optional().describe('the meal card\'s id as its reader reports it'),
          status: z.enum(['active', 'frozen', 'closed']).default('active').describe('a frozen or closed account is declined'),
          credit_limit_fen: fen.default(0).describe('how far below zero the balance may go (fen)'),
          opening_balance_fen: z.number().int().min(-100_000_000_000).max(100_000_000_000).default(0).describe('the balance when the account is first created on this box; afterwards only transactions move it'),
          birth_date: birthDateSchema.optional(),
        }),
      )
      .default([])
      .describe('accounts created or updated at start (the central card system adds and tops up the rest)'),
  })
  .prefault({})
  .describe('the meal-card ledger');

export type PaymentsConfig = z.output<typeof paymentsConfigSchema>;

/** payments.qr_secret as text: inline, or read from its file (relative to the config file's directory). */
export function readQrSecret(cfg: PaymentsConfig, configFile: string): string | undefined {
  const s = cfg.qr_secret;
  if (s === undefined || typeof s === 'string') return s;
  const file = path.resolve(path.dirname(configFile), s.file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new Error(`payments.qr_secret.file: cannot read ${file} (${(err as NodeJS.ErrnoException).code}); expected a readable file`);
  }
  if (!text) throw new Error(`payments.qr_secret.file: ${file} is empty; expected the secret`);
  return text;
}
