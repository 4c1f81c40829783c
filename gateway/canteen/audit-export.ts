// The weighing audit of the sales of a date range, for a metrology inspector: each sale
// with the priced line's weights, e, unit price, total, who decided it was stable, the
// legal-for-trade scale's Max, Min and certificate numbers, and the raw frames the scale
// sent up to the priced reading (DOMAIN.md "Weighing for sale": keep the raw frame;
// JJG 539 / OIML R76-1 7.1 for the data plate). CSV (UTF-8 with BOM, for spreadsheets) or JSON.
import type { Db } from '../store/sqlite.ts';
import { CanteenError } from './errors.ts';
import type { Frame } from './ledger.ts';
import { addDays, isDate } from './meals.ts';
import { localTime } from '../site-time.ts';

/** Longest range one export covers: a quarter; ask again for the next. */
export const MAX_EXPORT_DAYS = 92;

export interface SaleAuditRow {
  sale: string; no: string; day: string; station: string; status: string; method: string | null; reference: string | null;
  createdAt: number; paidAt: number | null;
  pricedAt: number; readingG: number; grossG: number | null; tareG: number; tareSource: string; netG: number; intervalG: number;
  priceMode: string; unitFen: number; unitGrams: number | null; totalFen: number; dish: string | null;
  stable: boolean; stableBy: string | null;
  maxG: number | null; minG: number | null; typeApprovalNo: string | null; verificationNo: string | null; verifiedUntil: string | null;
  frames: Frame[];
}

export function checkRange(from: string | undefined, to: string | undefined): { from: string; to: string } {
  if (!from || !isDate(from)) throw new CanteenError(400, `from: got ${JSON.stringify(from ?? null)}; expected a real date YYYY-MM-DD`);
  if (!to || !isDate(to)) throw new CanteenError(400, `to: got ${JSON.stringify(to ?? null)}; expected a real date YYYY-MM-DD`);
  if (to < from) throw new CanteenError(400, `to: ${to} is before from ${from}`);
  if (to > addDays(from, MAX_EXPORT_DAYS - 1)) throw new CanteenError(400, `from ${from} to ${to} is more than ${MAX_EXPORT_DAYS} days; export at most ${MAX_EXPORT_DAYS} days at a time`);
  return { from, to };
}

export function saleAudit(db: Db, range: { from: string; to: string }, timeZone: string): SaleAuditRow[] {
  const start = localTime(range.from, '00:00', timeZone);
  const end = localTime(addDays(range.to, 1), '00:00', timeZone);
  const rows = db
    .prepare(
      `SELECT s.id, s.no, s.day, s.station, s.status, s.method, s.reference, s.created_at, s.paid_at,
              l.at, l.reading_g, l.gross_g, l.tare_g, l.tare_source, l.net_g, l.interval_g, l.price_mode, l.unit_fen, l.unit_grams,
              l.total_fen, l.dish_name, l.stable, l.stable_by, l.metrology, l.frames
         FROM canteen_sales s JOIN canteen_lines l ON l.id = s.line_id
        WHERE s.created_at >= ? AND s.created_at < ? ORDER BY s.created_at`,
    )
    .all(start, end) as Record<string, unknown>[];
  return rows.map((r) => {
    const m = r.metrology ? (JSON.parse(r.metrology as string) as { maxG: number; minG: number; typeApprovalNo: string; verificationNo: string; verifiedUntil: string }) : null;
    return {
      sale: r.id as string, no: String(r.no).padStart(4, '0'), day: r.day as string, station: r.station as string, status: r.status as string,
      method: r.method as string | null, reference: r.reference as string | null, createdAt: r.created_at as number, paidAt: r.paid_at as number | null,
      pricedAt: r.at as number, readingG: r.reading_g as number, grossG: r.gross_g as number | null, tareG: r.tare_g as number, tareSource: r.tare_source as string,
      netG: r.net_g as number, intervalG: r.interval_g as number, priceMode: r.price_mode as string, unitFen: r.unit_fen as number, unitGrams: r.unit_grams as number | null,
      totalFen: r.total_fen as number, dish: r.dish_name as string | null, stable: r.stable === 1, stableBy: r.stable_by as string | null,
      maxG: m?.maxG ?? null, minG: m?.minG ?? null, typeApprovalNo: m?.typeApprovalNo ?? null, verificationNo: m?.verificationNo ?? null, verifiedUntil: m?.verifiedUntil ?? null,
      frames: JSON.parse(r.frames as string) as Frame[],
    };
  });
}

const COLUMNS: (keyof SaleAuditRow)[] = [
  'sale', 'no', 'day', 'station', 'status', 'method', 'reference', 'createdAt', 'paidAt', 'pricedAt', 'readingG', 'grossG', 'tareG', 'tareSource', 'netG',
  'intervalG', 'priceMode', 'unitFen', 'unitGrams', 'totalFen', 'dish', 'stable', 'stableBy', 'maxG', 'minG', 'typeApprovalNo', 'verificationNo', 'verifiedUntil', 'frames',
];

function field(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // quote what needs it; a leading = + - @ is prefixed so a spreadsheet does not run it as a formula
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function auditCsv(rows: SaleAuditRow[]): string {
  const lines = [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => field(c === 'frames' ? r.frames.map((f) => f.raw ?? `${f.grams}${f.stable ? ' stable' : ''}`).join(' | ') : r[c])).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
