/** One weight reading, the same for every scale protocol. */
export interface ScaleReading {
  grams: number;
  /** the scale's own stable flag (or the stability filter's verdict) */
  stable: boolean;
  /** net (tare applied) rather than gross */
  net: boolean;
  overload: boolean;
  underload: boolean;
  /** the frame as received, for the audit record */
  raw: string;
  /**
   * true when the frame carried no weight at all (a status-only frame: Toledo in
   * motion or out of range, MT-SICS `S +`/`S -`, dashes on a continuous line);
   * grams is 0 then and the reading is never stable.
   */
  noWeight?: boolean;
  /** the tare the scale applied, grams, when the reading is net and the protocol says how much */
  tare?: number;
}

/** Who decided `stable`: the scale's own flag, or the stability filter. */
export type StableBy = 'scale' | 'filter';

/** What a ScaleDriver delivers: the protocol's reading, rounded to e, with the verdict's source. */
export interface WeightReading extends ScaleReading {
  deviceId: string;
  /** epoch ms when the frame arrived */
  at: number;
  stableBy: StableBy;
}
