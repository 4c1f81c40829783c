// One camera watched for its rules: frames → motion gate → the configured detectors
// (and the per-person attribute checks of `lacking` rules: mask, hat…) → each rule's
// timing → an alert with its snapshot. A frame the gate finds unchanged is not run through the models: the
// rules see the last detections again at the new frame's time, so time still counts.
// A model that cannot be loaded puts this camera in `degraded` with the reason (retried
// every RETRY_MS); the other cameras are not affected.
import { createMotionGate, type CameraConfig } from '../../drivers/camera/config.ts';
import type { MotionGate } from '../../drivers/camera/motion.ts';
import type { Detection } from '../../models/detector/detector.ts';
import { Detector } from '../../models/detector/detector.ts';
import { AttributeChecker } from '../../models/detector/attribute.ts';
import { detectAll } from '../../models/detector/multi.ts';
import { ModelError, type ModelRegistry } from '../../models/registry.ts';
import type { CameraFrame } from '../wire/devices.ts';
import type { Logger } from '../log.ts';
import type { RaiseAlertFn } from './alerts.ts';
import { conditionAttribute, describeCondition, type PersonAttribute } from './conditions.ts';
import { attributeModels, type KitchenCameraConfig, type KitchenConfig, type ZoneConfig } from './config.ts';
import { snapshotPair } from './draw.ts';
import { evaluate, RuleTracker, ruleSpec, zoneInPixels, type Observation, type RuleFire } from './rules.ts';

export const RETRY_MS = 30_000;

export interface WatchStats {
  state: 'starting' | 'ok' | 'degraded';
  reason: string | null;
  frames: number;
  inferences: number;
  skipped: number;
  dropped: number;
  lastInferenceMs: number | null;
  fired: number;
}

export interface WatchDeps {
  registry: ModelRegistry;
  kitchen: KitchenConfig;
  camera: CameraConfig;
  cfg: KitchenCameraConfig;
  timeZone: string;
  raise: RaiseAlertFn;
  /** the reason detection cannot run on this camera, or null once it can */
  onProblem: (reason: string | null) => void;
  logger: Logger;
  /** every fire of a rule, with its frame time and the boxes (logs, tests) */
  onFire?: (fire: RuleFire) => void;
}

/** The latest detections with the frame they were found on, for the camera wall's annotated frame. */
export interface LatestDetections {
  seq: number;
  /** the frame the detections come from (boxes are drawn on it, never on a later frame) */
  frame: CameraFrame;
  detections: Detection[];
  /** boxes that currently make a rule's condition true */
  alerting: Detection[];
}

export class CameraWatch {
  readonly id: string;
  private detectors: Detector[] | undefined;
  /** per attribute name: its checker, once loaded */
  private attributes = new Map<string, AttributeChecker>();
  /** per attribute name: the labels (persons) of the rules that need it */
  private readonly attributeLabels = new Map<string, Set<string>>();
  private readonly gate: MotionGate | undefined;
  private readonly trackers: RuleTracker[];
  private readonly minScore: number;
  private lastLoadAt = -Infinity;
  private loading: Promise<boolean> | undefined;
  private busy = false;
  /** stream clock: frames to look at in order; null marks a drop (reset in its place, not before the frames ahead of it) */
  private readonly queue: (CameraFrame | null)[] = [];
  private streamIndex = 0;
  private last: { frame: CameraFrame | undefined; detections: Detection[]; attributes: Record<string, PersonAttribute[]> } = { frame: undefined, detections: [], attributes: {} };
  private drained: (() => void)[] = [];
  latest: LatestDetections | undefined;
  /** stream clock: the wall time of the first frame, from which frame times count (so rule hours still mean local hours) */
  streamOrigin: number | undefined;
  readonly stats: WatchStats = { state: 'starting', reason: null, frames: 0, inferences: 0, skipped: 0, dropped: 0, lastInferenceMs: null, fired: 0 };

