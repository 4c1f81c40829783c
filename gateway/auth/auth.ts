// Authentication in the running gateway: who a request or a socket handshake is
// (staff session cookie or bearer token, paired kiosk cookie), the failure limiter,
// the audit log, session revocation for open sockets, and the first start's admin.
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EventBus } from '../bus/event-bus.ts';
import type { Logger } from '../log.ts';
import type { DiskGuard } from '../ops/disk-guard.ts';
import { SpillFile } from '../ops/spill.ts';
import type { Db } from '../store/sqlite.ts';
import { authSettings, kioskTargets, type AuthConfig, type AuthSettings } from './config.ts';
import { KIOSK_COOKIE, SESSION_COOKIE, parseCookies } from './cookies.ts';
import { AttemptLimiter } from './limiter.ts';
import { randomPassword } from './passwords.ts';
import type { Principal } from './roles.ts';
import { AuthStore, type AuditEntry } from './store.ts';

export const INITIAL_ADMIN_FILE = 'initial-admin-password.txt';
const PRUNE_EVERY_MS = 3_600_000;
/** Audit lines kept in memory while the disk is full; beyond this they are only in the log. */
const MAX_UNWRITTEN_AUDIT = 100_000;
/** The reserve on the data disk that keeps them through a crash (gateway/ops/spill.ts): about 4000 lines. */
export const AUDIT_SPILL_FILE = 'audit.spill';
const AUDIT_SPILL_BYTES = 1024 * 1024;

/** What a request or handshake carries. */
export interface Credentials {
  cookie?: string | undefined;
  authorization?: string | undefined;
  /** Socket.IO `auth: { token }` */
  token?: unknown;
}

export interface AuthOptions {
  db: Db;
  settings: AuthSettings;
  /** station id → scale id, for pairing */
  targets: Map<string, string>;
  /** where auth:revoked goes (the sockets of ended sessions are closed) */
  bus: EventBus;
  logger: Logger;
  now?: () => number;
}

export class Auth {
  readonly store: AuthStore;
  readonly limiter: AttemptLimiter;
  private timer: NodeJS.Timeout | undefined;
  private disk: DiskGuard | undefined;
  private readonly unwrittenAudit: AuditEntry[] = [];
  private spill: SpillFile | undefined;

  readonly settings: AuthSettings;
  /** station id → scale id, for pairing */
  readonly targets: Map<string, string>;
  private readonly bus: EventBus;
  private readonly logger: Logger;

  constructor(opts: AuthOptions) {
    const { db, now = Date.now } = opts;
    this.settings = opts.settings;
    this.targets = opts.targets;
    this.bus = opts.bus;
    this.logger = opts.logger;
    this.store = new AuthStore(db, now);
    this.limiter = new AttemptLimiter(db, this.settings.limiter, now);
  }

  get secureCookies(): boolean {
    return !!this.settings.tls;
  }

