// Errors of the DL/T 645 driver. `kind` tells a caller what happened without
// parsing the message: the meter said no (abnormal), said nothing (timeout), said
// something we cannot decode (format / unknown-di / protocol), or the line failed (io).

export type Dlt645ErrorKind = 'abnormal' | 'timeout' | 'format' | 'unknown-di' | 'protocol' | 'io' | 'usage';

export interface Dlt645ErrorDetails {
  /** the ERR byte of an abnormal reply */
  err?: number;
  di?: string;
  /** undecoded data, hex, most significant byte first */
  raw?: string;
}

export class Dlt645Error extends Error {
  constructor(
    message: string,
    readonly kind: Dlt645ErrorKind,
    readonly details: Dlt645ErrorDetails = {},
  ) {
    super(message);
    this.name = 'Dlt645Error';
  }
}

/** ERR byte bits of an abnormal reply (DL/T 645-2007 7.1 / 7.2), lowest bit first. */
export const ERR_BITS: readonly string[] = [
  'other error',
  'no such data (DI not supported)',
  'password wrong or not authorised',
  'communication rate cannot change',
  'year time zones exceeded',
  'day time periods exceeded',
  'tariffs exceeded',
];

/** Readable reasons for an ERR byte, e.g. 0x02 → "no such data (DI not supported) (ERR 0x02)". */
export function errReason(err: number): string {
  const reasons = ERR_BITS.filter((_, bit) => err & (1 << bit));
  if (err & 0x80) reasons.push('reserved bit 7');
  const hex = `ERR 0x${err.toString(16).padStart(2, '0').toUpperCase()}`;
  return reasons.length ? `${reasons.join('; ')} (${hex})` : `abnormal reply without a reason (${hex})`;
}
