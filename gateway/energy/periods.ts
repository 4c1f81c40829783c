// Interval boundaries in the site's time zone: 1-minute, 15-minute, hourly and
// daily buckets, as epoch ms of their local start.
import type { Period } from '../wire/energy.ts';
import { zoneOffsetMs } from '../site-time.ts';

export { zoneOffsetMs } from '../site-time.ts';

export const PERIOD_MS: Record<Period, number> = { '1m': 60_000, '15m': 900_000, '1h': 3_600_000, '1d': 86_400_000 };

export function periodStart(at: number, period: Period, timeZone: string): number {
  const off = zoneOffsetMs(at, timeZone);
  const local = at + off;
  return local - (((local % PERIOD_MS[period]) + PERIOD_MS[period]) % PERIOD_MS[period]) - off;
}

/** Start of the local month or year containing `at`. */
export function calendarStart(at: number, unit: 'month' | 'year', timeZone: string): number {
  const off = zoneOffsetMs(at, timeZone);
  const d = new Date(at + off);
  const local = Date.UTC(d.getUTCFullYear(), unit === 'month' ? d.getUTCMonth() : 0, 1);
  return local - zoneOffsetMs(local - off, timeZone);
}
