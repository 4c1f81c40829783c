// Continuous ASCII output of weighing indicators: one line per reading, e.g.
//   ST,GS,+0001.234kg   (ST stable / US unstable / OL overload / UL underload;
//                        GS gross / NT net; sign; value; unit kg or g)
// Other indicators print other lines: `compileLinePattern` makes a parser from a
// regular expression with named groups.
import type { ScaleReading } from './reading.ts';
import { toGrams } from './units.ts';

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
  // A value without its unit is a line cut short ("ST,GS,+0000.3"): never guess the weight.
  if (number !== undefined && unit === undefined) return undefined;
  const magnitude = number === undefined ? 0 : Number(number) * (unit === 'g' ? 1 : 1000);
  const reading: ScaleReading = {
    grams: Math.round((sign === '-' ? -magnitude : magnitude) * 1000) / 1000,
    stable: status === 'ST',
    net: mode === 'NT',
    overload,
    underload,
    raw: line,
  };
  if (number === undefined) reading.noWeight = true;
  return reading;
}

/** A line format of another indicator. */
export interface LinePattern {
  /**
   * A regular expression (JavaScript syntax) matched against the whole line without
   * its line ending. Named groups: `value` (required: digits, maybe a decimal point
   * and a sign), and optionally `status`, `mode`, `sign`, `unit`.
   */
  regex: string;
  /** values of `status` that mean stable; the scale has no stable flag when the regex has no `status` group */
  stable?: string[];
  /** values of `status` that mean overload */
  overload?: string[];
  /** values of `status` that mean underload */
  underload?: string[];
  /** values of `mode` that mean net */
  net?: string[];
  /** unit of `value` when the line has no `unit` group */
  unit?: 'kg' | 'g';
}

export interface CompiledPattern {
  parse(line: string): ScaleReading | undefined;
  /** whether lines carry a stable flag (a `status` group and stable values) */
  hasStableFlag: boolean;
}

/** Checks a pattern; the error message says what is wrong, or undefined when it is usable. */
export function linePatternProblem(p: LinePattern): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(p.regex);
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
  const groups = new RegExp(`${re.source}|`).exec('')?.groups ?? {};
  if (!('value' in groups)) return 'needs a named group `value`, e.g. (?<value>[+-]?\\d+(?:\\.\\d+)?)';
  return undefined;
}

export function compileLinePattern(p: LinePattern): CompiledPattern {
  const problem = linePatternProblem(p);
  if (problem) throw new Error(`pattern.regex: ${problem}`);
  const re = new RegExp(p.regex);
  const groups = new RegExp(`${re.source}|`).exec('')?.groups ?? {};
  const stable = new Set(p.stable ?? ['ST']);
  const overload = new Set(p.overload ?? ['OL']);
  const underload = new Set(p.underload ?? ['UL']);
  const net = new Set(p.net ?? ['NT']);
  const hasStableFlag = 'status' in groups && stable.size > 0;
  return {
    hasStableFlag,
    parse(line) {
      const m = re.exec(line);
      const g = m?.groups;
      if (!g) return undefined;
      const status = g.status?.trim();
      const isOver = status !== undefined && overload.has(status);
      const isUnder = status !== undefined && underload.has(status);
      const rawValue = g.value?.replace(/\s+/g, '');
      const valueMatch = rawValue ? /^([+-]?)(\d+(?:\.\d+)?|\.\d+)$/.exec(rawValue) : null;
      if (!valueMatch) {
        if (!isOver && !isUnder) return undefined;
        return { grams: 0, stable: false, net: g.mode !== undefined && net.has(g.mode.trim()), overload: isOver, underload: isUnder, raw: line, noWeight: true };
      }
      const unit = g.unit?.trim() || p.unit || 'kg';
      const magnitude = toGrams(valueMatch[2]!.startsWith('.') ? `0${valueMatch[2]}` : valueMatch[2]!, unit);
      if (magnitude === undefined) return undefined;
      const negative = (g.sign?.trim() === '-') !== (valueMatch[1] === '-');
      return {
        grams: negative && magnitude !== 0 ? -magnitude : magnitude,
        stable: hasStableFlag && status !== undefined && stable.has(status) && !isOver && !isUnder,
        net: g.mode !== undefined && net.has(g.mode.trim()),
        overload: isOver,
        underload: isUnder,
        raw: line,
      };
    },
  };
}
