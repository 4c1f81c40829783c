// Face payment in the running gateway: owns the template vault (encrypted, with
// consent and audit), the in-memory gallery the kiosk searches, the face pipeline
// over the model registry, enrolment (staff at /admin, adults themselves at the
// kiosk) and the face-pay sessions of the kiosks. Face pay is unavailable — not an
// error — when it is switched off or the face models are missing: the kiosk then
// offers card, QR and PIN only. Templates and face images are never logged.
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FaceGallery } from '../../models/face/gallery.ts';
import { createFacePipeline, type Face, type FacePipeline } from '../../models/face/pipeline.ts';
import type { ModelRegistry } from '../../models/registry.ts';
import type { Logger } from '../log.ts';
import { maskName, type PaymentsModule } from '../payments/module.ts';
import type { Db } from '../store/sqlite.ts';
import type { BiometricsConfig } from './config.ts';
import { loadOrCreateKey } from './key.ts';
import { FacePaySessions } from './sessions.ts';
import { BiometricError, FaceVault, type Consent } from './vault.ts';

export const KEY_FILE = 'biometric.key';
export const IMAGES_DIR = 'face-images';

export interface ImageQuality {
  /** index of the image in the request */
  image: number;
  face: boolean;
  ok: boolean;
  /** why the image was not used, in words */
  reasons: string[];
}

export interface ConsentMsg {
  id: number;
  account_id: string;
  given_by: 'self' | 'guardian';
  minor: boolean;
  guardian_name: string | null;
  text_version: string;
  recorded_by: string;
  at: number;
  withdrawn_at: number | null;
}

export const consentMsg = (c: Consent): ConsentMsg => ({
  id: c.id,
  account_id: c.accountId,
  given_by: c.givenBy,
  minor: c.minor,
  guardian_name: c.guardianName ?? null,
  text_version: c.textVersion,
  recorded_by: c.recordedBy,
  at: c.at,
  withdrawn_at: c.withdrawnAt,
});

/** Short words for the diner, by the quality gate that failed (models/face/quality.ts). */
const HINTS: Record<string, string> = {
  size: 'face too small: come closer',
  blur: 'hold still',
  roll: 'keep your head upright',
  yaw: 'look straight at the camera',
  pitch: 'look straight at the camera',
  landmarks: 'face not clear',
};
export const hintFor = (face: Face): string => HINTS[face.quality.failed[0] ?? ''] ?? 'face not clear';

export class BiometricsModule {
  vault!: FaceVault;
  readonly gallery: FaceGallery;
  readonly sessions: FacePaySessions;
  /** null while face pay is unavailable (see unavailableReason) */
  pipeline: FacePipeline | null = null;
  unavailableReason: string | null = 'not started';
  private key!: Buffer;

  constructor(
    private readonly db: Db,
    readonly cfg: BiometricsConfig,
    private readonly paths: { dataDir: string; configFile: string },
    private readonly models: ModelRegistry,
    readonly payments: PaymentsModule,
    readonly logger: Logger,
    readonly now: () => number = Date.now,
  ) {
    this.gallery = new FaceGallery({ threshold: cfg.match.threshold, minMargin: cfg.match.min_margin });
    this.sessions = new FacePaySessions(this);
  }

  get available(): boolean {
    return this.pipeline !== null;
  }

  get keyFile(): string {
    return this.cfg.key_file ? path.resolve(path.dirname(this.paths.configFile), this.cfg.key_file) : path.join(this.paths.dataDir, KEY_FILE);
  }

  async start(): Promise<void> {
    this.key = loadOrCreateKey(this.keyFile);
    this.vault = new FaceVault(this.db, this.key, this.now);
    if (!this.cfg.enabled) {
      this.unavailableReason = 'face pay is switched off (biometrics.enabled: false)';
      this.logger.info('face pay switched off');
      return;
    }
    await this.loadPipeline();
  }

  /**
   * Face pay starts once its models are all installed and verified: at start, and again
   * after `canteen-edge models pull` + SIGHUP (gateway/models/module.ts). True when available.
   */
  async loadPipeline(): Promise<boolean> {
    if (!this.cfg.enabled) return false;
    if (this.pipeline) return true;
    const pipeline = createFacePipeline(this.models, { livenessThreshold: this.cfg.liveness.threshold });
    const needed = [pipeline.detector.model, pipeline.embedder.model, ...pipeline.livenessModel.models];
    const status = await this.models.status();
    const missing = needed.filter((n) => status.find((s) => s.name === n)?.state !== 'ok');
    if (missing.length) {
      this.unavailableReason = `face pay unavailable: model(s) ${missing.join(', ')} missing or not usable`;
      this.logger.info({ missing }, 'face pay unavailable: face models missing; the kiosk offers card, QR and PIN');
      return false;
    }
    await pipeline.warm();
    let loaded = 0;
    for (const t of this.vault.templates()) {
      if (t.model !== pipeline.embedder.model) continue; // made by another embedder: re-enrol
      this.gallery.add(t.accountId, t.embedding);
      loaded++;
    }
    this.pipeline = pipeline;
    this.unavailableReason = null;
    this.logger.info({ templates: loaded }, 'face pay ready');
    return true;
  }

