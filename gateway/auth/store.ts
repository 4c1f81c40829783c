// Accounts, sessions, pairing codes and the audit log in SQLite. Shared by the
// running gateway and the CLI (`canteen-edge user …`, `kiosk pair`), which write
// the same database: a password change or removal ends that account's sessions,
// and the gateway notices on its next check.
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../store/sqlite.ts';
import { dummyHash, hashPassword, passwordProblem, randomCode, verifyPassword } from './passwords.ts';
import { isStaffRole, type Principal, type StaffRole } from './roles.ts';

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;

export interface Account {
  id: number;
  username: string;
  role: StaffRole;
  createdAt: number;
  passwordChangedAt: number;
}

export interface AuditEntry {
  actor: string;
  role?: string | null;
  action: string;
  detail?: unknown;
  result: string | number;
  client?: string | null;
  /** when it happened (default: now) */
  at?: number;
}

export interface AuditRow { id: number; at: number; actor: string; role: string | null; action: string; detail: string | null; result: string; client: string | null }

export class AuthError extends Error {
  constructor(
    readonly statusCode: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** Pairing codes are typed by people: case, spaces and dashes do not matter. */
export const normaliseCode = (code: string) => code.toUpperCase().replace(/[\s-]/g, '');

interface SessionRow { id: string; kind: 'staff' | 'kiosk'; role: string; name: string; station: string | null; scale: string | null; expires_at: number }

export class AuthStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  // ── accounts ──

  accounts(): Account[] {
    return (this.db.prepare('SELECT id, username, role, created_at, password_changed_at FROM auth_accounts ORDER BY username').all() as Row[]).map(toAccount);
  }

  account(username: string): Account | undefined {
    const row = this.db.prepare('SELECT id, username, role, created_at, password_changed_at FROM auth_accounts WHERE username = ?').get(username) as Row | undefined;
    return row && toAccount(row);
  }

  countAccounts(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM auth_accounts').get() as { n: number }).n;
  }

  async addAccount(username: string, role: string, password: string): Promise<Account> {
    if (!USERNAME_PATTERN.test(username)) throw new AuthError(400, `username "${username}": lower-case letters, digits, ".", "-" or "_", at most 32 characters`);
    if (!isStaffRole(role)) throw new AuthError(400, `role "${role}": expected one of kitchen, supervisor, facility, cashier, admin`);
    const problem = passwordProblem(password, username);
    if (problem) throw new AuthError(400, problem);
    if (this.account(username)) throw new AuthError(409, `there is already an account "${username}"`);
    const hash = await hashPassword(password);
    const at = this.now();
    this.db.prepare('INSERT INTO auth_accounts (username, role, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)').run(username, role, hash, at, at);
    return this.account(username)!;
  }

  /** Sets a new password and ends every session of the account. */
  async setPassword(username: string, password: string): Promise<void> {
    const account = this.account(username);
    if (!account) throw new AuthError(404, `no account "${username}"`);
    const problem = passwordProblem(password, username);
    if (problem) throw new AuthError(400, problem);
    const hash = await hashPassword(password);
    this.db.transaction(() => {
      this.db.prepare('UPDATE auth_accounts SET password_hash = ?, password_changed_at = ? WHERE id = ?').run(hash, this.now(), account.id);
      this.db.prepare('DELETE FROM auth_sessions WHERE account_id = ?').run(account.id);
    }).immediate();
  }

  /** Removes the account; its sessions go with it. */
  removeAccount(username: string): void {
    const r = this.db.prepare('DELETE FROM auth_accounts WHERE username = ?').run(username);
    if (r.changes === 0) throw new AuthError(404, `no account "${username}"`);
  }

  /** The account when the password is right; the same work is done for an unknown username. */
  async checkPassword(username: string, password: string): Promise<Account | undefined> {
    const row = USERNAME_PATTERN.test(username)
      ? (this.db.prepare('SELECT password_hash FROM auth_accounts WHERE username = ?').get(username) as { password_hash: string } | undefined)
      : undefined;
    const ok = await verifyPassword(password, row?.password_hash ?? (await dummyHash()));
    return ok && row ? this.account(username) : undefined;
  }

  // ── sessions ──

  /** A new session; returns the token (given to the client, stored only as a hash). */
  createSession(s: { kind: 'staff'; account: Account; ttlMs: number; client?: string } | { kind: 'kiosk'; station: string; scale: string; ttlMs: number; client?: string }): { token: string; principal: Principal } {
    const token = randomBytes(32).toString('base64url');
    const id = sha256(token);
    const at = this.now();
    const expiresAt = at + s.ttlMs;
    const principal: Principal =
      s.kind === 'staff'
        ? { kind: 'staff', role: s.account.role, name: s.account.username, session: id, expiresAt }
        : { kind: 'kiosk', role: 'kiosk', name: `kiosk:${s.station}`, station: s.station, scale: s.scale, session: id, expiresAt };
    this.db
      .prepare('INSERT INTO auth_sessions (id, kind, account_id, role, name, station, scale, client, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, s.kind, s.kind === 'staff' ? s.account.id : null, principal.role, principal.name, principal.station ?? null, principal.scale ?? null, s.client ?? null, at, expiresAt);
    return { token, principal };
  }

  /** The principal of a token, or null when unknown or expired. */
  session(token: string): Principal | null {
    if (!token || token.length > 200) return null;
    return this.sessionById(sha256(token));
  }

  sessionById(id: string): Principal | null {
    const row = this.db.prepare('SELECT id, kind, role, name, station, scale, expires_at FROM auth_sessions WHERE id = ? AND expires_at > ?').get(id, this.now()) as SessionRow | undefined;
    if (!row) return null;
    return {
      kind: row.kind,
      role: row.role as Principal['role'],
      name: row.name,
      ...(row.station ? { station: row.station } : {}),
      ...(row.scale ? { scale: row.scale } : {}),
      session: row.id,
      expiresAt: row.expires_at,
    };
  }

  endSession(token: string): Principal | null {
    const p = this.session(token);
    if (p) this.db.prepare('DELETE FROM auth_sessions WHERE id = ?').run(p.session);
    return p;
  }

  /** Kiosk sessions: every paired kiosk, or those of one station. */
  kiosks(station?: string): { station: string; scale: string; createdAt: number; expiresAt: number; client: string | null }[] {
    const rows = this.db
      .prepare(`SELECT station, scale, created_at, expires_at, client FROM auth_sessions WHERE kind = 'kiosk' AND expires_at > ? ${station ? 'AND station = ?' : ''} ORDER BY station, created_at`)
      .all(...(station ? [this.now(), station] : [this.now()])) as { station: string; scale: string; created_at: number; expires_at: number; client: string | null }[];
    return rows.map((r) => ({ station: r.station, scale: r.scale, createdAt: r.created_at, expiresAt: r.expires_at, client: r.client }));
  }

  /** Unpairs every kiosk of a station (and drops its unused codes). */
  unpair(station: string): number {
    return this.db.transaction(() => {
      this.db.prepare('DELETE FROM auth_pairing_codes WHERE station = ?').run(station);
      return this.db.prepare("DELETE FROM auth_sessions WHERE kind = 'kiosk' AND station = ?").run(station).changes;
    }).immediate();
  }

  // ── kiosk pairing ──

  /** A one-time code that pairs one kiosk device with the station. */
  createPairingCode(station: string, scale: string, ttlMs: number, createdBy: string): { code: string; expiresAt: number } {
    const code = randomCode(8, 4);
    const at = this.now();
    this.db.prepare('INSERT INTO auth_pairing_codes (code_hash, station, scale, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(sha256(normaliseCode(code)), station, scale, createdBy, at, at + ttlMs);
    return { code, expiresAt: at + ttlMs };
  }

  /** Uses up a pairing code: the station and scale it was for, or undefined. */
  redeemPairingCode(code: string): { station: string; scale: string } | undefined {
    const hash = sha256(normaliseCode(code));
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT station, scale FROM auth_pairing_codes WHERE code_hash = ? AND expires_at > ?').get(hash, this.now()) as { station: string; scale: string } | undefined;
      this.db.prepare('DELETE FROM auth_pairing_codes WHERE code_hash = ?').run(hash);
      return row;
    }).immediate();
  }

  // ── audit ──

  audit(e: AuditEntry): void {
    this.db
      .prepare('INSERT INTO audit_log (at, actor, role, action, detail, result, client) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(e.at ?? this.now(), e.actor, e.role ?? null, e.action, e.detail === undefined ? null : JSON.stringify(e.detail), String(e.result), e.client ?? null);
  }

  auditLog(limit = 100, before?: number): AuditRow[] {
    return this.db
      .prepare(`SELECT id, at, actor, role, action, detail, result, client FROM audit_log ${before ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ?`)
      .all(...(before ? [before, limit] : [limit])) as AuditRow[];
  }

  /** Drops expired sessions and codes, and audit entries older than the retention. */
  prune(auditRetentionMs: number): void {
    const now = this.now();
    this.db.prepare('DELETE FROM auth_sessions WHERE expires_at <= ?').run(now);
    this.db.prepare('DELETE FROM auth_pairing_codes WHERE expires_at <= ?').run(now);
    this.db.prepare('DELETE FROM audit_log WHERE at < ?').run(now - auditRetentionMs);
  }
}

type Row = { id: number; username: string; role: StaffRole; created_at: number; password_changed_at: number };
function toAccount(r: Row): Account {
  return { id: r.id, username: r.username, role: r.role, createdAt: r.created_at, passwordChangedAt: r.password_changed_at };
}
