// Follows one scale's stream of readings and publishes each weight.
import { parseContinuousLine } from '../../drivers/scale/continuous.ts';
import { LineSocket } from '../../drivers/line-socket.ts';
import type { EventBus } from '../bus/event-bus.ts';
import type { ScaleConfig } from '../config/schema.ts';
import type { Metrics } from '../metrics.ts';
import type { Device } from './device.ts';
import type { DeviceTracker } from './tracker.ts';

export class ScaleDevice implements Device {
  readonly id: string;
  private readonly socket: LineSocket;
  private silence: NodeJS.Timeout | undefined;

  constructor(
    private readonly cfg: ScaleConfig,
    private readonly bus: EventBus,
    private readonly tracker: DeviceTracker,
    private readonly metrics: Metrics,
  ) {
    this.id = cfg.id;
    tracker.register(cfg.id, 'scale', cfg.required);
    this.socket = new LineSocket({ host: cfg.transport.host, port: cfg.transport.port });
    this.socket.on('line', (line) => this.onLine(line));
    this.socket.on('overlong', () => this.garbled());
    this.socket.on('disconnected', (reason) => this.tracker.lost(this.id, `connection to ${cfg.transport.host}:${cfg.transport.port}: ${reason}`));
  }

  start(): void {
    this.socket.start();
    this.armSilence();
  }

  async stop(): Promise<void> {
    clearTimeout(this.silence);
    await this.socket.stop();
  }

  private onLine(line: string): void {
    const reading = parseContinuousLine(line);
    if (!reading) return this.garbled();
    const at = Date.now();
    this.armSilence();
    this.tracker.ok(this.id, at);
    const { grams, stable, net, overload, underload } = reading;
    this.bus.emit('scale:weight', { deviceId: this.id, at, grams, stable, net, overload, underload });
  }

  /** Garbage between good lines is counted and skipped; silence decides the state. */
  private garbled(): void {
    this.metrics.lineErrors.inc({ device: this.id, kind: 'scale' });
  }

  private armSilence(): void {
    clearTimeout(this.silence);
    this.silence = setTimeout(() => {
      this.tracker.lost(this.id, `no reading for ${this.cfg.timeout_ms} ms`);
      this.armSilence();
    }, this.cfg.timeout_ms);
  }
}
