// MT-SICS, the METTLER TOLEDO Standard Interface Command Set (level 0/1), over a
// serial line or TCP. Commands and replies are ASCII lines ending in CR LF:
//
//   SI   → S S     0.345 kg   weight now; S = stable, D = dynamic (unstable)
//   S    → S S     0.345 kg   stable weight (the scale waits for stability)
//          S I                command understood, not executable now (busy)
//          S +  /  S -        overload / underload
//   Z    → Z A                zero set;  Z I busy, Z + / Z - outside the zero range
//   T    → T S     0.123 kg   tare taken (the tare weight); T I, T + / T -
//   TA   → TA A    0.123 kg   the tare memory; `TA 0.100 kg` presets it (TA I, TA L refused)
//   TAC  → TAC A              tare cleared
//   any  → ES / ET / EL       syntax error / transmission error / logical error
//
// The weight in S/SI replies is the displayed (net) weight.
import type { ScaleReading } from './reading.ts';
import { toGrams } from './units.ts';

export type MtSicsReply =
  /** S/SI: a weight, or over/underload */
  | { kind: 'weight'; reading: ScaleReading; unit?: string }
  /** a command answered with a status and maybe a value: Z A, T S 0.123 kg, TA A 0.1 kg, TAC A, S I, Z +, … */
  | { kind: 'status'; command: string; status: string; grams?: number; unit?: string; raw: string }
  /** ES, ET, EL */
  | { kind: 'error'; code: 'ES' | 'ET' | 'EL'; raw: string };

const ERRORS = ['ES', 'ET', 'EL'] as const;
const ERROR_TEXT: Record<string, string> = {
  ES: 'syntax error (ES): the scale did not recognise the command',
  ET: 'transmission error (ET): the scale received a garbled command',
  EL: 'logical error (EL): the command cannot be executed',
};

/** The reply identifier: the first word (S for S and SI, Z, T, TA, TAC …). */
export function mtSicsReplyId(line: string): string {
  return line.trim().split(/\s+/, 1)[0] ?? '';
}

/** True for a line that answers a command with identifier `id` (or is an error reply, which names none). */
export function answersMtSics(line: string, id: string): boolean {
  const first = mtSicsReplyId(line);
  return first === id || (ERRORS as readonly string[]).includes(line.trim());
}

/** replies that must carry a weight value */
const VALUE_REQUIRED: Record<string, string[]> = { S: ['S', 'D'], T: ['S'], TA: ['A'] };

const WEIGHT = /^S\s+([SD])\s+(-?)\s*(\d+(?:\.\d+)?)\s+([A-Za-z]+)$/;
const VALUE_STATUS = /^([A-Z]+)\s+([A-Z+-])(?:\s+(-?)\s*(\d+(?:\.\d+)?)\s+([A-Za-z]+))?$/;

/** Parses one reply line (without CR LF); undefined when it is not a valid MT-SICS reply. */
export function parseMtSicsReply(line: string): MtSicsReply | undefined {
  const text = line.replace(/[\r\n]+$/, '');
  const trimmed = text.trim();
  if ((ERRORS as readonly string[]).includes(trimmed)) return { kind: 'error', code: trimmed as 'ES' | 'ET' | 'EL', raw: text };
  const w = WEIGHT.exec(trimmed);
  if (w) {
    const [, status, sign, number, unit] = w;
    const grams = toGrams(number!, unit!);
    if (grams === undefined) return undefined;
    return {
      kind: 'weight',
      unit,
      reading: { grams: sign ? -grams : grams, stable: status === 'S', net: false, overload: false, underload: false, raw: text },
    };
  }
  if (trimmed === 'S +' || trimmed === 'S -') {
    const over = trimmed === 'S +';
    return { kind: 'weight', reading: { grams: 0, stable: false, net: false, overload: over, underload: !over, raw: text, noWeight: true } };
  }
  const v = VALUE_STATUS.exec(trimmed);
  if (v) {
    const [, command, status, sign, number, unit] = v;
    if (number === undefined) {
      // S S, S D, T S, TA A carry a weight: without one the reply was cut short
      if (VALUE_REQUIRED[command!]?.includes(status!)) return undefined;
      return { kind: 'status', command: command!, status: status!, raw: text };
    }
    if (VALUE_REQUIRED[command!] && !VALUE_REQUIRED[command!]!.includes(status!)) return undefined;
    const grams = toGrams(number, unit!);
    if (grams === undefined) return undefined;
    return { kind: 'status', command: command!, status: status!, grams: sign ? -grams : grams, unit, raw: text };
  }
  return undefined;
}

/** What an error reply or a refusing status means, for an error message. */
export function mtSicsRefusal(r: MtSicsReply): string {
  if (r.kind === 'error') return ERROR_TEXT[r.code]!;
  if (r.kind === 'weight') return `unexpected weight reply "${r.reading.raw}"`;
  const what: Record<string, string> = {
    I: 'not executable now (busy, or the weight is not stable)',
    '+': 'upper limit of the range exceeded',
    '-': 'lower limit of the range exceeded',
    L: 'value not accepted (logical error)',
  };
  return `${r.command} ${r.status}: ${what[r.status] ?? 'refused'}`;
}

/** The command line for a preset tare, e.g. `TA 0.1 kg`. */
export function mtSicsPresetTare(value: string, unit: string): string {
  return `TA ${value} ${unit}\r\n`;
}
