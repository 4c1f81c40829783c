// Face payment in the running gateway: owns the template vault (encrypted, with
// consent and audit), the in-memory gallery the kiosk searches, the face pipeline
// over the model registry, enrolment (staff at /admin, adults themselves at the
// kiosk with card and PIN) and the face-pay sessions of the kiosks. Face pay is
// unavailable — not an error — when it is switched off, the face models are missing
// or the site has not recorded its impact assessment (PIPL art. 55): the kiosk then
// offers card, QR and PIN only. The law's rules are enforced here, not on a page:
// under-14s only with a guardian's consent (PIPL art. 31), templates deleted when the
// account closes or after `retention_days` unused (art. 47), deleted bytes scrubbed
// from the files. Templates and face images are never logged.
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { verifyPassword, hashPassword } from '../auth/passwords.ts';
import path from 'node:path';
import { FaceGallery } from '../../models/face/gallery.ts';
import { createFacePipeline, type FacePipeline } from '../../models/face/pipeline.ts';
import type { ModelRegistry } from '../../models/registry.ts';
import { localDay } from '../canteen/meals.ts';
import { readImageHeader, tooManyPixels } from '../image-size.ts';
import type { EventBus } from '../bus/event-bus.ts';
import type { Logger } from '../log.ts';
import { ageOn, birthDateOf, GUARDIAN_AGE } from '../payments/birth-date.ts';
import type { SalesPort } from '../canteen/ports.ts';
import { maskName } from '../payments/module.ts';
import type { PaymentsPort } from '../payments/port.ts';
import { ImpactAssessments } from './assessment.ts';
import type { Db } from '../store/sqlite.ts';
import type { BiometricsConfig } from './config.ts';
import { loadOrCreateKey } from './key.ts';
import { FacePaySessions } from './sessions.ts';
import { BiometricError, FaceVault, type Consent } from './vault.ts';

export const KEY_FILE = 'biometric.key';
export const IMAGES_DIR = 'face-images';
/** How often templates unused for retention_days, and those of closed accounts, are looked for. */
export const SWEEP_MS = 60 * 60_000;

/** Who the server says a person is, for face enrolment (never what a page claims). */
export type AgeClass = 'adult' | 'under14' | 'unknown';

/** One answer for an unknown card, a wrong PIN, an account not open or already enrolled: the kiosk learns nothing about cards. */
export const KIOSK_ENROL_REFUSED = 'card and PIN not accepted for self-enrolment here; staff can help at the service desk';

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
  guardian_relation: string | null;
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
  guardian_relation: c.guardianRelation ?? null,
  text_version: c.textVersion,
  recorded_by: c.recordedBy,
  at: c.at,
  withdrawn_at: c.withdrawnAt,
});

export interface BiometricsOptions {
  db: Db;
  cfg: BiometricsConfig;
  paths: { dataDir: string; configFile: string; processor?: { name: string; contact: string | null } };
  models: ModelRegistry;
  payments: PaymentsPort;
  /** the canteen's sales (which sale a face pays for) and the site time zone */
  sales: SalesPort;
  /** account:changed in, face:availability out */
  bus: EventBus;
  logger: Logger;
  now?: () => number;
}

export class BiometricsModule {
  vault!: FaceVault;
  readonly gallery: FaceGallery;
  readonly sessions: FacePaySessions;
  /** null while the face models are not loaded (see unavailableReason) */
  pipeline: FacePipeline | null = null;
  private pipelineReason: string = 'not started';
  readonly assessments: ImpactAssessments;
  private assessed = false;
  private announced = false;
  private key!: Buffer;
  private sweeper: NodeJS.Timeout | null = null;
  /** refused card/PIN attempts per kiosk station (epoch ms), for the self-enrolment limit */
  private readonly kioskFailures = new Map<string, number[]>();
  /** an scrypt hash nobody's PIN matches: an unknown card costs the same time as a wrong PIN */
  private decoyHash: Promise<string> | null = null;

  private readonly db: Db;
  readonly cfg: BiometricsConfig;
  private readonly paths: BiometricsOptions['paths'];
  private readonly models: ModelRegistry;
  readonly payments: PaymentsPort;
  readonly sales: SalesPort;
  private readonly bus: EventBus;
  readonly logger: Logger;
  readonly now: () => number;
  private readonly unsubscribe: () => void;