  stop(): void {
    this.sessions.stop();
    this.gallery.clear();
  }

  /** The pipeline, or a 409 saying why face pay is unavailable. */
  requirePipeline(): FacePipeline {
    if (!this.pipeline) throw new BiometricError(409, this.unavailableReason ?? 'face pay unavailable');
    return this.pipeline;
  }

  requireAccount(accountId: string) {
    const a = this.payments.ledger.account(accountId);
    if (!a) throw new BiometricError(404, `no account "${accountId}"`);
    return a;
  }

  consentText() {
    const c = this.cfg.consent;
    return {
      version: c.version,
      zh: { purpose: c.purpose.zh, retention: c.retention.zh, alternative: c.alternative.zh },
      en: { purpose: c.purpose.en, retention: c.retention.en, alternative: c.alternative.en },
    };
  }

  recordConsent(c: { account_id: string; given_by: 'self' | 'guardian'; minor: boolean; guardian_name?: string; text_version: string }, actor: string): ConsentMsg {
    this.requireAccount(c.account_id);
    if (c.text_version !== this.cfg.consent.version) {
      throw new BiometricError(409, `text_version: got "${c.text_version}"; the consent text now shown is version "${this.cfg.consent.version}": show it and record consent to that`);
    }
    return consentMsg(this.vault.recordConsent({ accountId: c.account_id, givenBy: c.given_by, minor: c.minor, guardianName: c.guardian_name, textVersion: c.text_version, recordedBy: actor }));
  }

  /**
   * Makes the person's template from 1–5 photos (the mean of the usable faces' embeddings)
   * and puts it in the gallery at once. 409 without consent, 422 when no photo has a usable face.
   */
  async enrol(accountId: string, images: Buffer[], actor: string, opts: { self?: boolean } = {}): Promise<{ account_id: string; images_used: number; quality: ImageQuality[] }> {
    const pipeline = this.requirePipeline();
    this.requireAccount(accountId);
    if (!this.vault.activeConsent(accountId)) throw new BiometricError(409, `account ${accountId} has no active consent to face payment; record it first`);
    const quality: ImageQuality[] = [];
    const embeddings: Float32Array[] = [];
    for (const [i, image] of images.entries()) {
      let analysis;
      try {
        analysis = await pipeline.analyse(image);
      } catch {
        quality.push({ image: i, face: false, ok: false, reasons: ['not a readable JPEG or PNG image'] });
        continue;
      }
      const face = analysis.primary;
      if (!face) {
        quality.push({ image: i, face: false, ok: false, reasons: ['no face found'] });
        continue;
      }
      if (!face.quality.ok) {
        quality.push({ image: i, face: true, ok: false, reasons: face.quality.reasons });
        continue;
      }
      embeddings.push(await pipeline.embed(face));
      quality.push({ image: i, face: true, ok: true, reasons: [] });
    }
    if (!embeddings.length) {
      throw Object.assign(new BiometricError(422, `no usable face in the ${images.length} image(s): ${quality.flatMap((q) => q.reasons).join('; ')}`), { quality });
    }
    const template = meanUnit(embeddings);
    // one face, one account: a second account with the same face would make both ambiguous at the kiosk
    const twin = this.gallery.search(template, 3).find((c) => c.personId !== accountId && c.similarity >= this.cfg.match.threshold);
    if (twin) throw new BiometricError(409, opts.self ? 'this face is already enrolled for another account' : `this face is already enrolled for account ${twin.personId} (similarity ${twin.similarity.toFixed(2)}); delete that enrolment first`);
    this.vault.enrol(accountId, template, pipeline.embedder.model, actor);
    this.gallery.remove(accountId);
    this.gallery.add(accountId, template);
    if (this.cfg.keep_enrolment_images) this.keepImages(accountId, images.filter((_, i) => quality[i]!.ok));
    this.logger.info({ account: accountId, by: actor, images: images.length, used: embeddings.length }, 'face enrolled');
    return { account_id: accountId, images_used: embeddings.length, quality };
  }

