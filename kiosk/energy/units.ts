// Number formats of the energy panel: kW 2 decimals, kWh and m³ 1–2, kgce 1, CO₂ kg 0 or t 2.
import { fmtGrouped } from '../format.ts';

const twoBelow100 = (v: number) => (Math.abs(v) < 100 ? 2 : 1);

export const fmtKw = (kw: number | null | undefined) => fmtGrouped(kw, 2);
export const fmtKwh = (kwh: number | null | undefined) => fmtGrouped(kwh, kwh == null ? 0 : twoBelow100(kwh));
export const fmtM3 = (m3: number | null | undefined) => fmtGrouped(m3, m3 == null ? 0 : twoBelow100(m3));
export const fmtKgce = (kgce: number | null | undefined) => fmtGrouped(kgce, 1);

/** CO₂ in kg below a tonne, else in t: `[value, unit]`. */
export function fmtCo2(kg: number | null | undefined): [string, string] {
  if (kg == null || !Number.isFinite(kg)) return ['—', 'kg'];
  return Math.abs(kg) < 1000 ? [fmtGrouped(kg, 0), 'kg'] : [fmtGrouped(kg / 1000, 2), 't'];
}

/** A meter's amount in its own unit (kWh, m3 …). */
export function fmtAmount(value: number | null | undefined, unit: string): string {
  return unit.toLowerCase() === 'kwh' ? fmtKwh(value) : fmtM3(value);
}

/** "m3" → "m³" for display. */
export function unitLabel(unit: string): string {
  return unit.replace(/^m3$/i, 'm³');
}
