// Keeps each device's state from the results its adapter reports, and announces
// every change on the bus. A device is online after a good result, degraded after
// a failure that follows good ones, offline after OFFLINE_AFTER failures in a row.
import type { EventBus } from '../bus/event-bus.ts';
import type { Metrics } from '../metrics.ts';
import type { DeviceKind, DeviceStatus } from '../wire/devices.ts';

export const OFFLINE_AFTER = 3;

interface Entry extends DeviceStatus {
  required: boolean;
  failures: number;
}

export class DeviceTracker {
  private readonly devices = new Map<string, Entry>();

  constructor(
    private readonly bus: EventBus,
    private readonly metrics: Metrics,
    private readonly now: () => number = Date.now,
  ) {}

  register(id: string, kind: DeviceKind, required: boolean): void {
    const entry: Entry = { id, kind, required, state: 'starting', since: this.now(), lastGoodAt: null, lastError: null, failures: 0 };
    this.devices.set(id, entry);
    this.metrics.setDeviceState(id, kind, 'starting');
  }

  ok(id: string, at = this.now()): void {
    const d = this.get(id);
    d.failures = 0;
    d.lastGoodAt = at;
    this.metrics.deviceResult(id, d.kind, true, at);
    this.move(d, 'online');
  }

  failed(id: string, error: string): void {
    const d = this.get(id);
    d.failures += 1;
    d.lastError = error;
    this.metrics.deviceResult(id, d.kind, false, this.now());
    if (d.failures >= OFFLINE_AFTER) this.move(d, 'offline');
    else if (d.state === 'online') this.move(d, 'degraded');
  }

  /** An immediate loss (port closed, stream ended): offline at once. */
  lost(id: string, error: string): void {
    const d = this.get(id);
    d.failures = Math.max(d.failures, OFFLINE_AFTER);
    d.lastError = error;
    this.move(d, 'offline');
  }

  /** A good reading from a device whose state its adapter judges (see report). */
  seen(id: string, at: number): void {
    const d = this.get(id);
    d.lastGoodAt = at;
    this.metrics.deviceResult(id, d.kind, true, at);
  }

  /** For adapters that judge their devices' state themselves (the bus poller). */
  report(id: string, state: Exclude<DeviceStatus['state'], 'starting'>, detail: { lastGoodAt?: number; lastError?: string }): void {
    const d = this.get(id);
    if (detail.lastGoodAt !== undefined) d.lastGoodAt = detail.lastGoodAt;
    if (state !== 'online') this.metrics.deviceResult(id, d.kind, false, Date.now());
    d.lastError = detail.lastError ?? (state === 'online' ? null : d.lastError);
    d.failures = state === 'offline' ? OFFLINE_AFTER : 0;
    this.move(d, state);
  }

  list(): DeviceStatus[] {
    return [...this.devices.values()].map(publicStatus);
  }

  /** Reasons the service is not ready: required devices that are not online; without their errors (addresses, paths) unless `detail`. */
  notReady(detail = true): string[] {
    return [...this.devices.values()]
      .filter((d) => d.required && d.state !== 'online')
      .map((d) => `${d.kind} ${d.id} is ${d.state}${detail && d.lastError ? `: ${d.lastError}` : ''}`);
  }

  private move(d: Entry, state: DeviceStatus['state']): void {
    if (d.state === state) return;
    d.state = state;
    d.since = this.now();
    this.metrics.setDeviceState(d.id, d.kind, state);
    this.bus.emit('device:state', publicStatus(d));
  }

  private get(id: string): Entry {
    const d = this.devices.get(id);
    if (!d) throw new Error(`unknown device ${id}`);
    return d;
  }
}

function publicStatus({ id, kind, state, since, lastGoodAt, lastError }: Entry): DeviceStatus {
  return { id, kind, state, since, lastGoodAt, lastError };
}
