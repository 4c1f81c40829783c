/** The zone pages show times in until the gateway says otherwise (`snapshot.site.timezone`). */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

let zone = DEFAULT_TIME_ZONE;

/** Sets the display zone for every page; an empty or unknown zone falls back to the default. */
export function setTimeZone(tz: string | null | undefined): void {
  if (!tz) {
    zone = DEFAULT_TIME_ZONE;
    return;
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    zone = tz;
  } catch {
    zone = DEFAULT_TIME_ZONE;
  }
}

export function timeZone(): string {
  return zone;
}

export function fmtTime(ms: number | null | undefined): string {
  if (ms == null) return '—';
  return new Date(ms).toLocaleTimeString('zh-CN', { timeZone: zone, hour12: false });
}

export function fmtDateTime(ms: number | null | undefined): string {
  if (ms == null) return '—';
  return new Date(ms).toLocaleString('zh-CN', { timeZone: zone, hour12: false });
}

/** Local wall-clock parts of `ms` in the display zone. */
let partsFormat: { zone: string; format: Intl.DateTimeFormat } | undefined;

export function zoneParts(ms: number): { year: number; month: number; day: number; hour: number; minute: number } {
  if (partsFormat?.zone !== zone) {
    partsFormat = {
      zone,
      format: new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      }),
    };
  }
  const parts = partsFormat.format.formatToParts(ms);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute') };
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** "14:05" */
export function fmtHourMinute(ms: number): string {
  const p = zoneParts(ms);
  return `${pad2(p.hour)}:${pad2(p.minute)}`;
}

/** "11/28" */
export function fmtMonthDay(ms: number): string {
  const p = zoneParts(ms);
  return `${p.month}/${p.day}`;
}

/** "11/28 14:05:09" */
export function fmtShortDateTime(ms: number | null | undefined): string {
  if (ms == null) return '—';
  return `${fmtMonthDay(ms)} ${fmtTime(ms)}`;
}

/** 1234 → "1 234", -56 → "-56" */
export function fmtGrams(grams: number): string {
  const sign = grams < 0 ? '-' : '';
  return sign + String(Math.round(Math.abs(grams))).replace(/\B(?=(\d{3})+$)/g, ' ');
}

export function fmtNumber(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

/** Fixed decimals with thousands separators: 12345.6 → "12,345.6". */
export function fmtGrouped(value: number | null | undefined, digits: number): string {
  if (value == null || !Number.isFinite(value)) return '—';
  // Keep "-0.00" out of the panel.
  const v = Math.abs(value) < 0.5 * 10 ** -digits ? 0 : value;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const hms = [Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60, s % 60]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
  return d > 0 ? `${d}d ${hms}` : hms;
}

/** Power in kW from a point value in W or kW. */
export function toKw(p: { value: number; unit: string }): number {
  return p.unit.toLowerCase() === 'kw' ? p.value : p.value / 1000;
}
