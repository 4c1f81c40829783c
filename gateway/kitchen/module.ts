// Kitchen safety in the gateway: a CameraWatch per camera with rules, the alert book,
// the GPIO outputs that follow it, the retention job, the routes and the annotated
// frames of the camera wall.
import type { FastifyPluginAsync } from 'fastify';
import type { CameraConfig } from '../../drivers/camera/config.ts';
import { onoffPins, type PinFactory } from '../../drivers/scale/hx711.ts';
import type { ModelRegistry } from '../../models/registry.ts';
import type { EventBus } from '../bus/event-bus.ts';
import { zoneOffsetMs } from '../site-time.ts';
import type { LiveState } from '../live.ts';
import type { Logger } from '../log.ts';
import type { KitchenAlertMsg } from '../wire/kitchen.ts';
import type { Db } from '../store/sqlite.ts';
import { AlertBook, type PutAlert } from './alerts.ts';
import type { KitchenConfig } from './config.ts';
import { ALERT_COLOUR, DETECTION_COLOUR, drawBoxes, jpeg } from './draw.ts';
import { AlertOutputs, type OutputStatus } from './outputs.ts';
import { kitchenRoutes } from './routes.ts';
import type { RuleFire } from './rules.ts';
import { CameraWatch, type WatchStats } from './watch.ts';
import { KitchenZones } from './zones.ts';

export interface KitchenDeps {
  db: Db;
  dataDir: string;
  bus: EventBus;
  live: LiveState;
  registry: ModelRegistry;
  config: KitchenConfig;
  cameras: CameraConfig[];
  timeZone: string;
  /** appends to the outbox stream `alerts` */
  put: PutAlert;
  /** a camera's detection cannot run (reason) or runs again (null) */
  onCameraProblem: (camera: string, reason: string | null) => void;
  logger: Logger;
  /** GPIO pins; default `onoff` */
  pins?: () => Promise<PinFactory>;
  /** every fire of a rule (tests) */
  onFire?: (camera: string, fire: RuleFire) => void;
}

export class KitchenModule {
  readonly book: AlertBook;
  readonly watches = new Map<string, CameraWatch>();
  readonly outputs: AlertOutputs;
  /** zones drawn at /admin over the config's */
  readonly zones: KitchenZones;
  private readonly unsubscribe: (() => void)[] = [];
  private retentionTimer: NodeJS.Timeout | undefined;
  private readonly annotated = new Map<string, { key: string; jpeg: Promise<Buffer> }>();

  constructor(private readonly deps: KitchenDeps) {
    const { db, dataDir, put, logger, config } = deps;
    this.book = new AlertBook({ db, dataDir, bus: deps.bus, put, onPutError: (err) => logger.error({ err }, 'kitchen alert could not be written to the outbox') });
    this.outputs = new AlertOutputs(config.outputs, deps.pins ?? onoffPins, logger);
    const cams = new Map(deps.cameras.map((c) => [c.id, c]));
    this.zones = new KitchenZones({ db, cameras: cams, configs: new Map(config.cameras.map((c) => [c.camera, c])), apply: (camera, zones) => this.watches.get(camera)?.setZones(zones) });
    for (const cfg of config.cameras) {
      const camera = cams.get(cfg.camera);
      if (!camera) continue; // refused by the config check
      const { zones, revived } = this.zones.effective(cfg.camera);
      if (revived.length) logger.warn({ camera: cfg.camera, zones: revived }, 'zones taken away at /admin are back: a rule in the config needs them');
      const watch = new CameraWatch({
        registry: deps.registry,
        kitchen: config,
        camera,
        cfg: { ...cfg, zones },
        timeZone: deps.timeZone,
        raise: this.book.raise,
        onProblem: (reason) => deps.onCameraProblem(cfg.camera, reason),
        logger: logger.child({ camera: cfg.camera }),
        onFire: deps.onFire && ((f) => deps.onFire!(cfg.camera, f)),
      });
      this.watches.set(cfg.camera, watch);
    }
  }

  async start(): Promise<void> {
    const { bus, config } = this.deps;
    await this.outputs.start();
    this.outputs.update(this.book.unacknowledgedSeverities());
    this.unsubscribe.push(
      ...(['alert:new', 'alert:update'] as const).map((e) => bus.on(e, () => this.outputs.update(this.book.unacknowledgedSeverities()))),
      bus.on('camera:frame', (f) => this.watches.get(f.deviceId)?.onFrame(f)),
      bus.on('device:state', (d) => {
        if (d.kind === 'camera' && d.state === 'offline') this.watches.get(d.id)?.reset();
      }),
    );
    await Promise.all([...this.watches.values()].map((w) => w.start()));
    this.purge();
    this.retentionTimer = setInterval(() => this.purge(), config.retention.check_every_ms);
    this.retentionTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.retentionTimer);
    this.unsubscribe.splice(0).forEach((u) => u());
    await Promise.all([...this.watches.values()].map((w) => w.idle()));
    this.outputs.close();
  }

  /** Deletes resolved alerts past their type's retention; returns how many. */
  purge(): number {
    const r = this.deps.config.retention;
    const n = this.book.purge((type) => r.by_type[type] ?? r.default_days);
    if (n) this.deps.logger.info({ deleted: n }, 'kitchen alerts past retention deleted');
    return n;
  }

  /** The board's start: open, acknowledged, and resolved since local midnight. */
  currentAlerts(now = Date.now()): KitchenAlertMsg[] {
    const off = zoneOffsetMs(now, this.deps.timeZone);
    const midnight = Math.floor((now + off) / 86_400_000) * 86_400_000 - off;
    return this.book.current(midnight);
  }

  detection(camera: string): WatchStats | undefined {
    return this.watches.get(camera)?.stats;
  }

  status(): { outputs: OutputStatus[]; cameras: { camera: string; state: string; reason: string | null; models: string[] }[] } {
    return {
      outputs: this.outputs.status(),
      cameras: [...this.watches.values()].map((w) => ({ camera: w.id, state: w.stats.state, reason: w.stats.reason, models: w.modelNames })),
    };
  }

  /** The camera's latest frame as JPEG with the latest detections drawn (rule matches in red). */
  annotatedJpeg(camera: string): Promise<Buffer> | undefined {
    const latest = this.watches.get(camera)?.latest;
    // boxes are drawn on the frame they were found on (drawing them on the newest frame
    // put one frame's boxes on the next: the one-frame lag); without detection yet, the bare newest frame
    const frame = latest?.frame ?? this.deps.live.latestFrame(camera);
    if (!frame) return undefined;
    const key = `${frame.seq}:${latest?.seq ?? -1}`;
    const cached = this.annotated.get(camera);
    if (cached?.key === key) return cached.jpeg;
    const alerting = new Set(latest?.alerting ?? []);
    const boxes = (latest?.detections ?? []).map((d) => ({ box: d.box, colour: alerting.has(d) ? ALERT_COLOUR : DETECTION_COLOUR }));
    const out = jpeg({ ...frame, rgb: boxes.length ? drawBoxes(frame, boxes, 2) : frame.rgb }, 80);
    this.annotated.set(camera, { key, jpeg: out });
    return out;
  }

  routes: FastifyPluginAsync = async (app) => kitchenRoutes(app, this);
}