  constructor(opts: BiometricsOptions) {
    const { db, cfg } = opts;
    this.db = db;
    this.cfg = cfg;
    this.paths = opts.paths;
    this.models = opts.models;
    this.payments = opts.payments;
    this.sales = opts.sales;
    this.bus = opts.bus;
    this.logger = opts.logger;
    const now = (this.now = opts.now ?? Date.now);
    this.gallery = new FaceGallery({ threshold: cfg.match.threshold, minMargin: cfg.match.min_margin });
    this.sessions = new FacePaySessions(this);
    this.assessments = new ImpactAssessments(db, now);
    this.unsubscribe = this.bus.on('account:changed', ({ accountId, actor }) => this.review(accountId, actor));
  }

  /** face:availability on the bus whenever `available` changes (the kiosks then offer face pay or stop offering it). */
  private announce(): void {
    if (this.available === this.announced) return;
    this.announced = this.available;
    this.bus.emit('face:availability', { facePay: this.announced });
  }

  /** Face pay and enrolment: the models loaded and an impact assessment on record. */
  get available(): boolean {
    return this.pipeline !== null && this.assessed;
  }

  get unavailableReason(): string | null {
    if (!this.pipeline) return this.pipelineReason;
    if (!this.assessed) return 'face pay is off until the site records its personal-information impact assessment (PIPL art. 55) at /admin';
    return null;
  }

  /** For the kiosk (offer face pay or not) and /admin: why not, as a stable word. */
  status(): { available: boolean; reason: 'switched_off' | 'models_missing' | 'no_impact_assessment' | null; message: string | null } {
    const reason = this.available ? null : !this.cfg.enabled ? 'switched_off' : !this.pipeline ? 'models_missing' : 'no_impact_assessment';
    return { available: this.available, reason, message: this.unavailableReason };
  }

  get keyFile(): string {
    return this.cfg.key_file ? path.resolve(path.dirname(this.paths.configFile), this.cfg.key_file) : path.join(this.paths.dataDir, KEY_FILE);
  }

