// Number formats of the energy panel: kW 2 decimals, kWh and m³ 1–2, kgce and CO₂ with enough
// decimals that a small non-zero amount never shows as 0.
import { fmtGrouped } from '../format.ts';

const twoBelow100 = (v: number) => (Math.abs(v) < 100 ? 2 : 1);

export const fmtKw = (kw: number | null | undefined) => fmtGrouped(kw, 2);
export const fmtKwh = (kwh: number | null | undefined) => fmtGrouped(kwh, kwh == null ? 0 : twoBelow100(kwh));
export const fmtM3 = (m3: number | null | undefined) => fmtGrouped(m3, m3 == null ? 0 : twoBelow100(m3));
/**
 * Decimals that keep a small non-zero figure non-zero: two significant digits below 1
 * (0.0123 → "0.012", 0.5 → "0.50"), `base` decimals otherwise, at most 4.
 */
export function smallDecimals(v: number | null | undefined, base: number): number {
  if (v == null || !Number.isFinite(v) || v === 0 || Math.abs(v) >= 1) return base;
  return Math.min(4, Math.max(base, Math.ceil(-Math.log10(Math.abs(v))) + 1));
}

export const fmtKgce = (kgce: number | null | undefined) => fmtGrouped(kgce, smallDecimals(kgce, Math.abs(kgce ?? 0) < 100 ? 2 : 1));

/** CO₂ in kg below a tonne, else in t: `[value, unit]`; small amounts keep their decimals (0.56 kg, not 1). */
export function fmtCo2(kg: number | null | undefined): [string, string] {
  if (kg == null || !Number.isFinite(kg)) return ['—', 'kg'];
  if (Math.abs(kg) >= 1000) return [fmtGrouped(kg / 1000, 2), 't'];
  return [fmtGrouped(kg, smallDecimals(kg, Math.abs(kg) < 100 ? 2 : 0)), 'kg'];
}

/** A meter's amount in its own unit (kWh, m3 …). */
export function fmtAmount(value: number | null | undefined, unit: string): string {
  return unit.toLowerCase() === 'kwh' ? fmtKwh(value) : fmtM3(value);
}

/** "m3" → "m³" for display. */
export function unitLabel(unit: string): string {
  return unit.replace(/^m3$/i, 'm³');
}