  constructor(private readonly deps: WatchDeps) {
    const { cfg, camera, kitchen } = deps;
    this.id = cfg.camera;
    const zones = cfg.zones.map((z) => zoneInPixels(z, camera.width, camera.height));
    this.trackers = cfg.rules.map((r) => new RuleTracker(ruleSpec(r, zones, { minScore: kitchen.min_score, timeZone: deps.timeZone })));
    for (const r of cfg.rules) {
      const attribute = conditionAttribute(r.when);
      if (attribute === undefined) continue;
      if (!this.attributeLabels.has(attribute)) this.attributeLabels.set(attribute, new Set());
      this.attributeLabels.get(attribute)!.add(r.when.label);
    }
    this.minScore = Math.min(...this.trackers.map((t) => t.spec.when.min_score));
    this.gate = createMotionGate(camera);
  }

  get modelNames(): string[] {
    return this.deps.cfg.models ?? this.deps.kitchen.models;
  }

  /** Loads the models now (also done on the first frame); false when one is missing. */
  start(): Promise<boolean> {
    return this.ensureModels();
  }

  onFrame(frame: CameraFrame): void {
    this.stats.frames++;
    if (this.deps.cfg.clock === 'stream') {
      this.queue.push(frame);
      if (!this.busy) void this.drain();
      return;
    }
    if (this.busy) {
      this.stats.dropped++;
      return;
    }
    this.busy = true;
    void this.process(frame, frame.at).finally(() => this.settle());
  }

  /** The stream dropped: events in progress end (cooldowns stay). */
  reset(): void {
    if (this.deps.cfg.clock === 'stream' && (this.busy || this.queue.length)) {
      this.queue.push(null);
      return;
    }
    this.resetNow();
  }

  private resetNow(): void {
    for (const t of this.trackers) t.reset();
    this.gate?.reset();
    this.last = { frame: undefined, detections: [], attributes: {} };
  }

  /** Zones saved at /admin: every rule looks in the new polygons from the next frame on (events in progress and cooldowns stay). */
  setZones(zones: ZoneConfig[]): void {
    const byId = new Map(zones.map((z) => [z.id, zoneInPixels(z, this.deps.camera.width, this.deps.camera.height)]));
    const next = this.trackers.map((tr) =>
      tr.spec.zones.map((z) => {
        const zone = byId.get(z.id);
        if (!zone) throw new Error(`rule ${tr.spec.id}: unknown zone ${z.id}`);
        return zone;
      }),
    );
    this.trackers.forEach((tr, i) => (tr.spec.zones = next[i]!));
  }

  /** Resolves when every queued frame has been looked at. */
  idle(): Promise<void> {
    if (!this.busy && !this.queue.length) return Promise.resolve();
    return new Promise((r) => this.drained.push(r));
  }

  private settle(): void {
    this.busy = false;
    if (!this.queue.length) for (const r of this.drained.splice(0)) r();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    const period = 1000 / this.deps.camera.fps;
    while (this.queue.length) {
      const frame = this.queue.shift();
      if (!frame) {
        this.resetNow();
        continue;
      }
      this.streamOrigin ??= frame.at;
      const t = this.streamOrigin + this.streamIndex++ * period;
      await this.process(frame, t);
    }
    this.settle();
  }

  private async process(frame: CameraFrame, t: number): Promise<void> {
    try {
      if (!(await this.ensureModels())) return;
      const decision = this.gate?.check({ rgb: frame.rgb, width: frame.width, height: frame.height, at: t });
      if (decision && !decision.run) this.stats.skipped++;
      else await this.infer(frame);
      const obs: Observation = { at: t, detections: this.last.detections, attributes: this.last.attributes };
      const alerting = new Set<Detection>();
      for (const tr of this.trackers) {
        for (const d of evaluate(tr.spec, obs).matches) alerting.add(d);
        const fire = tr.observe(obs);
        // the snapshot is the frame the matched boxes were found on (the gate may have skipped this one)
        if (fire) await this.fire(this.last.frame ?? frame, fire);
      }
      // the gate skipped this frame: the detections are the inferred frame's, drawn on that frame
      const seen = this.last.frame ?? frame;
      this.latest = { seq: seen.seq, frame: seen, detections: this.last.detections, alerting: [...alerting] };
    } catch (err) {
      this.deps.logger.error({ err }, 'kitchen detection failed on a frame');
    }
  }

