// Structured logs (pino, JSON lines on stdout). Secrets are redacted by key name
// wherever they appear, so a config or request dumped into a log line stays safe.
import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACTED_KEYS = ['metrics_token', 'token', 'password', 'secret', 'authorization', 'cookie', 'key', 'hmac_key', 'aes_key', 'login_key', 'hmacKey', 'aesKey', 'loginKey'];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `req.headers.${k}`]);
  return pino(
    {
      level,
      base: { service: 'canteen-edge' },
      redact: { paths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}
