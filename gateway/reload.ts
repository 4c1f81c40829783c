// Config reload on SIGHUP: the file is read and validated again; an invalid one is
// logged with its errors and the running config stays. Of a valid one, what can
// change live is applied at once, and every other changed key is reported as
// needing a restart (and stays as it was until then). Live today:
//   log.level   the logger's level
//   site.name   what the pages show (on their next connection)
//   auth.session_hours, kiosk_days, kiosk_staff_minutes, pairing_minutes,
//   login_rate_limit.*, audit_retention_days
//               read by the auth routes and the limiter at each use: new sign-ins,
//               pairings and failures follow the new values (existing sessions keep theirs)
// Everything else is wired into modules at start (ports, devices, uplinks, stores,
// payments, TLS, route rules): changing those live would need each module to rebuild
// itself, so they are honestly reported as restart-only rather than half-applied.
import { authSettings, type AuthSettings } from './auth/config.ts';
import { ConfigError, loadConfig, type ConfigIssue, type LoadedConfig } from './config/load.ts';
import type { Logger } from './log.ts';
import type { SiteInfo } from './wire/site.ts';

export const LIVE_KEYS = ['log.level', 'site.name'] as const;
/** applied when the gateway hands over its auth settings */
export const LIVE_AUTH_KEYS = ['auth.session_hours', 'auth.kiosk_days', 'auth.kiosk_staff_minutes', 'auth.pairing_minutes', 'auth.audit_retention_days', 'auth.login_rate_limit.max_failures', 'auth.login_rate_limit.max_failures_per_client', 'auth.login_rate_limit.max_failures_per_user', 'auth.login_rate_limit.window_minutes'] as const;

export interface ReloadResult {
  ok: boolean;
  applied: string[];
  restartNeeded: string[];
  errors: ConfigIssue[];
}

export class ConfigReloader {
  constructor(
    /** the config the gateway runs with; live keys are updated in place */
    private readonly running: LoadedConfig,
    private readonly target: { logger: Logger; site: SiteInfo; auth?: { settings: AuthSettings } },
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  reload(): ReloadResult {
    const { logger } = this.target;
    const file = this.running.file;
    let next: LoadedConfig;
    try {
      next = loadConfig(file, this.env);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      logger.error({ file, errors: err.issues }, `config reload refused: ${err.issues.map((i) => `${i.path || '(top level)'}: ${i.message}`).join('; ')} — keeping the running config`);
      return { ok: false, applied: [], restartNeeded: [], errors: err.issues };
    }
    const changed = changedKeys(this.running, next);
    const live: readonly string[] = [...LIVE_KEYS, ...(this.target.auth ? LIVE_AUTH_KEYS : [])];
    const applied = changed.filter((k) => live.includes(k));
    const restartNeeded = changed.filter((k) => !applied.includes(k));
    if (applied.includes('log.level')) {
      logger.level = next.log.level;
      this.running.log.level = next.log.level;
    }
    if (applied.includes('site.name')) {
      this.target.site.name = next.site.name;
      this.running.site.name = next.site.name;
    }
    const authKeys = applied.filter((k) => k.startsWith('auth.'));
    if (authKeys.length && this.target.auth) {
      // TLS is restart-only: leave it out, so its files are not read here
      const fresh = authSettings({ ...next.auth, tls: undefined }, file);
      const s = this.target.auth.settings;
      Object.assign(s, { sessionTtlMs: fresh.sessionTtlMs, kioskTtlMs: fresh.kioskTtlMs, kioskStaffTtlMs: fresh.kioskStaffTtlMs, pairingTtlMs: fresh.pairingTtlMs, auditRetentionMs: fresh.auditRetentionMs });
      // the limiter holds this very object
      Object.assign(s.limiter, fresh.limiter);
      for (const k of authKeys) setPath(this.running, k, getPath(next, k));
    }
    const parts = [applied.length ? `applied ${applied.join(', ')}` : 'nothing to apply live', restartNeeded.length ? `needs a restart: ${restartNeeded.join(', ')}` : 'nothing needs a restart'];
    logger.info({ file, applied, restartNeeded }, `config reloaded: ${parts.join('; ')}`);
    if (restartNeeded.length) logger.warn({ restartNeeded }, `config changes wait for a restart: ${restartNeeded.join(', ')}`);
    return { ok: true, applied, restartNeeded, errors: [] };
  }
}

const getPath = (o: unknown, key: string): unknown => key.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
function setPath(o: object, key: string, value: unknown): void {
  const keys = key.split('.');
  const parent = keys.slice(0, -1).reduce<Record<string, unknown>>((v, k) => v[k] as Record<string, unknown>, o as Record<string, unknown>);
  parent[keys.at(-1)!] = value;
}

/** The key paths whose values differ, e.g. `log.level`, `devices.meters[0].poll_ms`, `uplinks` (never the values: some are secrets). */
export function changedKeys(a: LoadedConfig, b: LoadedConfig): string[] {
  const out: string[] = [];
  const norm = (c: LoadedConfig) => ({ ...c, profiles: [...c.profiles.values()], file: undefined });
  diff(norm(a), norm(b), '', out);
  return out;
}

function diff(a: unknown, b: unknown, at: string, out: string[]): void {
  if (Object.is(a, b)) return;
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return void out.push(at);
    a.forEach((x, i) => diff(x, b[i], `${at}[${i}]`, out));
    return;
  }
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[k], b[k], at ? `${at}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(at);
}
