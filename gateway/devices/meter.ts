// Polls one Modbus meter on its interval and publishes each reading.
import { readMeter } from '../../drivers/modbus/meter-reader.ts';
import type { MeterProfile } from '../../drivers/modbus/profile.ts';
import { ModbusTcpClient } from '../../drivers/modbus/tcp-client.ts';
import type { EventBus } from '../bus/event-bus.ts';
import type { MeterConfig } from '../config/schema.ts';
import type { Device } from './device.ts';
import type { DeviceTracker } from './tracker.ts';

export class MeterDevice implements Device {
  readonly id: string;
  private readonly client: ModbusTcpClient;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly cfg: MeterConfig,
    private readonly profile: MeterProfile,
    private readonly bus: EventBus,
    private readonly tracker: DeviceTracker,
  ) {
    this.id = cfg.id;
    this.client = new ModbusTcpClient({ host: cfg.transport.host, port: cfg.transport.port, timeoutMs: cfg.timeout_ms });
    tracker.register(cfg.id, 'meter', cfg.required);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    await this.client.close();
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      this.inFlight = this.poll().finally(() => {
        this.inFlight = undefined;
        this.schedule(Math.max(0, this.cfg.poll_ms - (Date.now() - started)));
      });
    }, delay);
  }

  private async poll(): Promise<void> {
    const at = Date.now();
    const result = await readMeter(this.client, this.profile, this.cfg.unit_id);
    if (this.stopped) return;
    const failed = Object.keys(result.errors);
    if (Object.keys(result.values).length === 0) {
      this.tracker.failed(this.id, result.errors[failed[0]!] ?? 'no values');
      return;
    }
    if (failed.length) this.tracker.failed(this.id, `${failed.join(', ')}: ${result.errors[failed[0]!]}`);
    else this.tracker.ok(this.id, at);
    this.bus.emit('meter:reading', { deviceId: this.id, profile: this.profile.name, at, values: result.values });
  }
}
