// Runs one checkout scale through its protocol driver and publishes each weight.
import path from 'node:path';
import { createScale, type ScaleDriver } from '../../drivers/scale/index.ts';
import type { EventBus } from '../bus/event-bus.ts';
import type { ScaleConfig } from '../config/schema.ts';
import type { Metrics } from '../metrics.ts';
import type { Device } from './device.ts';
import type { DeviceTracker } from './tracker.ts';

export class ScaleDevice implements Device {
  readonly id: string;
  readonly driver: ScaleDriver;

  constructor(opts: { cfg: ScaleConfig; /** relative paths in the scale's config are relative to it */ configFile: string; bus: EventBus; tracker: DeviceTracker; metrics: Metrics }) {
    const { cfg, configFile, bus, tracker, metrics } = opts;
    this.id = cfg.id;
    tracker.register(cfg.id, 'scale', cfg.required);
    this.driver = createScale(cfg, { baseDir: path.dirname(configFile) });
    this.driver.on('reading', (r) => {
      tracker.ok(cfg.id, r.at);
      // A status-only frame (overload shown as dashes) carries no weight; the session never prices it (not stable).
      bus.emit('scale:weight', {
        deviceId: cfg.id,
        at: r.at,
        grams: r.grams,
        stable: r.stable,
        net: r.net,
        overload: r.overload,
        underload: r.underload,
        raw: r.raw,
        tare: r.tare,
        stableBy: r.stableBy,
      });
    });
    this.driver.on('lost', (reason) => tracker.lost(cfg.id, `${this.driver.description}: ${reason}`));
    this.driver.on('garbled', () => metrics.lineErrors.inc({ device: cfg.id, kind: 'scale' }));
  }

  start(): void {
    this.driver.start();
  }

  stop(): Promise<void> {
    return this.driver.stop();
  }
}
