// Runs one camera's frame source (drivers/camera: image files, or RTSP / V4L2 / video
// files through ffmpeg with restart backoff) and publishes each frame. The camera's
// state is the source's (online / offline after a drop) — or degraded while it streams
// but what watches it (the kitchen detectors) cannot work, with that reason.
import { Counter, Gauge } from 'prom-client';
import { createFrameSource, type CameraConfig } from '../../drivers/camera/config.ts';
import type { FrameSource, SourceHealth } from '../../drivers/camera/health.ts';
import type { EventBus } from '../bus/event-bus.ts';
import { METRIC_PREFIX, type Metrics } from '../metrics.ts';
import type { DeviceState } from '../wire/devices.ts';
import type { Device } from './device.ts';
import type { DeviceTracker } from './tracker.ts';

export class CameraDevice implements Device {
  readonly id: string;
  private readonly source: FrameSource;
  private problem: string | null = null;
  private reported: { state: DeviceState; error: string | null } | undefined;

  constructor(
    readonly cfg: CameraConfig,
    bus: EventBus,
    private readonly tracker: DeviceTracker,
  ) {
    this.id = cfg.id;
    tracker.register(cfg.id, 'camera', cfg.required);
    this.source = createFrameSource(cfg, {
      onFrame: ({ seq, at, width, height, rgb }) => {
        this.report();
        tracker.seen(cfg.id, at);
        bus.emit('camera:frame', { deviceId: cfg.id, seq, at, width, height, rgb });
      },
      onError: () => this.report(),
      onState: () => this.report(),
    });
  }

  start(): void {
    this.source.start();
  }

  stop(): Promise<void> {
    return this.source.stop();
  }

  health(): SourceHealth {
    return this.source.health();
  }

  /** Something that watches the stream cannot work (a model is missing…): degraded with this reason; null clears it. */
  setProblem(reason: string | null): void {
    if (reason === this.problem) return;
    this.problem = reason;
    this.report();
  }

  private report(): void {
    const h = this.source.health();
    let state: DeviceState;
    let error: string | null;
    if (h.state === 'online') [state, error] = this.problem ? ['degraded', this.problem] : ['online', null];
    else if (h.state === 'offline') [state, error] = ['offline', h.lastError];
    else return; // starting / stopped: nothing new to say
    if (this.reported?.state === state && this.reported.error === error) return;
    this.reported = { state, error };
    this.tracker.report(this.id, state, { lastGoodAt: h.lastFrameAt ?? undefined, lastError: error ?? undefined });
  }
}

/** What /readyz shows per camera: the source's health, and what watches it. */
export interface CameraReport {
  id: string;
  source: SourceHealth & { kind: 'files' | 'ffmpeg'; fps: number; width: number; height: number };
  detection?: { state: string; reason: string | null; frames: number; inferences: number; skipped: number; dropped: number; lastInferenceMs: number | null };
}

/** Per-camera Prometheus series, read from the reports when scraped. */
export function watchCameras(metrics: Metrics, reports: () => CameraReport[]): void {
  const registers = [metrics.registry];
  const counter = (name: string, help: string, value: (r: CameraReport) => number | undefined) =>
    new Counter({
      name: `${METRIC_PREFIX}camera_${name}_total`,
      help,
      labelNames: ['camera'],
      registers,
      collect() {
        this.reset();
        for (const r of reports()) {
          const v = value(r);
          if (v !== undefined) this.inc({ camera: r.id }, v);
        }
      },
    });
  const gauge = (name: string, help: string, value: (r: CameraReport) => number | undefined) =>
    new Gauge({
      name: `${METRIC_PREFIX}camera_${name}`,
      help,
      labelNames: ['camera'],
      registers,
      collect() {
        this.reset();
        for (const r of reports()) {
          const v = value(r);
          if (v !== undefined) this.set({ camera: r.id }, v);
        }
      },
    });
  gauge('online', 'Camera stream delivering frames (1) or not (0)', (r) => (r.source.state === 'online' ? 1 : 0));
  gauge('last_frame_age_seconds', 'Seconds since the camera\'s last frame', (r) => (r.source.lastFrameAt === null ? undefined : (Date.now() - r.source.lastFrameAt) / 1000));
  counter('frames', 'Frames delivered by the camera', (r) => r.source.frames);
  counter('restarts', 'Stream restarts after a drop, stall or failure', (r) => r.source.restarts);
  gauge('detection_ok', 'Detection running on the camera (1) or degraded (0)', (r) => (r.detection ? (r.detection.state === 'ok' ? 1 : 0) : undefined));
  counter('inferences', 'Frames the detectors ran on', (r) => r.detection?.inferences);
  counter('inferences_skipped', 'Frames the motion gate skipped (nothing changed)', (r) => r.detection?.skipped);
  counter('frames_dropped', 'Frames not looked at because the detector was still busy', (r) => r.detection?.dropped);
  gauge('inference_seconds', 'Duration of the last detection run', (r) => (r.detection?.lastInferenceMs == null ? undefined : r.detection.lastInferenceMs / 1000));
}

/** /readyz and /metrics per camera: the stream's health, and its detection's when it has rules. */
export function cameraReports(cameras: CameraDevice[], detection: (id: string) => CameraReport['detection'] | undefined): CameraReport[] {
  return cameras.map((c) => {
    const d = detection(c.id);
    return {
      id: c.id,
      source: { kind: c.cfg.source.type, fps: c.cfg.fps, width: c.cfg.width, height: c.cfg.height, ...c.health() },
      ...(d ? { detection: { state: d.state, reason: d.reason, frames: d.frames, inferences: d.inferences, skipped: d.skipped, dropped: d.dropped, lastInferenceMs: d.lastInferenceMs } } : {}),
    };
  });
}
