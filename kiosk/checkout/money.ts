import type { UnitPriceMsg } from '../../gateway/wire/canteen.ts';
import type { T } from '../i18n.ts';

/** 901 → "¥9.01": integer fen, no floating point. */
export function fmtYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export function fmtUnit(unit: UnitPriceMsg, t: T): string {
  return unit.mode === 'per_portion' ? t('co.perPortion', { p: fmtYuan(unit.fen) }) : t('co.perGrams', { p: fmtYuan(unit.fen), g: unit.perGrams });
}

/** "12.8" → 1280 exactly; null when not a price with at most 2 decimals. */
export function parseYuan(text: string): number | null {
  const m = /^\s*[¥￥]?(\d{1,6})(?:\.(\d{1,2}))?\s*$/.exec(text);
  return m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) : null;
}

/** 1280 → "12.80", for an input field. */
export function yuanText(fen: number): string {
  return fmtYuan(fen).replace('¥', '');
}
