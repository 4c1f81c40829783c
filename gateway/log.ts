// Structured logs (pino, JSON lines on stdout). Secrets are redacted by key name
// wherever they appear, so a config or request dumped into a log line stays safe.
// The last warnings and errors are also kept in memory (after redaction), for the
// /admin operations view and the support bundle.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACTED_KEYS = ['metrics_token', 'token', 'password', 'secret', 'authorization', 'cookie', 'key', 'hmac_key', 'aes_key', 'login_key', 'hmacKey', 'aesKey', 'loginKey'];

/** How many warn+ records the ring keeps, and how long one record may be. */
export const RECENT_RECORDS = 200;
const MAX_RECORD_CHARS = 4096;

export interface LogRecord {
  /** ISO time */
  time: string;
  level: 'warn' | 'error' | 'fatal';
  msg: string;
  /** the rest of the (redacted) record: module, device, err … */
  [field: string]: unknown;
}

const LEVEL_NAMES: Record<number, LogRecord['level']> = { 40: 'warn', 50: 'error', 60: 'fatal' };

/** The last `size` warn-or-worse records, oldest first; fed by pino with lines already redacted. */
export class LogRing {
  private readonly records: LogRecord[] = [];

  constructor(readonly size = RECENT_RECORDS) {}

  /** pino's stream interface: one JSON line per call. */
  write(line: string): void {
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line.length > MAX_RECORD_CHARS ? trimmed(line) : line) as Record<string, unknown>;
    } catch {
      rec = { level: 50, time: new Date().toISOString(), msg: line.slice(0, MAX_RECORD_CHARS) };
    }
    const { level, time, msg, service: _service, pid: _pid, hostname: _host, ...rest } = rec;
    this.records.push({ ...rest, time: String(time ?? new Date().toISOString()), level: LEVEL_NAMES[Number(level)] ?? 'error', msg: String(msg ?? '') });
    if (this.records.length > this.size) this.records.shift();
  }

  /** newest first */
  recent(limit = this.size): LogRecord[] {
    return this.records.slice(-limit).reverse();
  }
}

/** An over-long line: keep the head fields, drop the rest (still valid JSON). */
function trimmed(line: string): string {
  try {
    const r = JSON.parse(line) as Record<string, unknown>;
    return JSON.stringify({ level: r.level, time: r.time, msg: r.msg, module: r.module, truncated: true, head: line.slice(0, MAX_RECORD_CHARS) });
  } catch {
    return JSON.stringify({ level: 50, msg: line.slice(0, MAX_RECORD_CHARS) });
  }
}

const rings = new WeakMap<Logger, LogRing>();

/** The ring of recent warnings and errors of a logger made by createLogger (children share it through their root). */
export function recentLogOf(logger: Logger): LogRing | undefined {
  return rings.get(logger);
}

export function createLogger(level: string, destination?: NodeJS.WritableStream, ring: LogRing = new LogRing()): Logger {
  const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers.${k}`]);
  const out = destination ?? pino.destination({ fd: 1, sync: true });
  const logger = pino(
    {
      level,
      base: { service: 'canteen-edge' },
      redact: { paths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // The main stream takes everything the logger's level lets through (which a reload may change).
    pino.multistream([
      { level: 'trace', stream: out },
      { level: 'warn', stream: ring },
    ]),
  );
  rings.set(logger, ring);
  return logger;
}
