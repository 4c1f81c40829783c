// Turns zod's validation issues into messages an installer can act on:
// the key path, the value found, and what was expected.
import type { z } from 'zod';

/** One config mistake: where it is and what is wrong (load.ts, kitchen/config.ts…). */
export interface ConfigIssue {
  /** key path, e.g. `devices.meters[0].transport.port`, or an env variable name */
  path: string;
  message: string;
}

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue & { input?: unknown };

export function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  const shown = s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
  const kind = v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'mapping' : typeof v;
  return `${shown} (${kind})`;
}

export function describeIssue(root: Schema, issue: Issue): ConfigIssue[] {
  const at = formatPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = objectKeysAt(root, issue.path);
      const input = (issue.input ?? {}) as Record<string, unknown>;
      return issue.keys.map((key) => {
        const hint = nearest(key, allowed);
        return {
          path: at ? `${at}.${key}` : key,
          message:
            `unknown key (value ${showValue(input[key])}); expected one of: ${allowed.join(', ')}` +
            (hint ? ` — did you mean "${hint}"?` : ''),
        };
      });
    }
    case 'invalid_type':
      return [
        {
          path: at,
          message:
            issue.input === undefined
              ? `missing; expected ${article(issue.expected)}`
              : `got ${showValue(issue.input)}; expected ${article(issue.expected)}`,
        },
      ];
    case 'invalid_value':
      return [
        {
          path: at,
          message: `${issue.input === undefined ? 'missing' : `got ${showValue(issue.input)}`}; expected ${issue.values.length === 1 ? '' : 'one of '}${issue.values
            .map((v) => JSON.stringify(v))
            .join(', ')}${typeof issue.input === 'string' ? didYouMean(issue.input, issue.values.filter((v): v is string => typeof v === 'string')) : ''}`,
        },
      ];
    case 'too_big':
    case 'too_small': {
      const bound =
        issue.code === 'too_big'
          ? `${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`
          : `${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}`;
      const what = issue.origin === 'array' ? ' items' : issue.origin === 'string' ? ' characters' : '';
      return [{ path: at, message: `got ${showValue(issue.input)}; expected ${bound}${what}` }];
    }
    case 'invalid_union':
      return [{ path: at, message: `got ${showValue(issue.input)}; expected ${unionExpectation(issue)}` }];
    default:
      return [{ path: at, message: `got ${showValue(issue.input)}; ${issue.message}` }];
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'an integer';
  if (expected === 'object') return 'a mapping';
  if (expected === 'array') return 'a list';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function unionExpectation(issue: Issue & { errors?: Issue[][] }): string {
  const alts = (issue.errors ?? []).map((branch) => branch.map((e) => e.message).join(', '));
  return alts.length ? alts.map((a) => `(${a})`).join(' or ') : issue.message;
}

/** Unwraps defaults, optionals and arrays down the path to the object that owns the keys. */
function objectKeysAt(root: Schema, p: readonly PropertyKey[]): string[] {
  let s: Schema | undefined = unwrap(root);
  for (const k of p) {
    if (!s) break;
    const def = s._zod.def as unknown as { type: string; shape?: Record<string, Schema>; element?: Schema };
    s = unwrap(def.type === 'object' ? def.shape?.[String(k)] : def.type === 'array' ? def.element : undefined);
  }
  const def = s?._zod.def as unknown as { type: string; shape?: Record<string, Schema>; options?: Schema[] } | undefined;
  if (def?.type === 'object' && def.shape) return Object.keys(def.shape);
  if (def?.type === 'union' && def.options) {
    return [...new Set(def.options.flatMap((o) => objectKeysAt(o, [])))];
  }
  return [];
}

function unwrap(s: Schema | undefined): Schema | undefined {
  let cur = s;
  for (;;) {
    const def = cur?._zod.def as unknown as { type: string; innerType?: Schema } | undefined;
    if (!def || !def.innerType || !['default', 'prefault', 'optional', 'nullable'].includes(def.type)) return cur;
    cur = def.innerType;
  }
}

/** ` — did you mean "x"?` when one of `options` is a likely typo of `word`, else nothing. */
export function didYouMean(word: string, options: readonly string[]): string {
  const hint = nearest(word, [...options]);
  return hint && hint !== word ? ` — did you mean "${hint}"?` : '';
}

function nearest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
