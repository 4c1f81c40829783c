// Legal metrology of a scale that prices sales: the indicator is type-approved
// (型式批准, Metrology Law of the PRC art. 17) and verified (检定, JJG 539 for digital
// indicating scales); the data plate's Max, Min and e; the verification's expiry.
// Only the indicator's own stability flag may price on such a scale (OIML R76-1 4.4.2
// "stable equilibrium" is decided by the instrument), never a software filter.
import { z } from 'zod';

const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');

export const legalForTradeKeys = {
  legal_for_trade: z
    .boolean()
    .default(false)
    .describe('true: this scale prices sales as a legal-for-trade instrument: `metrology` is required, only the indicator\'s own stable flag prices (never the stability filter), zero must be within ±0.25 e (OIML R76-1 4.5.2); an hx711 cannot be one'),
  metrology: z
    .strictObject({
      type_approval_no: z.string().min(1).max(64).describe('type-approval (型式批准) certificate number of the indicator/scale'),
      verification_no: z.string().min(1).max(64).describe('verification (检定, JJG 539) certificate number'),
      verified_until: date.describe('the verification is valid up to and including this site-local date; the box warns 30 days before and stops pricing by weight after it until a new verification is entered at /admin'),
      max_g: z.number().positive().max(1_000_000).describe('Max: the maximum capacity on the data plate, grams'),
      min_g: z.number().positive().max(1_000_000).describe('Min: the minimum capacity on the data plate, grams (class III: 20 e)'),
    })
    .optional()
    .describe('the data plate and certificates of a legal-for-trade scale (required with legal_for_trade)'),
};

type Issue = (path: (string | number)[], message: string) => void;

export function legalForTradeIssues(c: { protocol: string; legal_for_trade: boolean; metrology?: { max_g: number; min_g: number } | undefined }, approvable: boolean, issue: Issue): void {
  if (!c.legal_for_trade) return;
  if (!approvable) issue(['legal_for_trade'], `a ${c.protocol} scale cannot be legal for trade: it has no type-approved (型式批准) indicator with its own stable flag; use it for food samples or waste only`);
  if (!c.metrology) issue(['metrology'], 'required with legal_for_trade: { type_approval_no, verification_no, verified_until, max_g, min_g }');
  else if (c.metrology.min_g >= c.metrology.max_g) issue(['metrology', 'min_g'], `must be below max_g (${c.metrology.max_g} g)`);
}
