// Log lines for a person at a terminal: `10:35:02 INFO  canteen-edge started  port=8080`,
// in site time, coloured by level. Only when stdout is a terminal: under systemd (the
// journal), in a pipe or a file the lines stay JSON for machines
// (CANTEEN_EDGE_LOG_FORMAT=json|pretty overrides).
import { writeSync } from 'node:fs';

const LEVELS: Record<number, { name: string; colour: string }> = {
  10: { name: 'TRACE', colour: '\x1b[90m' },
  20: { name: 'DEBUG', colour: '\x1b[36m' },
  30: { name: 'INFO ', colour: '\x1b[32m' },
  40: { name: 'WARN ', colour: '\x1b[33m' },
  50: { name: 'ERROR', colour: '\x1b[31m' },
  60: { name: 'FATAL', colour: '\x1b[41m\x1b[97m' },
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const MAX_VALUE_CHARS = 160;

export type LogFormat = 'json' | 'pretty';

/** pretty on a terminal that is not the journal, json otherwise; the environment may say which. */
export function logFormat(env: NodeJS.ProcessEnv = process.env, stdoutIsTty = Boolean(process.stdout.isTTY)): LogFormat {
  const asked = env.CANTEEN_EDGE_LOG_FORMAT;
  if (asked === 'json' || asked === 'pretty') return asked;
  return stdoutIsTty && !env.JOURNAL_STREAM && !env.INVOCATION_ID ? 'pretty' : 'json';
}

/** A pino destination writing readable lines to fd 1 (synchronously, like the JSON one), or undefined when JSON is wanted. */
export function terminalLogStream(timeZone: string, env: NodeJS.ProcessEnv = process.env): NodeJS.WritableStream | undefined {
  if (logFormat(env) !== 'pretty') return undefined;
  const colour = env.NO_COLOR === undefined;
  const clock = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  // pino's multistream only calls write(line)
  return { write: (line: string) => (writeSync(1, prettyLine(line, clock, colour)), true) } as unknown as NodeJS.WritableStream;
}

/** One JSON log line as text for people (a line that is not JSON passes as it is). */
export function prettyLine(line: string, clock: Intl.DateTimeFormat, colour: boolean): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const { level, time, msg, service: _s, pid: _p, hostname: _h, err, module, ...rest } = rec;
  const lv = LEVELS[Number(level)] ?? { name: String(level), colour: '' };
  const at = typeof time === 'string' || typeof time === 'number' ? clock.format(new Date(time)) : '';
  const paint = (code: string, text: string) => (colour && code ? `${code}${text}${RESET}` : text);
  const fields = Object.entries(rest)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${shown(v)}`)
    .join(' ');
  let out = `${paint(DIM, at)} ${paint(lv.colour, lv.name)} ${module ? paint(DIM, `[${String(module)}] `) : ''}${String(msg ?? '')}${fields ? `  ${paint(DIM, fields)}` : ''}\n`;
  if (err && typeof err === 'object') {
    const e = err as { message?: string; stack?: string };
    const stack = Number(level) >= 50 && e.stack ? e.stack.split('\n').slice(1, 6).join('\n') : '';
    out += `    ${paint(lv.colour, e.message ?? JSON.stringify(err))}\n${stack ? `${paint(DIM, stack)}\n` : ''}`;
  }
  return out;
}

function shown(v: unknown): string {
  const s = typeof v === 'string' ? (/[\s="]/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v);
  return s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS - 1)}…` : s;
}
