// The `auth:` section of the config, and the settings the gateway derives from it
// (TLS files read, durations in ms). Imports only zod and the shared shapes, so the
// main schema can include it without a cycle.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { secretFile } from '../config/shapes.ts';
import type { LimiterOptions } from './limiter.ts';

export const authConfigSchema = z
  .strictObject({
    session_hours: z.number().min(0.1).max(720).default(12).describe('a staff sign-in lasts this long (hours)'),
    kiosk_days: z.number().int().min(1).max(3650).default(365).describe('a paired kiosk stays paired this long (days); unpair with `canteen-edge kiosk unpair`'),
    kiosk_staff_minutes: z
      .number()
      .int()
      .min(1)
      .max(1440)
      .default(15)
      .describe('a staff sign-in on a paired kiosk device (a shared screen) lasts at most this long (minutes)'),
    pairing_minutes: z.number().int().min(1).max(1440).default(10).describe('a kiosk pairing code is valid this long (minutes), and only once'),
    login_rate_limit: z
      .strictObject({
        max_failures: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(5)
          .describe('failed sign-ins for one username from one client address (and failed attempts of any kind before a pairing code is tried from that address) before it is answered 429'),
        max_failures_per_client: z.number().int().min(1).max(10_000).default(20).describe('failed sign-ins from one client address, for any usernames, before it is answered 429'),
        max_failures_per_user: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(20)
          .describe('failed sign-ins for one username from all addresses after which the admins are alerted (audit log and /admin); the username is not locked for everyone, so nobody can lock an administrator out'),
        window_minutes: z.number().min(0.1).max(1440).default(15).describe('failures count for this long (minutes)'),
      })
      .prefault({})
      .describe('brute-force protection of POST /api/auth/login and /api/auth/pair'),
    initial_admin: z
      .boolean()
      .default(true)
      .describe('on the first start with no accounts, create the account `admin` with a random password, written to `<data_dir>/initial-admin-password.txt` (mode 600; also shown on the terminal when there is one)'),
    metrics_public: z
      .boolean()
      .default(false)
      .describe('serve GET /metrics to anyone; otherwise it needs `server.metrics_token` as a bearer token or a facility or admin sign-in'),
    audit_retention_days: z.number().int().min(30).max(3650).default(400).describe('audit log entries are kept this long (days)'),
    tls: z
      .strictObject({
        cert: secretFile.describe('the certificate chain (PEM)'),
        key: secretFile.describe('its private key (PEM), readable only by the service user'),
      })
      .optional()
      .describe('serve HTTPS (and secure cookies) with this certificate; relative paths resolve against the config file'),
  })
  .prefault({})
  .describe('accounts, sessions, kiosk pairing, the audit log and HTTPS (see gateway/auth/README.md)');

export type AuthConfig = z.output<typeof authConfigSchema>;

export interface AuthSettings {
  sessionTtlMs: number;
  kioskTtlMs: number;
  kioskStaffTtlMs: number;
  pairingTtlMs: number;
  limiter: LimiterOptions;
  initialAdmin: boolean;
  metricsPublic: boolean;
  auditRetentionMs: number;
  tls?: { cert: Buffer; key: Buffer };
}

const HOUR = 3_600_000;

/** The settings, with the TLS files read (a missing or unreadable file is an error naming the key). */
export function authSettings(cfg: AuthConfig, configFile: string): AuthSettings {
  const dir = path.dirname(configFile);
  const read = (key: 'cert' | 'key') => {
    const file = path.resolve(dir, cfg.tls![key].file);
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(`auth.tls.${key}.file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? err})`);
    }
  };
  return {
    sessionTtlMs: cfg.session_hours * HOUR,
    kioskTtlMs: cfg.kiosk_days * 24 * HOUR,
    kioskStaffTtlMs: cfg.kiosk_staff_minutes * 60_000,
    pairingTtlMs: cfg.pairing_minutes * 60_000,
    limiter: {
      maxFailures: cfg.login_rate_limit.max_failures,
      maxFailuresPerClient: cfg.login_rate_limit.max_failures_per_client,
      alertFailuresPerUser: cfg.login_rate_limit.max_failures_per_user,
      windowMs: cfg.login_rate_limit.window_minutes * 60_000,
    },
    initialAdmin: cfg.initial_admin,
    metricsPublic: cfg.metrics_public,
    auditRetentionMs: cfg.audit_retention_days * 24 * HOUR,
    ...(cfg.tls ? { tls: { cert: read('cert'), key: read('key') } } : {}),
  };
}

/** The stations a kiosk can be paired to: each canteen station (with its scale), and each scale no station uses (a weighing-only kiosk). */
export function kioskTargets(config: { canteen: { stations: { id: string; scale: string }[] }; devices: { scales: { id: string }[] } }): Map<string, string> {
  const targets = new Map(config.canteen.stations.map((s) => [s.id, s.scale] as const));
  const used = new Set(targets.values());
  for (const s of config.devices.scales) if (!used.has(s.id) && !targets.has(s.id)) targets.set(s.id, s.id);
  return targets;
}
