export const TIME_ZONE = 'Asia/Shanghai';

export function fmtTime(ms: number | null | undefined): string {
  if (ms == null) return '—';
  return new Date(ms).toLocaleTimeString('zh-CN', { timeZone: TIME_ZONE, hour12: false });
}

export function fmtDateTime(ms: number | null | undefined): string {
  if (ms == null) return '—';
  return new Date(ms).toLocaleString('zh-CN', { timeZone: TIME_ZONE, hour12: false });
}

/** 1234 → "1 234", -56 → "-56" */
export function fmtGrams(grams: number): string {
  const sign = grams < 0 ? '-' : '';
  return sign + String(Math.round(Math.abs(grams))).replace(/\B(?=(\d{3})+$)/g, ' ');
}

export function fmtNumber(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
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