  async start(): Promise<void> {
    this.key = loadOrCreateKey(this.keyFile);
    this.vault = new FaceVault(this.db, this.key, this.now);
    // deleted rows are overwritten with zeros, not left in free space (hole 5; scrubFiles does the WAL)
    this.db.pragma('secure_delete = ON');
    this.assessed = this.assessments.latest() !== null;
    // what was due while the box was off goes first, with or without the models
    this.sweep();
    this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweeper.unref();
    if (!this.cfg.enabled) {
      this.pipelineReason = 'face pay is switched off (biometrics.enabled: false)';
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
    if (this.pipeline) return this.available;
    const pipeline = createFacePipeline(this.models, { livenessThreshold: this.cfg.liveness.threshold });
    const needed = [pipeline.detector.model, pipeline.embedder.model, ...pipeline.livenessModel.models];
    const status = await this.models.status();
    const missing = needed.filter((n) => status.find((s) => s.name === n)?.state !== 'ok');
    if (missing.length) {
      this.pipelineReason = `face pay unavailable: model(s) ${missing.join(', ')} missing or not usable`;
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
    this.pipelineReason = '';
    this.logger.info({ templates: loaded, impact_assessment: this.assessed }, this.assessed ? 'face pay ready' : 'face models ready; face pay off until the impact assessment is recorded');
    this.announce();
    return this.available;
  }

  stop(): void {
    this.unsubscribe();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    this.sessions.stop();
    this.gallery.clear();
  }

  /** The pipeline, or a 409 saying why face pay is unavailable. */
  requirePipeline(): FacePipeline {
    if (!this.pipeline || !this.assessed) throw new BiometricError(409, this.unavailableReason ?? 'face pay unavailable', 'face_pay_unavailable');
    return this.pipeline;
  }

  recordAssessment(a: Parameters<ImpactAssessments['record']>[0], actor: string) {
    const r = this.assessments.record(a, actor);
    this.vault.audit(actor, 'impact-assessment', null, `assessed ${a.assessed_on} by ${a.assessor}`);
    this.assessed = true;
    this.announce();
    this.logger.info({ by: actor, assessed_on: a.assessed_on }, 'personal-information impact assessment recorded; face pay may start');
    return r;
  }

  /** adult / under 14 from the account's birth date in site time; without one, per biometrics.unknown_birth_date. */
  ageClass(accountId: string): AgeClass {
    const birth = birthDateOf(this.db, accountId);
    if (birth) return ageOn(birth, localDay(this.now(), this.sales.timeZone)) < GUARDIAN_AGE ? 'under14' : 'adult';
    const rule = this.cfg.unknown_birth_date;
    return rule === 'minor' ? 'under14' : rule === 'adult' ? 'adult' : 'unknown';
  }

  /** Why this consent cannot carry a template for the account now (null: it can). PIPL art. 31. */
  private consentProblem(accountId: string, consent: Consent): string | null {
    const minor = consent.minor || this.ageClass(accountId) === 'under14';
    if (minor && (consent.givenBy !== 'guardian' || !consent.guardianName || !consent.guardianRelation)) {
      return `account ${accountId} is under 14: only staff can enrol it, after recording a guardian's consent (guardian name and relation)`;
    }
    return null;
  }

  /**
   * Deletes the account's template when it may no longer be held: the account closed or
   * gone (PIPL art. 47), or under 14 without a guardian's consent. Returns what it did.
   */
  review(accountId: string, actor: string): string | null {
    const t = this.vault.templateRows().find((r) => r.accountId === accountId);
    if (!t) return null;
    const a = this.payments.ledger.account(accountId);
    const why = !a
      ? 'account no longer in the ledger'
      : a.status === 'closed'
        ? 'account closed'
        : !t.consent || t.consent.withdrawnAt !== null
          ? 'no active consent'
          : this.consentProblem(accountId, t.consent) && 'under 14 without a guardian consent record';
    if (!why) return null;
    this.deleteTemplate(accountId, actor, why);
    return why;
  }

  /** The periodic sweep (and at start): review every template, and delete those unused for retention_days. */
  sweep(): number {
    const cutoff = this.now() - this.cfg.retention_days * 86_400_000;
    let deleted = 0;
    for (const t of this.vault.templateRows()) {
      if (this.review(t.accountId, 'retention sweep')) deleted++;
      else if (t.lastUsedAt < cutoff) {
        this.deleteTemplate(t.accountId, 'retention sweep', `not used for ${this.cfg.retention_days} days (biometrics.retention_days)`);
        deleted++;
      }
    }
    if (deleted) this.logger.info({ deleted }, 'face templates deleted by the retention sweep');
    return deleted;
  }

  /** One template gone from the vault, the gallery, pending matches, kept photos and the files' bytes; audited. */
  deleteTemplate(accountId: string, actor: string, reason: string): void {
    this.vault.delete(accountId, actor, reason);
    this.forgetFace(accountId);
    this.logger.info({ account: accountId, by: actor, reason }, 'face template deleted');
  }

  private forgetFace(accountId: string): void {
    this.gallery.remove(accountId);
    this.sessions.forget(accountId);
    this.dropImages(accountId);
    if (this.vault.scrubFiles().busy) this.logger.warn('face data deleted, but the WAL checkpoint was busy: the old bytes leave the WAL at the next checkpoint');
  }

  /** Refuses an image whose header says it is too large to decode (413), or that is no image (400). */
  async checkImage(image: Buffer, what: string, maxPixels = this.cfg.max_frame_pixels): Promise<void> {
    const h = await readImageHeader(image);
    if (!h) throw new BiometricError(400, `${what}: not a readable JPEG or PNG image`, 'not_an_image');
    const why = tooManyPixels(h, maxPixels, what);
    if (why) throw new BiometricError(413, why, 'image_too_large');
  }

  requireAccount(accountId: string) {
    const a = this.payments.ledger.account(accountId);
    if (!a) throw new BiometricError(404, `no account "${accountId}"`);
    return a;
  }

  /**
   * The notice shown before consent (PIPL art. 17 and 30 for sensitive information): who
   * processes the data and how to reach them, why the face is needed and its effect on the
   * person, how long it is kept, how to withdraw, and that the other ways to pay always work.
   */
  consentText() {
    const c = this.cfg.consent;
    const pick = (lang: 'zh' | 'en') => ({ purpose: c.purpose[lang], effect: c.effect[lang], retention: c.retention[lang], withdraw: c.withdraw[lang], alternative: c.alternative[lang] });
    return {
      version: c.version,
      processor: { name: this.paths.processor?.name ?? null, contact: this.paths.processor?.contact ?? null },
      retention_days: this.cfg.retention_days,
      zh: pick('zh'),
      en: pick('en'),
    };
  }

  recordConsent(c: { account_id: string; given_by: 'self' | 'guardian'; minor: boolean; guardian_name?: string; guardian_relation?: string; text_version: string }, actor: string): ConsentMsg {
    this.requireAccount(c.account_id);
    if (c.text_version !== this.cfg.consent.version) {
      throw new BiometricError(409, `text_version: got "${c.text_version}"; the consent text now shown is version "${this.cfg.consent.version}": show it and record consent to that`);
    }
    // the birth date decides, whatever the form says; without one staff say (biometrics.unknown_birth_date)
    const minor = c.minor || this.ageClass(c.account_id) === 'under14';
    return consentMsg(
      this.vault.recordConsent({ accountId: c.account_id, givenBy: c.given_by, minor, guardianName: c.guardian_name, guardianRelation: c.guardian_relation, textVersion: c.text_version, recordedBy: actor }),
    );
  }

  /**
   * Makes the person's template from 1–5 photos (the mean of the usable faces' embeddings)
   * and puts it in the gallery at once. 409 without consent, 422 when no photo has a usable face.
   */
  async enrol(accountId: string, images: Buffer[], actor: string, opts: { self?: boolean; replace?: boolean } = {}): Promise<{ account_id: string; images_used: number; quality: ImageQuality[] }> {
    const pipeline = this.requirePipeline();
    // sizes first, from the headers: nothing oversized is ever decoded (hole 7)
    for (const [i, image] of images.entries()) await this.checkImage(image, `images[${i}]`, opts.self ? this.cfg.max_frame_pixels : this.cfg.max_photo_pixels);
    this.requireAccount(accountId);
    this.enrolAllowed(accountId, opts);
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
    // checked again now, after the slow part: consent withdrawn, account closed or birth date changed meanwhile
    this.enrolAllowed(accountId, opts);
    const replacing = this.vault.hasTemplate(accountId);
    this.vault.enrol(accountId, template, pipeline.embedder.model, actor, { replace: opts.replace === true && !opts.self });
    // the retired template's kept photos and its bytes in the files go with it
    if (replacing) this.forgetFace(accountId);
    this.gallery.remove(accountId);
    this.gallery.add(accountId, template);
    if (this.cfg.keep_enrolment_images) this.keepImages(accountId, images.filter((_, i) => quality[i]!.ok));
    this.logger.info({ account: accountId, by: actor, images: images.length, used: embeddings.length }, 'face enrolled');
    return { account_id: accountId, images_used: embeddings.length, quality };
  }

  /** Throws when a template may not be stored for the account now (synchronous: call it right before storing). */
  private enrolAllowed(accountId: string, opts: { self?: boolean; replace?: boolean }): void {
    const account = this.requireAccount(accountId);
    if (account.status === 'closed') throw new BiometricError(409, `account ${accountId} is closed: no face data is kept for it`);
    const consent = this.vault.activeConsent(accountId);
    if (!consent) throw new BiometricError(409, `account ${accountId} has no active consent to face payment; record it first`);
    const problem = this.consentProblem(accountId, consent);
    if (problem) throw new BiometricError(409, problem, 'guardian_needed');
    if (this.vault.hasTemplate(accountId) && (opts.self || !opts.replace)) {
      if (opts.self) throw new BiometricError(403, KIOSK_ENROL_REFUSED, 'enrol_refused');
      throw new BiometricError(409, `account ${accountId} is enrolled already; to re-enrol, send replace: true (the old template is retired, audited)`, 'already_enrolled');
    }
  }

  /**
   * Self-service at the kiosk (issue 11, hole 3): the card says who, the account's PIN proves
   * it is the holder's (a card alone is not enough), the current consent text, one live photo.
   * Never replaces a template. An unknown card, a wrong PIN and an account not open or already
   * enrolled get one and the same answer; refusals are limited per kiosk. Under-14s and, by
   * default, accounts without a birth date are sent to the staff with a clear reason.
   */
  async enrolSelf(req: { card_id: string; pin: string; text_version: string; agree: boolean }, image: Buffer, station: string, actor: string): Promise<{ ok: true; person: string }> {
    this.requirePipeline();
    if (req.agree !== true) throw new BiometricError(400, 'agree: expected true — face pay needs explicit consent', 'agree');
    if (req.text_version !== this.cfg.consent.version) throw new BiometricError(409, `consent text outdated: got version "${req.text_version}", now "${this.cfg.consent.version}"`, 'text_outdated');
    this.kioskLimit(station);
    const account = await this.holderOf(req.card_id, req.pin);
    if (!account || this.vault.hasTemplate(account.id)) {
      this.kioskFailed(station);
      this.vault.audit(actor, 'enrol-refused', null, 'self-enrolment: card and PIN not accepted');
      throw new BiometricError(403, KIOSK_ENROL_REFUSED, 'enrol_refused');
    }
    // the holder proved the card is theirs: now they may hear why not
    const age = this.ageClass(account.id);
    if (age === 'under14') throw new BiometricError(403, 'under 14: a guardian enrols the child with the staff at the service desk (PIPL art. 31)', 'under14');
    if (age === 'unknown') throw new BiometricError(403, 'no birth date on this account: staff enrol you at the service desk', 'ask_staff');
    // the face is checked before anything is recorded: no consent without a usable template
    const pipeline = this.requirePipeline();
    const analysis = await pipeline.analyse(image).catch(() => {
      throw new BiometricError(400, 'not a readable JPEG image', 'not_an_image');
    });
    const face = analysis.primary;
    if (!face) throw new BiometricError(422, 'no face found', 'no_face');
    if (!face.quality.ok) throw new BiometricError(422, face.quality.reasons.join('; '), 'poor_quality');
    // no one is enrolled from a photo held up to the kiosk
    if ((await pipeline.liveness(analysis.image, face)).score < this.cfg.liveness.threshold) throw new BiometricError(422, 'not a live face: look into the kiosk camera yourself', 'not_live');
    const consent = this.vault.recordConsent({ accountId: account.id, givenBy: 'self', minor: false, textVersion: req.text_version, recordedBy: `kiosk:${station}` });
    try {
      await this.enrol(account.id, [image], actor, { self: true });
    } catch (err) {
      // nothing enrolled: the consent just recorded is withdrawn again, not left dangling
      this.vault.withdrawConsent(consent.id, actor);
      throw err;
    }
    return { ok: true, person: maskName(account.person) };
  }

  /** The account whose card this is, if the PIN is its PIN and it is open; the same time either way. */
  private async holderOf(cardId: string, pin: string) {
    const account = this.payments.ledger.accountByCard(cardId);
    if (!account || !this.payments.pins.has(account.id)) {
      this.decoyHash ??= hashPassword('decoy-pin-never-matches');
      await verifyPassword(pin, await this.decoyHash).catch(() => false);
      return undefined;
    }
    if ((await this.payments.pins.check(account.id, pin)) !== 'ok') return undefined;
    return account.status === 'active' ? account : undefined;
  }

  private kioskLimit(station: string): void {
    const { max_failures, window_minutes } = this.cfg.kiosk_enrol;
    const since = this.now() - window_minutes * 60_000;
    const recent = (this.kioskFailures.get(station) ?? []).filter((t) => t > since);
    this.kioskFailures.set(station, recent);
    if (recent.length >= max_failures) {
      throw new BiometricError(429, `too many refused attempts at this kiosk: self-enrolment paused for up to ${window_minutes} min; staff can help at the service desk`, 'enrol_paused');
    }
  }

  private kioskFailed(station: string): void {
    this.kioskFailures.set(station, [...(this.kioskFailures.get(station) ?? []), this.now()]);
  }

  withdraw(accountId: string, actor: string): void {
    this.requireAccount(accountId);
    this.vault.withdraw(accountId, actor);
    this.forgetFace(accountId);
    this.logger.info({ account: accountId, by: actor }, 'face pay consent withdrawn; template deleted');
  }

  erase(accountId: string, actor: string): { template: boolean; consents: number } {
    const r = this.vault.erase(accountId, actor);
    this.forgetFace(accountId);
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
        consent: c && { given_by: c.givenBy, minor: c.minor, guardian_name: c.guardianName ?? null, guardian_relation: c.guardianRelation ?? null, text_version: c.textVersion, at: c.at },
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