  private async infer(frame: CameraFrame): Promise<void> {
    const t0 = performance.now();
    const image = { rgb: frame.rgb, width: frame.width, height: frame.height };
    const detections = await detectAll(this.detectors!, image, { minScore: this.minScore });
    const attributes: Record<string, PersonAttribute[]> = {};
    for (const [name, checker] of this.attributes) {
      const labels = this.attributeLabels.get(name)!;
      const persons = detections.filter((d) => labels.has(d.label));
      const found = await checker.check(image, persons.map((p) => p.box));
      attributes[name] = found.map((f) => ({ person: persons[f.person]!, has: f.has }));
    }
    this.last = { frame, detections, attributes };
    this.stats.inferences++;
    this.stats.lastInferenceMs = performance.now() - t0;
  }

  private async fire(frame: CameraFrame, f: RuleFire): Promise<void> {
    const r = f.rule;
    const snapshot = await snapshotPair(frame, f.matches.map((d) => d.box), this.deps.kitchen.snapshot_quality);
    const seconds = Math.round((f.at - f.since) / 1000);
    const what = describeCondition(r.when);
    const where = r.zones.length ? ` in ${r.zones.map((z) => z.id).join(', ')}` : '';
    const alert = this.deps.raise({
      type: r.alert,
      severity: r.severity,
      message: r.message ?? `${this.id}: ${what}${where} for ${seconds} s`,
      camera: this.id,
      zone: r.zones.length ? r.zones.map((z) => z.id).join(',') : null,
      rule: r.id,
      dedupeKey: `camera:${this.id}:${r.id}`,
      snapshot,
    });
    this.stats.fired++;
    this.deps.onFire?.(f);
    this.deps.logger.info({ rule: r.id, alert: alert?.id ?? null, deduplicated: !alert, frames: f.frames }, 'kitchen rule fired');
  }

  private ensureModels(): Promise<boolean> {
    if (this.detectors) return Promise.resolve(true);
    if (this.loading) return this.loading;
    if (Date.now() - this.lastLoadAt < RETRY_MS) return Promise.resolve(false);
    this.lastLoadAt = Date.now();
    this.loading = this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<boolean> {
    const { registry, kitchen } = this.deps;
    try {
      const detectors = this.modelNames.map((n) => new Detector(registry, n));
      const labels: (string[] | undefined)[] = [];
      for (const d of detectors) labels.push((await d.load()).labels);
      const models = attributeModels(kitchen);
      const attributes = new Map<string, AttributeChecker>();
      for (const name of this.attributeLabels.keys()) {
        const checker = new AttributeChecker(registry, models[name]!);
        await checker.detector.load();
        attributes.set(name, checker);
      }
      for (const tr of this.trackers) this.checkLabel(tr.spec.when.label, tr.spec.id, labels);
      this.detectors = detectors;
      this.attributes = attributes;
      this.setProblem(null);
      return true;
    } catch (err) {
      this.setProblem(detectionOff(err));
      return false;
    }
  }

  /** A rule whose label no model of this camera produces would silently never fire. */
  private checkLabel(label: string, rule: string, labels: (string[] | undefined)[]): void {
    if (labels.some((l) => !l)) return; // a model without labels names its classes "#n"
    if (!labels.some((l) => l!.includes(label))) {
      throw new Error(`rule ${rule}: no model of this camera (${this.modelNames.join(', ')}) produces the label "${label}"`);
    }
  }

  private setProblem(reason: string | null): void {
    this.stats.state = reason ? 'degraded' : 'ok';
    if (reason === this.stats.reason) return;
    this.stats.reason = reason;
    if (reason) this.deps.logger.warn({ reason }, 'kitchen detection degraded');
    this.deps.onProblem(reason);
  }
}

/**
 * Why detection is off, without the file path (the kitchen board and /readyz show it):
 * a model not installed or damaged names the command that installs it. The board turns
 * these into Chinese text by their start (kiosk/kitchen/CameraWall.tsx).
 */
export function detectionOff(err: unknown): string {
  if (err instanceof ModelError && err.state === 'missing') return `detection off: model ${err.model} not installed (install it: canteen-edge models pull --only ${err.model})`;
  if (err instanceof ModelError && err.state === 'hash-mismatch') return `detection off: model ${err.model} damaged (reinstall it: canteen-edge models pull --only ${err.model})`;
  return `detection off: ${(err as Error).message}`;
}
