// Continuous ASCII output of weighing indicators: one line per reading, e.g.
//   ST,GS,+0001.234kg   (ST stable / US unstable / OL overload / UL underload;
//                        GS gross / NT net; sign; value; unit kg or g)
import type { ScaleReading } from './reading.ts';

// Over/under range indicators print dashes instead of a value: "OL,GS,  ------kg".
const LINE = /^(ST|US|OL|UL),(GS|NT),\s*(?:([+-])?\s*(\d+(?:\.\d+)?)|-{2,})?\s*(kg|g)?\s*$/;

/** Parses one line (without its line ending); undefined when it is not a weight line. */
export function parseContinuousLine(line: string): ScaleReading | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  const [, status, mode, sign, number, unit] = m;
  const overload = status === 'OL';
  const underload = status === 'UL';
  if (number === undefined && !overload && !underload) return undefined;
  const magnitude = number === undefined ? 0 : Number(number) * (unit === 'g' ? 1 : 1000);
  return {
    grams: Math.round((sign === '-' ? -magnitude : magnitude) * 1000) / 1000,
    stable: status === 'ST',
    net: mode === 'NT',
    overload,
    underload,
    raw: line,
  };
}
