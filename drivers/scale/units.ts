// Weight units on the wire → grams, exactly for the decimal strings scales send.

const FACTORS: Record<string, number> = { kg: 1000, g: 1, mg: 0.001 };

/** grams for a decimal string in `unit` (kg, g, mg; any case), or undefined for another unit. */
export function toGrams(value: string, unit: string): number | undefined {
  const factor = FACTORS[unit.toLowerCase()];
  if (factor === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) return undefined;
  // 0.345 kg → 345 g without binary noise: round to the digits the string had.
  const dot = value.indexOf('.');
  const digits = dot < 0 ? 0 : value.length - dot - 1;
  const shift = Math.max(0, digits - Math.round(Math.log10(factor)));
  const g = Number((n * factor).toFixed(Math.min(shift, 9)));
  return Object.is(g, -0) ? 0 : g;
}

/** `grams` as a decimal string in `unit` (kg or g), no binary noise, no trailing zeros beyond what is needed. */
export function fromGrams(grams: number, unit: 'kg' | 'g'): string {
  if (unit === 'g') return String(grams);
  const s = (grams / 1000).toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
  return s.includes('.') ? s : `${s}.0`;
}
