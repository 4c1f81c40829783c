// Scale intervals. A weighing instrument shows weights in steps of its scale
// division d; for trade the verification interval e counts (e = d on scales for
// direct sale to the public). Prices are computed on weights rounded to e, and a
// tare is only taken in whole intervals. Decimal-safe: 0.1 g steps stay exact.

/** Digits after the decimal point of a number as written (0.05 → 2, 1e-7 → 7). */
function decimals(x: number): number {
  const s = String(Math.abs(x));
  const exp = /e-(\d+)$/.exec(s);
  if (exp) {
    const mantissa = s.slice(0, s.indexOf('e'));
    const dot = mantissa.indexOf('.');
    return Number(exp[1]) + (dot < 0 ? 0 : mantissa.length - dot - 1);
  }
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

function checkInterval(e: number): void {
  if (!(Number.isFinite(e) && e > 0)) throw new RangeError(`interval ${e}: expected a positive number of grams`);
}

/** Both numbers as integers of a common decimal unit (at most 9 decimals). */
function asIntegers(grams: number, e: number): { g: number; e: number; unit: number } {
  const k = Math.min(9, Math.max(decimals(e), decimals(grams)));
  const unit = 10 ** k;
  return { g: Math.round(grams * unit), e: Math.round(e * unit), unit };
}

/**
 * `grams` rounded to the nearest multiple of the interval `e` (half away from
 * zero): roundToInterval(347, 5) = 345, 347.5 → 350, 0.35 with e 0.1 → 0.4.
 */
export function roundToInterval(grams: number, e: number): number {
  checkInterval(e);
  if (!Number.isFinite(grams)) return grams;
  const i = asIntegers(grams, e);
  const n = Math.floor((2 * Math.abs(i.g) + i.e) / (2 * i.e));
  if (n === 0) return 0;
  return (Math.sign(i.g) * n * i.e) / i.unit;
}

/** Whether `grams` is a whole number of intervals `d` (a tare must be). */
export function isWholeInterval(grams: number, d: number): boolean {
  checkInterval(d);
  if (!Number.isFinite(grams)) return false;
  const i = asIntegers(grams, d);
  return i.g % i.e === 0 && Math.abs(grams * i.unit - i.g) < 1e-6;
}
