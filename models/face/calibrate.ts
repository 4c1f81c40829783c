// The match threshold from a site's own enrolment photos: every pair of photos of the same
// person is a genuine score, every pair of different people an impostor score; the
// threshold is the empirical quantile of the impostor scores for the target
// false-accept rate (`thresholdForFar`), with the false-reject rate it costs.
import { cosine } from './embed.ts';
import { farAt, frrAt, perComparisonFar, scoreSummary, thresholdForFar, type ScoreSummary } from './threshold.ts';

export interface MatchCalibration {
  people: number;
  genuine: ScoreSummary;
  impostor: ScoreSummary;
  far: number;
  threshold: number;
  farAtThreshold: number;
  /** null without genuine pairs (one photo per person) */
  frrAtThreshold: number | null;
  /** enough impostor pairs to show `far` (n·far ≥ 1) */
  resolvable: boolean;
  advice: string;
}

/** `far` is per comparison; for a 1:N search over N people use perComparisonFar(perSearch, N). */
export function calibrateMatch(items: { person: string; embedding: ArrayLike<number> }[], far: number): MatchCalibration {
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      (items[i]!.person === items[j]!.person ? genuine : impostor).push(cosine(items[i]!.embedding, items[j]!.embedding));
    }
  }
  const people = new Set(items.map((x) => x.person)).size;
  if (!impostor.length) throw new Error('calibrateMatch: photos of at least 2 people needed');
  const threshold = thresholdForFar(impostor, far);
  const resolvable = far * impostor.length >= 1;
  const frr = genuine.length ? frrAt(genuine, threshold) : null;
  let advice = `${impostor.length} impostor pairs of ${people} people: threshold ${threshold.toFixed(3)} for a false-accept rate of ${far} per comparison`;
  advice += frr === null ? '; no genuine pairs (give 2+ photos per person) to show the false rejects' : `, refusing ${(frr * 100).toFixed(1)} % of ${genuine.length} genuine pairs`;
  if (!resolvable) advice += `; ${impostor.length} impostor pairs cannot show a rate of ${far} (need ≥ ${Math.ceil(1 / far)}): the threshold is only "above every impostor seen"`;
  advice += `; in a 1:N search over N people the per-search rate is ≈ N × this (for 1e-3 per search over 1000 people use ${perComparisonFar(1e-3, 1000).toExponential(0)})`;
  return { people, genuine: scoreSummary(genuine), impostor: scoreSummary(impostor), far, threshold, farAtThreshold: farAt(impostor, threshold), frrAtThreshold: frr, resolvable, advice };
}
