// The `payments:` section: meal rules and the accounts the box starts with.
import { z } from 'zod';
import { id } from '../config/shapes.ts';

const fen = z.number().int().min(0);

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
    accounts: z
      .array(
        z.strictObject({
          id: id.describe('account id (staff or student number)'),
          person: z.string().min(1).describe('the holder\'s name (shown masked on the kiosk: 张*明)'),
          card_id: z.string().min(1).optional().describe('the meal card\'s id as its reader reports it'),
          status: z.enum(['active', 'frozen', 'closed']).default('active').describe('a frozen or closed account is declined'),
          credit_limit_fen: fen.default(0).describe('how far below zero the balance may go (fen)'),
          opening_balance_fen: z.number().int().default(0).describe('the balance when the account is first created on this box; afterwards only transactions move it'),
        }),
      )
      .default([])
      .describe('accounts created or updated at start (the central card system adds and tops up the rest)'),
  })
  .prefault({})
  .describe('the meal-card ledger');

export type PaymentsConfig = z.output<typeof paymentsConfigSchema>;