  /** Self-service at the kiosk: an adult with their card, the current consent text, one live photo. */
  async enrolSelf(req: { card_id: string; text_version: string; agree: boolean }, image: Buffer, station: string, actor: string): Promise<{ ok: true; person: string }> {
    this.requirePipeline();
    if (req.agree !== true) throw new BiometricError(400, 'agree: expected true — face pay needs explicit consent');
    const account = this.payments.ledger.accountByCard(req.card_id);
    if (!account) throw new BiometricError(404, 'no account for this card');
    if (req.text_version !== this.cfg.consent.version) throw new BiometricError(409, `consent text outdated: got version "${req.text_version}", now "${this.cfg.consent.version}"`);
    // the face is checked before anything is recorded: no consent without a usable template
    const pipeline = this.requirePipeline();
    const analysis = await pipeline.analyse(image).catch(() => {
      throw new BiometricError(400, 'not a readable JPEG image');
    });
    const face = analysis.primary;
    if (!face) throw new BiometricError(422, 'no face found');
    if (!face.quality.ok) throw new BiometricError(422, face.quality.reasons.join('; '));
    // no one is enrolled from a photo held up to the kiosk
    if ((await pipeline.liveness(analysis.image, face)).score < this.cfg.liveness.threshold) throw new BiometricError(422, 'not a live face: look into the kiosk camera yourself');
    this.vault.recordConsent({ accountId: account.id, givenBy: 'self', minor: false, textVersion: req.text_version, recordedBy: `kiosk:${station}` });
    try {
      await this.enrol(account.id, [image], actor, { self: true });
    } catch (err) {
      // nothing enrolled: the consent just recorded is withdrawn again, not left dangling
      this.vault.withdraw(account.id, actor);
      throw err;
    }
    return { ok: true, person: maskName(account.person) };
  }

  withdraw(accountId: string, actor: string): void {
    this.requireAccount(accountId);
    this.vault.withdraw(accountId, actor);
    this.gallery.remove(accountId);
    this.sessions.forget(accountId);
    this.dropImages(accountId);
    this.logger.info({ account: accountId, by: actor }, 'face pay consent withdrawn; template deleted');
  }

  erase(accountId: string, actor: string): { template: boolean; consents: number } {
    const r = this.vault.erase(accountId, actor);
    this.gallery.remove(accountId);
    this.sessions.forget(accountId);
    this.dropImages(accountId);
    this.logger.info({ account: accountId, by: actor }, 'face biometrics deleted');
    return r;
  }

  people() {
    return this.vault.people().map((p) => {
      const a = this.payments.ledger.account(p.accountId);
      const c = p.consent && p.consent.withdrawnAt === null ? p.consent : null;
      return {
        account_id: p.accountId,
        person: a ? maskName(a.person) : null,
        enrolled_at: p.enrolledAt,
        consent: c && { given_by: c.givenBy, minor: c.minor, guardian_name: c.guardianName ?? null, text_version: c.textVersion, at: c.at },
      };
    });
  }

  exportPerson(accountId: string, actor: string) {
    const a = this.requireAccount(accountId);
    const e = this.vault.exportPerson(accountId, actor);
    return {
      account_id: accountId,
      person: a.person,
      consents: e.consents.map(consentMsg),
      template: e.template && { model: e.template.model, created_at: e.template.createdAt, stored: 'encrypted on this box; never exported' },
      images_kept: this.cfg.keep_enrolment_images,
      audit: e.audit,
    };
  }

  /** Enrolment photos, only when configured: encrypted with the template key, one file each. */
  private keepImages(accountId: string, images: Buffer[]): void {
    const dir = path.join(this.paths.dataDir, IMAGES_DIR, accountId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const [i, img] of images.entries()) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', this.key, iv);
      c.setAAD(Buffer.from(accountId));
      const body = Buffer.concat([c.update(img), c.final()]);
      writeFileSync(path.join(dir, `${this.now()}-${i}.jpg.enc`), Buffer.concat([iv, c.getAuthTag(), body]), { mode: 0o600 });
    }
  }

  private dropImages(accountId: string): void {
    rmSync(path.join(this.paths.dataDir, IMAGES_DIR, accountId), { recursive: true, force: true });
  }
}

function meanUnit(list: Float32Array[]): Float32Array {
  const out = new Float32Array(list[0]!.length);
  for (const e of list) for (let i = 0; i < out.length; i++) out[i]! += e[i]!;
  let n = 0;
  for (const v of out) n += v * v;
  const k = 1 / Math.sqrt(n);
  for (let i = 0; i < out.length; i++) out[i]! *= k;
  return out;
}
