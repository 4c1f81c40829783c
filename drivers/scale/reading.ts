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
}
