// Thresholds from measured scores: the empirical false-accept rate, and the threshold for
// a target one. A false accept charges the wrong person (DOMAIN.md), so thresholds are
// set from the impostor scores of a site's own enrolment photos, not guessed.

export interface ScoreSummary {
  n: number;
  min: number;
  median: number;
  max: number;
  mean: number;
  std: number;
}

export function scoreSummary(scores: readonly number[]): ScoreSummary {
  const n = scores.length;
  if (!n) return { n: 0, min: NaN, median: NaN, max: NaN, mean: NaN, std: NaN };
  const s = [...scores].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  const median = n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  return { n, min: s[0]!, median, max: s[n - 1]!, mean, std };
}

/** The next float64 above x. */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const bits = dv.getBigUint64(0);
  dv.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return dv.getFloat64(0);
}

/**
 * The lowest threshold t such that at most ⌊far·n⌋ of the n impostor scores are ≥ t
 * (decisions accept at `score ≥ t`): the empirical (1 − far) quantile, taken strictly
 * above the score it must refuse. With far·n < 1 that is just above the highest impostor
 * score — n impostor pairs cannot show a false-accept rate below 1/n; see `farAt`.
 */
export function thresholdForFar(impostorScores: readonly number[], far: number): number {
  if (!impostorScores.length) throw new Error('thresholdForFar: no impostor scores');
  if (!(far >= 0 && far < 1)) throw new Error(`thresholdForFar: far ${far}: expected 0 ≤ far < 1`);
  const desc = [...impostorScores].sort((a, b) => b - a);
  const k = Math.floor(far * desc.length);
  return nextUp(desc[k]!);
}

/** Empirical false-accept rate at threshold t: the share of impostor scores ≥ t. */
export function farAt(impostorScores: readonly number[], t: number): number {
  return impostorScores.length ? impostorScores.filter((s) => s >= t).length / impostorScores.length : NaN;
}

/** Empirical false-reject rate at threshold t: the share of genuine scores < t. */
export function frrAt(genuineScores: readonly number[], t: number): number {
  return genuineScores.length ? genuineScores.filter((s) => s < t).length / genuineScores.length : NaN;
}

/** Φ⁻¹(p): the standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p ${p} not in (0, 1)`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/**
 * A Gaussian extrapolation of the impostor tail: mean + z(1 − far)·std. Only an
 * order-of-magnitude guide where there are too few impostor pairs for `thresholdForFar`
 * to reach `far`: real impostor tails are heavier than a Gaussian's.
 */
export function gaussianThresholdForFar(impostorScores: readonly number[], far: number): number {
  const s = scoreSummary(impostorScores);
  return s.mean + normalQuantile(1 - far) * s.std;
}

/** Per-comparison false-accept rate that gives `perSearch` for a 1:N search over `n` identities: 1 − (1 − p)^(1/n) ≈ p/n. */
export function perComparisonFar(perSearch: number, n: number): number {
  return -Math.expm1(Math.log1p(-perSearch) / n);
}
