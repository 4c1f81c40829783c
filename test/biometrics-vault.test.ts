import { chmodSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { biometricsConfigSchema, LIVENESS_THRESHOLD_DEFAULT } from '../gateway/biometrics/config.ts';
import { loadOrCreateKey } from '../gateway/biometrics/key.ts';
import { DEFAULT_LIVENESS_THRESHOLD } from '../models/face/liveness.ts';
import { DEFAULT_MATCH_THRESHOLD, DEFAULT_MIN_MARGIN } from '../models/face/gallery.ts';
import { FaceVault } from '../gateway/biometrics/vault.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-bio-'));
const unit = (seed: number) => {
  const v = new Float32Array(128).map((_, i) => Math.sin(seed * 31 + i));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('biometric key', () => {
  it('is made on first start with mode 0600 and refused when others can read it', () => {
    const file = path.join(tmp(), 'keys', 'biometric.key');
    const key = loadOrCreateKey(file);
    expect(key.length).toBe(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateKey(file).equals(key)).toBe(true);
    chmodSync(file, 0o644);
    expect(() => loadOrCreateKey(file)).toThrow(/readable by group or others \(mode 644\); expected 600/);
    const short = path.join(tmp(), 'short.key');
    writeFileSync(short, 'x', { mode: 0o600 });
    expect(() => loadOrCreateKey(short)).toThrow(/holds 1 bytes; expected 32/);
  });
});

describe('face vault', () => {
  function vault() {
    const dir = tmp();
    const db = openDatabase(dir);
    return { db, vault: new FaceVault(db, loadOrCreateKey(path.join(dir, 'biometric.key'))) };
  }
  const consent = { givenBy: 'self' as const, minor: false, textVersion: '2026-01', recordedBy: 'staff-zhou' };

  it('needs a recorded consent, and a guardian for a minor', () => {
    const { vault: v } = vault();
    expect(() => v.enrol('zhang', unit(1), 'MobileFaceNet', 'staff-zhou')).toThrow(/no active consent/);
    expect(() => v.recordConsent({ ...consent, accountId: 'xiaoming', minor: true })).toThrow(/guardian/);
    // the guardian's record names the relation too (PIPL art. 31)
    expect(() => v.recordConsent({ ...consent, accountId: 'xiaoming', minor: true, givenBy: 'guardian', guardianName: '王芳' })).toThrow(/guardian_relation/);
    v.recordConsent({ ...consent, accountId: 'xiaoming', minor: true, givenBy: 'guardian', guardianName: '王芳', guardianRelation: '母亲' });
    v.enrol('xiaoming', unit(2), 'MobileFaceNet', 'staff-zhou');
    expect(v.hasTemplate('xiaoming')).toBe(true);
  });

  it('keeps templates encrypted at rest and bound to their account', () => {
    const { db, vault: v } = vault();
    v.recordConsent({ ...consent, accountId: 'zhang' });
    const e = unit(3);
    v.enrol('zhang', e, 'MobileFaceNet', 'staff-zhou');
    const row = db.prepare('SELECT ciphertext FROM face_templates').get() as { ciphertext: Buffer };
    expect(row.ciphertext.includes(Buffer.from(e.buffer).subarray(0, 16))).toBe(false);
    expect(v.templates()[0]!.embedding).toEqual(e);
    // moved to another account, the authentication tag no longer fits
    v.recordConsent({ ...consent, accountId: 'li' });
    db.prepare("UPDATE face_templates SET account_id = 'li'").run();
    expect(() => v.templates()).toThrow(/unable to authenticate|Unsupported state/);
  });

  it('stops face pay at once when consent is withdrawn, and audits every step', () => {
    const { vault: v } = vault();
    v.recordConsent({ ...consent, accountId: 'zhang' });
    v.enrol('zhang', unit(4), 'MobileFaceNet', 'staff-zhou');
    v.withdraw('zhang', 'self-service');
    expect(v.templates()).toEqual([]);
    expect(v.hasTemplate('zhang')).toBe(false);
    expect(() => v.enrol('zhang', unit(4), 'MobileFaceNet', 'staff-zhou')).toThrow(/no active consent/);
    const exported = v.exportPerson('zhang', 'zhang');
    expect(exported.template).toBeNull();
    expect(exported.consents[0]!.withdrawnAt).not.toBeNull();
    expect(JSON.stringify(exported)).not.toMatch(/ciphertext|embedding/);
    expect(v.auditLog().map((a) => a.action).reverse()).toEqual(['consent', 'enrol', 'withdraw', 'export']);
  });

  it('deletes on request and says so in the audit', () => {
    const { vault: v } = vault();
    v.recordConsent({ ...consent, accountId: 'zhang' });
    v.enrol('zhang', unit(5), 'MobileFaceNet', 'staff-zhou');
    expect(v.delete('zhang', 'supervisor-wang', 'left the school')).toBe(true);
    expect(v.templates()).toEqual([]);
    expect(v.auditLog()[0]).toMatchObject({ action: 'delete', actor: 'supervisor-wang', detail: 'left the school' });
  });

  it('erases template and consents on request, keeps the audit, and lists who is enrolled', () => {
    const { vault: v } = vault();
    v.recordConsent({ ...consent, accountId: 'zhang' });
    v.enrol('zhang', unit(6), 'MobileFaceNet', 'staff-zhou');
    v.recordConsent({ ...consent, accountId: 'li' });
    expect(v.people().map((p) => [p.accountId, p.enrolledAt !== null, p.consent?.givenBy])).toEqual([
      ['li', false, 'self'],
      ['zhang', true, 'self'],
    ]);
    expect(v.erase('zhang', 'admin-zhou')).toEqual({ template: true, consents: 1 });
    expect(v.people().map((p) => p.accountId)).toEqual(['li']);
    expect(v.templates()).toEqual([]);
    expect(v.auditLog(10, 'zhang').map((a) => a.action)).toEqual(['delete', 'enrol', 'consent']);
    expect(v.auditLog(10, 'li').map((a) => a.action)).toEqual(['consent']);
  });
});

describe('biometrics config', () => {
  it('defaults to the thresholds of models/face', () => {
    const cfg = biometricsConfigSchema.parse({});
    expect(LIVENESS_THRESHOLD_DEFAULT).toBe(DEFAULT_LIVENESS_THRESHOLD);
    expect(cfg).toMatchObject({ enabled: true, keep_enrolment_images: false, session_idle_s: 60, liveness: { threshold: DEFAULT_LIVENESS_THRESHOLD, frames: 5 }, match: { threshold: DEFAULT_MATCH_THRESHOLD, min_margin: DEFAULT_MIN_MARGIN } });
    expect(cfg.consent.purpose.zh.length).toBeGreaterThan(10);
    expect(() => biometricsConfigSchema.parse({ liveness: { threshold: 1.5 } })).toThrow();
    expect(() => biometricsConfigSchema.parse({ nope: 1 })).toThrow();
  });
});
