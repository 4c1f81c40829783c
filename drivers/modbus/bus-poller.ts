// Polls many meters that share one client (one RS-485 line, one converter or one
// Modbus TCP gateway): one read at a time, each device on its own interval, the
// device that is most overdue first. A device that does not answer costs one
// timeout per attempt; after `failuresBeforeOffline` failed attempts in a row it
// is offline and tried again after an exponential backoff (capped), so a dead
// meter takes almost nothing from the live ones.
import type { ModbusClient, ModbusCounters } from './client.ts';
import { readMeter, type MeterRead, type Ratios } from './meter-reader.ts';
import type { DeviceReadState } from './plan.ts';
import type { MeterProfile } from './profile.ts';

interface PolledBase {
  id: string;
  intervalMs: number;
  /** reply timeout for this device; default the client's */
  timeoutMs?: number;
  /** learned read caps; pass the one kept from an earlier poller to start with what it learned */
  state?: DeviceReadState;
}

/**
 * A Modbus unit read by its profile, or a device of another protocol on the same
 * line (a DL/T 645 meter sharing the RS-485 bus) read by its own function.
 */
export type PolledDevice = PolledBase & ({ unit: number; profile: MeterProfile; ratios?: Ratios } | { read: () => Promise<MeterRead> });

/** unknown: not polled yet; online: every point read; degraded: some points or some attempts failed; offline: no answer N times in a row */
export type DeviceHealth = 'unknown' | 'online' | 'degraded' | 'offline';

export interface DeviceStatus {
  id: string;
  health: DeviceHealth;
  lastGoodAt?: number;
  lastError?: string;
  consecutiveFailures: number;
  /** when it is polled (or probed, when offline) next, epoch ms */
  nextPollAt: number;
  polls: number;
  /** bus transactions used for this device */
  requests: number;
  lastDurationMs?: number;
  readState: DeviceReadState;
}

export interface BusPollerOptions {
  /** failed attempts in a row before a device is offline (default 3) */
  failuresBeforeOffline?: number;
  /** longest wait between probes of an offline device (default 5 min) */
  maxBackoffMs?: number;
  maxGap?: number;
  onReading?: (deviceId: string, read: MeterRead, at: number) => void;
  onState?: (deviceId: string, status: DeviceStatus, previous: DeviceHealth) => void;
  /** a callback threw (default: a process warning) */
  onCallbackError?: (err: unknown) => void;
}

interface Entry {
  device: PolledDevice;
  status: DeviceStatus;
}

export class BusPoller {
  private readonly entries: Entry[];
  private stopped = true;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly client: ModbusClient,
    devices: PolledDevice[],
    private readonly opts: BusPollerOptions = {},
  ) {
    const ids = new Set<string>();
    this.entries = devices.map((device) => {
      if (ids.has(device.id)) throw new Error(`device id "${device.id}" is given twice`);
      ids.add(device.id);
      const readState = device.state ?? {};
      return { device, status: { id: device.id, health: 'unknown', consecutiveFailures: 0, nextPollAt: 0, polls: 0, requests: 0, readState } };
    });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  /** Resolves once the read in flight (if any) has finished; the client stays open. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  status(): DeviceStatus[] {
    return this.entries.map((e) => ({ ...e.status, readState: { ...e.status.readState } }));
  }

  /** The line's counters (requests, timeouts, CRC errors, exceptions, bytes, busy time). */
  get counters(): ModbusCounters {
    return this.client.counters;
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.entries.length) {
      const next = this.entries.reduce((a, b) => (b.status.nextPollAt < a.status.nextPollAt ? b : a));
      const wait = next.status.nextPollAt - Date.now();
      if (wait > 0) await this.sleep(wait);
      else await this.poll(next);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  private async poll({ device, status }: Entry): Promise<void> {
    const started = Date.now();
    let read: MeterRead;
    try {
      read =
        'read' in device
          ? await device.read()
          : await readMeter(this.client, device.profile, device.unit, { state: status.readState, timeoutMs: device.timeoutMs, maxGap: this.opts.maxGap, ...(device.ratios ? { ratios: device.ratios } : {}) });
    } catch (err) {
      read = { values: {}, errors: { '*': (err as Error).message }, requests: 0 };
    }
    const ended = Date.now();
    const previous = status.health;
    status.polls += 1;
    status.requests += read.requests;
    status.lastDurationMs = ended - started;
    const errors = Object.entries(read.errors);
    const firstError = errors[0] ? `${errors[0][0]}: ${errors[0][1]}` : undefined;
    let delay = device.intervalMs;
    if (Object.keys(read.values).length) {
      status.consecutiveFailures = 0;
      status.lastGoodAt = started;
      status.health = errors.length ? 'degraded' : 'online';
      if (firstError) status.lastError = firstError;
    } else {
      status.consecutiveFailures += 1;
      status.lastError = firstError ?? 'no values';
      const n = this.opts.failuresBeforeOffline ?? 3;
      if (status.consecutiveFailures >= n) {
        status.health = 'offline';
        const backoff = device.intervalMs * 2 ** (status.consecutiveFailures - n + 1);
        delay = Math.max(device.intervalMs, Math.min(backoff, this.opts.maxBackoffMs ?? 300_000));
      } else status.health = 'degraded';
    }
    status.nextPollAt = Math.max(started + delay, ended);
    if (Object.keys(read.values).length) this.callback(() => this.opts.onReading?.(device.id, read, started));
    if (status.health !== previous) this.callback(() => this.opts.onState?.(device.id, { ...status, readState: { ...status.readState } }, previous));
  }

  private callback(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      (this.opts.onCallbackError ?? ((e) => process.emitWarning(`bus poller callback failed: ${(e as Error)?.stack ?? e}`)))(err);
    }
  }
}
