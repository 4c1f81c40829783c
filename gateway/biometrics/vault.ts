// Face templates at rest, and the consent and audit that go with them (PIPL and
// the 2025 face recognition rules): no template without a recorded consent, a
// guardian's consent for a minor, encryption with AES-256-GCM, deletion on request
// or withdrawal (face pay stops at once), an audit line for enrol, match, export
// and delete. Templates and face images are never logged or sent upstream.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Db } from '../store/sqlite.ts';

export interface ConsentInput {
  accountId: string;
  givenBy: 'self' | 'guardian';
  minor: boolean;
  guardianName?: string;
  /** the guardian's relation to the minor (父亲, 母亲, 法定监护人 …) */
  guardianRelation?: string;
  textVersion: string;
  recordedBy: string;
}

export interface Consent extends ConsentInput {
  id: number;
  at: number;
  withdrawnAt: number | null;
}

export class BiometricError extends Error {
  constructor(
    readonly statusCode: 400 | 403 | 404 | 409 | 413 | 422 | 429,
    message: string,
    /** a stable word the kiosk turns into the diner's language (kiosk/i18n) */
    readonly code?: string,
  ) {
    super(message);
  }
}

export class FaceVault {
  constructor(
    private readonly db: Db,
    private readonly key: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  recordConsent(c: ConsentInput): Consent {
    // PIPL art. 31: a minor under 14 — the guardian consents, and the record says who and in what relation
    if (c.minor && (c.givenBy !== 'guardian' || !c.guardianName || !c.guardianRelation)) {
      throw new BiometricError(400, 'a minor (under 14) needs the consent of a guardian: given_by "guardian", guardian_name and guardian_relation');
    }
    if (!c.textVersion) throw new BiometricError(400, 'textVersion: expected the version of the consent text the person was shown');
    const at = this.now();
    const id = this.db
      .prepare('INSERT INTO face_consents (account_id, given_by, guardian_name, guardian_relation, minor, text_version, recorded_by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(c.accountId, c.givenBy, c.guardianName ?? null, c.guardianRelation ?? null, c.minor ? 1 : 0, c.textVersion, c.recordedBy, at).lastInsertRowid as number;
    this.audit(c.recordedBy, 'consent', c.accountId, `text ${c.textVersion}, given by ${c.givenBy}${c.minor ? ` (${c.guardianRelation}), under 14` : ''}`);
    return { ...c, id, at, withdrawnAt: null };
  }

  activeConsent(accountId: string): Consent | undefined {
    const r = this.db
      .prepare('SELECT * FROM face_consents WHERE account_id = ? AND withdrawn_at IS NULL ORDER BY id DESC LIMIT 1')
      .get(accountId) as Record<string, unknown> | undefined;
    return r && toConsent(r);
  }

  /**
   * Stores a template; refused without an active consent. An account that has one already
   * keeps it unless `replace` (staff re-enrolment): then the old one is retired — deleted —
   * in the same transaction, with its own audit line. Never an upsert a kiosk could reach.
   */
  enrol(accountId: string, embedding: Float32Array, model: string, actor: string, opts: { replace?: boolean } = {}): void {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(accountId));
    const ciphertext = Buffer.concat([cipher.update(Buffer.from(embedding.buffer, embedding.byteOffset, embedding.byteLength)), cipher.final()]);
    const tag = cipher.getAuthTag();
    this.db.transaction(() => {
      const consent = this.activeConsent(accountId);
      if (!consent) throw new BiometricError(409, `account ${accountId} has no active consent to face payment; record it first`);
      const old = this.db.prepare('SELECT model, created_at FROM face_templates WHERE account_id = ?').get(accountId) as { model: string; created_at: number } | undefined;
      if (old && !opts.replace) throw new BiometricError(409, `account ${accountId} is enrolled already; re-enrolment is a staff action (replace: true)`, 'already_enrolled');
      if (old) {
        this.db.prepare('DELETE FROM face_templates WHERE account_id = ?').run(accountId);
        this.audit(actor, 're-enrol', accountId, `old template (model ${old.model}, enrolled ${new Date(old.created_at).toISOString()}) retired and deleted`);
      }
      this.db
        .prepare('INSERT INTO face_templates (account_id, model, iv, tag, ciphertext, consent_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(accountId, model, iv, tag, ciphertext, consent.id, this.now());
      this.audit(actor, 'enrol', accountId, `model ${model}`);
    }).immediate();
  }

  /** A match: the template was used now (the retention clock starts again). */
  touch(accountId: string): void {
    this.db.prepare('UPDATE face_templates SET last_used_at = ? WHERE account_id = ?').run(this.now(), accountId);
  }

  /** Every template with what the retention and minors sweep needs. */
  templateRows(): { accountId: string; lastUsedAt: number; consent: Consent | undefined }[] {
    const rows = this.db.prepare('SELECT account_id, created_at, last_used_at, consent_id FROM face_templates').all() as { account_id: string; created_at: number; last_used_at: number | null; consent_id: number }[];
    return rows.map((r) => {
      const c = this.db.prepare('SELECT * FROM face_consents WHERE id = ?').get(r.consent_id) as Record<string, unknown> | undefined;
      return { accountId: r.account_id, lastUsedAt: r.last_used_at ?? r.created_at, consent: c && toConsent(c) };
    });
  }

  /**
   * Deleted rows leave no bytes behind (issue 11, hole 5): secure_delete (set at start)
   * zeroes them in the pages, and a TRUNCATE checkpoint copies those pages into the
   * database file and empties the WAL, where the old frames still held them.
   */
  scrubFiles(): { busy: boolean } {
    const [r] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    return { busy: (r?.busy ?? 0) !== 0 };
  }

  /** Every template with an active consent, decrypted, for the in-memory gallery. */
  templates(): { accountId: string; model: string; embedding: Float32Array }[] {
    const rows = this.db
      .prepare(
        `SELECT t.account_id, t.model, t.iv, t.tag, t.ciphertext FROM face_templates t
         JOIN face_consents c ON c.id = t.consent_id WHERE c.withdrawn_at IS NULL`,
      )
      .all() as { account_id: string; model: string; iv: Buffer; tag: Buffer; ciphertext: Buffer }[];
    return rows.map((r) => {
      const d = createDecipheriv('aes-256-gcm', this.key, r.iv);
      d.setAAD(Buffer.from(r.account_id));
      d.setAuthTag(r.tag);
      const plain = Buffer.concat([d.update(r.ciphertext), d.final()]);
      return { accountId: r.account_id, model: r.model, embedding: new Float32Array(plain.buffer.slice(plain.byteOffset, plain.byteOffset + plain.byteLength)) };
    });
  }

  hasTemplate(accountId: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM face_templates WHERE account_id = ?').get(accountId);
  }

  /** Deletes the person's template (on request, or when they leave); consent records stay as evidence. */
  delete(accountId: string, actor: string, reason: string): boolean {
    const gone = this.db.prepare('DELETE FROM face_templates WHERE account_id = ?').run(accountId).changes > 0;
    this.audit(actor, 'delete', accountId, reason);
    return gone;
  }

  /** Withdrawing consent deletes the template at once: face pay stops for this person. */
  withdraw(accountId: string, actor: string): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE face_consents SET withdrawn_at = ? WHERE account_id = ? AND withdrawn_at IS NULL').run(this.now(), accountId);
      this.db.prepare('DELETE FROM face_templates WHERE account_id = ?').run(accountId);
      this.audit(actor, 'withdraw', accountId, 'consent withdrawn; template deleted');
    }).immediate();
  }

  /** One consent withdrawn (a kiosk enrolment that made no template); the person's other records stay as they are. */
  withdrawConsent(consentId: number, actor: string): void {
    const r = this.db.prepare('SELECT account_id FROM face_consents WHERE id = ?').get(consentId) as { account_id: string } | undefined;
    this.db.prepare('UPDATE face_consents SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL').run(this.now(), consentId);
    if (r) this.audit(actor, 'withdraw', r.account_id, 'consent of a self-enrolment that made no template');
  }

  /** What the box holds about a person (never the template itself), for their request; audited. */
  exportPerson(accountId: string, actor: string) {
    const consents = (this.db.prepare('SELECT * FROM face_consents WHERE account_id = ? ORDER BY id').all(accountId) as Record<string, unknown>[]).map(toConsent);
    const template = this.db.prepare('SELECT model, created_at FROM face_templates WHERE account_id = ?').get(accountId) as { model: string; created_at: number } | undefined;
    const audit = this.db.prepare('SELECT at, actor, action, detail FROM biometric_audit WHERE account_id = ? ORDER BY id').all(accountId);
    this.audit(actor, 'export', accountId, 'personal information export');
    return { accountId, consents, template: template ? { model: template.model, createdAt: template.created_at } : null, audit };
  }

  /** Erases the person's template and consent records (on request); the audit lines stay, and this one is added. */
  erase(accountId: string, actor: string): { template: boolean; consents: number } {
    return this.db.transaction(() => {
      const template = this.db.prepare('DELETE FROM face_templates WHERE account_id = ?').run(accountId).changes > 0;
      const consents = this.db.prepare('DELETE FROM face_consents WHERE account_id = ?').run(accountId).changes;
      this.audit(actor, 'delete', accountId, `template ${template ? 'deleted' : 'none held'}; ${consents} consent record(s) deleted`);
      return { template, consents };
    }).immediate();
  }

  /** Everyone with a template or a consent on record: the latest consent, when enrolled. */
  people(): { accountId: string; enrolledAt: number | null; model: string | null; consent: Consent | null }[] {
    const ids = this.db
      .prepare('SELECT account_id FROM face_templates UNION SELECT account_id FROM face_consents ORDER BY account_id')
      .pluck()
      .all() as string[];
    return ids.map((accountId) => {
      const t = this.db.prepare('SELECT model, created_at FROM face_templates WHERE account_id = ?').get(accountId) as { model: string; created_at: number } | undefined;
      const c = this.db.prepare('SELECT * FROM face_consents WHERE account_id = ? ORDER BY id DESC LIMIT 1').get(accountId) as Record<string, unknown> | undefined;
      return { accountId, enrolledAt: t?.created_at ?? null, model: t?.model ?? null, consent: c ? toConsent(c) : null };
    });
  }

  audit(actor: string, action: string, accountId: string | null, detail: string | null): void {
    this.db.prepare('INSERT INTO biometric_audit (at, actor, action, account_id, detail) VALUES (?, ?, ?, ?, ?)').run(this.now(), actor, action, accountId, detail);
  }

  auditLog(limit = 200, accountId?: string): { at: number; actor: string; action: string; account_id: string | null; detail: string | null }[] {
    if (accountId !== undefined) {
      return this.db.prepare('SELECT at, actor, action, account_id, detail FROM biometric_audit WHERE account_id = ? ORDER BY id DESC LIMIT ?').all(accountId, limit) as never;
    }
    return this.db.prepare('SELECT at, actor, action, account_id, detail FROM biometric_audit ORDER BY id DESC LIMIT ?').all(limit) as never;
  }
}

function toConsent(r: Record<string, unknown>): Consent {
  return {
    id: r.id as number,
    accountId: r.account_id as string,
    givenBy: r.given_by as 'self' | 'guardian',
    guardianName: (r.guardian_name as string | null) ?? undefined,
    guardianRelation: (r.guardian_relation as string | null) ?? undefined,
    minor: r.minor === 1,
    textVersion: r.text_version as string,
    recordedBy: r.recorded_by as string,
    at: r.at as number,
    withdrawnAt: (r.withdrawn_at as number | null) ?? null,
  };
}
