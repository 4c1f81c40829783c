// Prometheus metrics. One registry per service instance; everything is prefixed
// canteen_edge_. Process and event-loop metrics come from prom-client's defaults.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { utilisation, type ModbusCounters } from '../drivers/modbus/client.ts';
import type { DeviceKind, DeviceState } from './wire/devices.ts';

type LineCounters = ModbusCounters;

export const METRIC_PREFIX = 'canteen_edge_';
const STATES: DeviceState[] = ['starting', 'online', 'degraded', 'offline'];

export class Metrics {
  readonly registry = new Registry();
  private readonly deviceState = new Gauge({
    name: `${METRIC_PREFIX}device_state`,
    help: 'Device state: 1 for the state the device is in, 0 for the others',
    labelNames: ['device', 'kind', 'state'],
    registers: [this.registry],
  });
  private readonly devicePolls = new Counter({
    name: `${METRIC_PREFIX}device_polls_total`,
    help: 'Device requests or frames, by result',
    labelNames: ['device', 'kind', 'result'],
    registers: [this.registry],
  });
  private readonly deviceLastGood = new Gauge({
    name: `${METRIC_PREFIX}device_last_good_timestamp_seconds`,
    help: 'Unix time of the last good reading from the device',
    labelNames: ['device', 'kind'],
    registers: [this.registry],
  });
  readonly socketClients = new Gauge({
    name: `${METRIC_PREFIX}socket_clients`,
    help: 'Connected Socket.IO clients per namespace',
    labelNames: ['namespace'],
    registers: [this.registry],
  });
  readonly lineErrors = new Counter({
    name: `${METRIC_PREFIX}device_garbled_total`,
    help: 'Frames or lines from a device that could not be parsed and were skipped',
    labelNames: ['device', 'kind'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: 20 });
  }

  /** The data directory's free space and whether it still takes writes, read when scraped. */
  watchDisk(disk: { readonly freeBytes: number; readonly state: string }): void {
    const registers = [this.registry];
    new Gauge({
      name: `${METRIC_PREFIX}disk_free_bytes`,
      help: 'Bytes available to the gateway on the data directory\'s filesystem',
      registers,
      collect() {
        if (Number.isFinite(disk.freeBytes)) this.set(disk.freeBytes);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}disk_state`,
      help: 'Data directory disk: 1 for the state it is in (ok, low: below outbox.min_free_disk_mb, full: writes fail)',
      labelNames: ['state'],
      registers,
      collect() {
        for (const s of ['ok', 'low', 'full']) this.set({ state: s }, disk.state === s ? 1 : 0);
      },
    });
  }

  /** Per-line counters (an RS-485 bus, a converter, a Modbus TCP endpoint), read when scraped. */
  watchLines(lines: () => { id: string; counters: LineCounters }[]): void {
    const registers = [this.registry];
    const counter = (name: string, help: string, value: (c: LineCounters) => number) =>
      new Counter({
        name: `${METRIC_PREFIX}bus_${name}_total`,
        help,
        labelNames: ['bus'],
        registers,
        collect() {
          this.reset();
          for (const l of lines()) this.inc({ bus: l.id }, value(l.counters));
        },
      });
    counter('requests', 'Requests sent on the line', (c) => c.requests);
    counter('timeouts', 'Requests that got no reply in time', (c) => c.timeouts);
    counter('crc_errors', 'Replies dropped for a bad CRC or checksum', (c) => c.crcErrors);
    counter('exceptions', 'Modbus exception replies', (c) => c.exceptions);
    counter('bytes_out', 'Bytes sent', (c) => c.bytesOut);
    counter('bytes_in', 'Bytes received', (c) => c.bytesIn);
    new Counter({
      name: `${METRIC_PREFIX}bus_skipped_bytes_total`,
      help: 'Received bytes skipped as garbage, echo, another unit\'s frame, truncated …',
      labelNames: ['bus', 'reason'],
      registers,
      collect() {
        this.reset();
        for (const l of lines()) for (const [reason, n] of Object.entries(l.counters.skipped)) this.inc({ bus: l.id, reason }, n);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}bus_utilisation_ratio`,
      help: 'Share of time the line was busy with a transaction since start',
      labelNames: ['bus'],
      registers,
      collect() {
        for (const l of lines()) this.set({ bus: l.id }, utilisation(l.counters));
      },
    });
  }

  deviceResult(device: string, kind: DeviceKind, ok: boolean, at: number): void {
    this.devicePolls.inc({ device, kind, result: ok ? 'ok' : 'error' });
    if (ok) this.deviceLastGood.set({ device, kind }, at / 1000);
  }

  setDeviceState(device: string, kind: DeviceKind, state: DeviceState): void {
    for (const s of STATES) this.deviceState.set({ device, kind, state: s }, s === state ? 1 : 0);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
