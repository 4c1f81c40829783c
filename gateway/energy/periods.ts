// Interval boundaries in the site's time zone: 1-minute, 15-minute, hourly and
// daily buckets, as epoch ms of their local start.
import type { Period } from '../wire/energy.ts';

export const PERIOD_MS: Record<Period, number> = { '1m': 60_000, '15m': 900_000, '1h': 3_600_000, '1d': 86_400_000 };

const offsetCache = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at `at`, in ms (Asia/Shanghai: +8 h). */
export function zoneOffsetMs(at: number, timeZone: string): number {
  let fmt = offsetCache.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    offsetCache.set(timeZone, fmt);
  }
  const p = Object.fromEntries(fmt.formatToParts(new Date(at)).map((x) => [x.type, Number(x.value)]));
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(at / 1000) * 1000;
}

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
