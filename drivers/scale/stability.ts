// The stability filter, for scales without a stable flag of their own (HX711,
// Modbus transmitters without a status bit, continuous lines without a status
// field) and optionally on top of the scale's flag.
//
// Stable means: the last `samples` readings, and every reading of the last
// `windowMs`, lie within ± toleranceG of their middle (max − min ≤ 2 × toleranceG).
// Until that much history exists the weight is not stable.

export interface StabilityOptions {
  /** readings that must agree, at least */
  samples: number;
  /** half-width of the band, grams */
  toleranceG: number;
  /** time the readings must cover, ms (0: only the sample count matters) */
  windowMs: number;
}

interface Sample {
  grams: number;
  at: number;
}

export class StabilityFilter {
  private history: Sample[] = [];

  constructor(readonly opts: StabilityOptions) {
    if (!(opts.samples >= 1)) throw new RangeError(`samples ${opts.samples}: expected at least 1`);
    if (!(opts.toleranceG >= 0)) throw new RangeError(`toleranceG ${opts.toleranceG}: expected ≥ 0`);
    if (!(opts.windowMs >= 0)) throw new RangeError(`windowMs ${opts.windowMs}: expected ≥ 0`);
  }

  /** Adds a reading; true when the weight is now stable. */
  push(grams: number, at: number): boolean {
    if (!Number.isFinite(grams)) {
      this.reset();
      return false;
    }
    this.history.push({ grams, at });
    // The shortest run of latest readings that has `samples` readings and covers `windowMs`.
    let start = this.history.length - this.opts.samples;
    while (start >= 0 && at - this.history[start]!.at < this.opts.windowMs) start -= 1;
    if (start < 0) return false;
    // The next reading's run starts no earlier than this one's: older history is never needed again.
    if (start > 0) this.history = this.history.slice(start);
    let min = Infinity;
    let max = -Infinity;
    for (const s of this.history) {
      if (s.grams < min) min = s.grams;
      if (s.grams > max) max = s.grams;
    }
    return max - min <= 2 * this.opts.toleranceG + 1e-9;
  }

  /** Forgets the history: after motion frames, a lost link, zero or tare. */
  reset(): void {
    this.history = [];
  }
}