  start(): void {
    this.limiter.recover();
    this.prune();
    this.timer = setInterval(() => this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.spill?.close();
  }

  /**
   * Everyone a request speaks for, staff first: a staff session (cookie or bearer
   * token) and a paired kiosk (its cookie). A route lets the request in when one of
   * them may use it.
   */
  principals(c: Credentials): Principal[] {
    const cookies = parseCookies(c.cookie);
    const out: Principal[] = [];
    const bearer = /^Bearer ([A-Za-z0-9_-]{1,200})$/i.exec(c.authorization ?? '')?.[1];
    for (const token of [bearer, typeof c.token === 'string' ? c.token : undefined, cookies.get(SESSION_COOKIE), cookies.get(KIOSK_COOKIE)]) {
      if (!token) continue;
      const p = this.store.session(token);
      if (p && !out.some((o) => o.session === p.session)) out.push(p);
    }
    return out.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'staff' ? -1 : 1));
  }

  audit(e: AuditEntry): void {
    try {
      this.store.audit(e);
    } catch (err) {
      // A done action stays done; its audit line is not lost: on a full disk it is kept
      // in memory (and in the log) and written with its own time once the disk has room.
      // Also into the reserve file, so that a crash before then does not lose it.
      if (this.disk?.failed(err) && this.unwrittenAudit.length < MAX_UNWRITTEN_AUDIT) {
        const line = { ...e, at: e.at ?? Date.now() };
        this.unwrittenAudit.push(line);
        const kept = this.spillLine(line);
        this.logger.error({ audit: e }, kept ? 'audit line kept in memory and in the reserve file: the disk is full' : 'audit line kept in memory only (no room in the reserve file): the disk is full');
      } else this.logger.error({ err, audit: e }, 'audit log write failed');
    }
  }

  /** Audit lines waiting for disk space. */
  get auditWaiting(): number {
    return this.unwrittenAudit.length;
  }

  /**
   * The disk the audit log is on: lines refused for want of space are written once it has
   * room. Lines a crash left in the reserve file are written now (or as soon as there is room).
   */
  watchDisk(disk: DiskGuard): void {
    this.disk = disk;
    try {
      this.spill = SpillFile.open(path.join(disk.dataDir, AUDIT_SPILL_FILE), AUDIT_SPILL_BYTES);
      const left = this.spill.lines<AuditEntry>();
      if (left.length) {
        this.logger.warn({ lines: left.length }, 'audit lines from the reserve file (the disk was full when the gateway stopped): writing them');
        this.unwrittenAudit.push(...left);
        this.writeBack(disk);
      }
    } catch (err) {
      this.logger.warn({ err }, 'no reserve file for audit lines: on a full disk they are kept in memory only');
    }
    disk.on('change', (state) => {
      if (state !== 'full') this.writeBack(disk);
    });
  }

  private spillLine(line: AuditEntry): boolean {
    try {
      return this.spill?.append(line) ?? false;
    } catch {
      return false;
    }
  }

  private writeBack(disk: DiskGuard): void {
    const waiting = this.unwrittenAudit.splice(0);
    for (const [i, e] of waiting.entries()) {
      try {
        this.store.audit(e);
      } catch (err) {
        this.unwrittenAudit.push(...waiting.slice(i));
        disk.failed(err);
        return;
      }
    }
    // all in SQLite now (a crash just before this clears nothing: those lines come back once more at start)
    if (waiting.length) this.spill?.clear();
  }

  /** Sockets opened with these sessions are closed (sign-out; auth:revoked on the bus); 'check' re-checks every socket. */
  revoked(sessions: Set<string> | 'check'): void {
    this.bus.emit('auth:revoked', { sessions });
  }

  /** First start without accounts: an `admin` with a random password, written to a file only the service user can read. */
  async bootstrap(dataDir: string): Promise<void> {
    if (!this.settings.initialAdmin || this.store.countAccounts() > 0) return;
    const password = randomPassword('admin');
    await this.store.addAccount('admin', 'admin', password);
    const file = path.join(dataDir, INITIAL_ADMIN_FILE);
    writeFileSync(
      file,
      [
        'canteen-edge: the first administrator account, created on the first start.',
        '',
        `username: admin`,
        `password: ${password}`,
        '',
        'Sign in at /login, then choose your own password:',
        '  canteen-edge user passwd --name admin',
        '(which deletes this file). Add accounts for staff with `canteen-edge user add`.',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    chmodSync(file, 0o600);
    this.store.audit({ actor: 'gateway', action: 'user add', detail: { username: 'admin', role: 'admin', initial: true }, result: 'ok' });
    this.logger.info({ username: 'admin', file }, `first start: created the account "admin"; its password is in ${file}`);
    // Shown once on a developer's terminal; never in a log that goes to the journal.
    if (process.stderr.isTTY) {
      process.stderr.write(`\n  canteen-edge first start — sign in at /login as  admin / ${password}\n  (also in ${file}; change it with: canteen-edge user passwd --name admin)\n\n`);
    }
  }

  /** One address failed too often on one username: recorded, and told to the admins on /admin (the ops view's warnings). */
  loginLocked(username: string, client: string): void {
    const minutes = Math.round(this.settings.limiter.windowMs / 60_000);
    this.audit({ actor: username, action: 'login locked', detail: { username, failures: this.settings.limiter.maxFailures, minutes }, result: 'locked', client });
    this.logger.warn({ username, client }, `sign-in as "${username}" from ${client} locked for up to ${minutes} min after ${this.settings.limiter.maxFailures} wrong passwords`);
  }

  /** A username failed often from all addresses together: not locked (anyone could lock an admin out), but the admins are told. */
  loginAlert(username: string, failures: number): void {
    const minutes = Math.round(this.settings.limiter.windowMs / 60_000);
    this.audit({ actor: username, action: 'login alert', detail: { username, failures, minutes }, result: 'alert' });
    this.logger.warn({ username, failures }, `${failures} wrong passwords for "${username}" from several addresses within ${minutes} min: someone may be guessing it`);
  }

  private prune(): void {
    try {
      this.limiter.prune();
      this.store.prune(this.settings.auditRetentionMs);
    } catch (err) {
      this.logger.error({ err }, 'auth pruning failed');
    }
  }
}

export async function createAuth(opts: { db: Db; config: { auth: AuthConfig; file: string; paths: { data_dir: string }; canteen: { stations: { id: string; scale: string }[] }; devices: { scales: { id: string }[] } }; bus: EventBus; logger: Logger }): Promise<Auth> {
  const { db, config, bus, logger } = opts;
  const auth = new Auth({ db, settings: authSettings(config.auth, config.file), targets: kioskTargets(config), bus, logger });
  await auth.bootstrap(config.paths.data_dir);
  auth.start();
  return auth;
}

export const initialAdminFile = (dataDir: string) => path.join(dataDir, INITIAL_ADMIN_FILE);
export const hasInitialAdminFile = (dataDir: string) => existsSync(initialAdminFile(dataDir));
