// Every meter, polled on the line it shares with others: an RS-485 bus (serial or a
// transparent TCP converter) carrying Modbus RTU and DL/T 645 meters alike, or a
// Modbus TCP endpoint. One BusPoller per line keeps one request at a time and
// backs off from dead meters; readings and state changes go to the bus and tracker.
import { Dlt645Client } from '../../drivers/dlt645/client.ts';
import { BusPoller, type PolledDevice } from '../../drivers/modbus/bus-poller.ts';
import type { ModbusClient, ModbusCounters } from '../../drivers/modbus/client.ts';
import type { AnyProfile } from '../../drivers/modbus/profile.ts';
import { RtuClient, rtuOverTcpBus, serialBus } from '../../drivers/modbus/rtu-client.ts';
import { ModbusTcpClient } from '../../drivers/modbus/tcp-client.ts';
import type { SharedBus } from '../../drivers/serial/shared-bus.ts';
import type { EventBus } from '../bus/event-bus.ts';
import type { BusConfig, MeterConfig } from '../config/schema.ts';
import type { Device } from './device.ts';
import type { DeviceTracker } from './tracker.ts';

export interface LineStatus {
  id: string;
  description: string;
  counters: ModbusCounters;
  meters: string[];
}

interface Line {
  id: string;
  client: ModbusClient;
  shared?: SharedBus;
  dlt645?: Dlt645Client;
  devices: PolledDevice[];
  timeoutMs: number;
}

export class MeterLines implements Device {
  readonly id = 'meter-lines';
  private readonly lines: Line[] = [];
  private readonly pollers: BusPoller[] = [];

  private readonly bus: EventBus;
  private readonly tracker: DeviceTracker;

  constructor(opts: { buses: BusConfig[]; meters: MeterConfig[]; profiles: Map<string, AnyProfile>; bus: EventBus; tracker: DeviceTracker }) {
    const { buses, meters, profiles, tracker } = opts;
    this.bus = opts.bus;
    this.tracker = opts.tracker;
    for (const b of buses) {
      const shared =
        b.type === 'serial'
          ? serialBus({ path: b.path, baudRate: b.baud, dataBits: b.data_bits, parity: b.parity, stopBits: b.stop_bits, interRequestDelayMs: b.inter_request_delay_ms })
          : rtuOverTcpBus(b.host, b.port, { lineBaud: b.line_baud, interRequestDelayMs: b.inter_request_delay_ms });
      this.lines.push({ id: b.id, shared, client: new RtuClient(shared, { timeoutMs: b.timeout_ms, ownsBus: false }), devices: [], timeoutMs: b.timeout_ms });
    }
    for (const m of meters) {
      const profile = profiles.get(m.profile)!;
      tracker.register(m.id, 'meter', m.required);
      const line = m.bus ? this.lines.find((l) => l.id === m.bus)! : this.tcpLine(m);
      if (profile.protocol === 'dlt645') {
        line.dlt645 ??= new Dlt645Client(line.shared!, { timeoutMs: line.timeoutMs });
        const dlt = line.dlt645;
        line.devices.push({ id: m.id, intervalMs: m.poll_ms, read: () => dlt.readPoints(m.address!, profile.points) });
      } else {
        line.devices.push({ id: m.id, unit: m.unit_id, profile, intervalMs: m.poll_ms, timeoutMs: m.bus ? undefined : m.timeout_ms });
      }
    }
    for (const line of this.lines.filter((l) => l.devices.length)) {
      this.pollers.push(
        new BusPoller(line.client, line.devices, {
          onReading: (id, read, at) => {
            const profile = meters.find((m) => m.id === id)!.profile;
            this.tracker.seen(id, at);
            this.bus.emit('meter:reading', { deviceId: id, profile, at, values: read.values });
          },
          onState: (id, status) => {
            if (status.health === 'unknown') return;
            this.tracker.report(id, status.health, { lastGoodAt: status.lastGoodAt, lastError: status.lastError });
          },
        }),
      );
    }
  }

  start(): void {
    for (const p of this.pollers) p.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.pollers.map((p) => p.stop()));
    await Promise.all(this.lines.map(async (l) => (await l.client.close(), await l.shared?.close())));
  }

  status(): LineStatus[] {
    return this.lines.map((l) => ({ id: l.id, description: l.client.description, counters: l.client.counters, meters: l.devices.map((d) => d.id) }));
  }

  /** Meters reached over Modbus TCP at the same address share one connection and one poller. */
  private tcpLine(m: MeterConfig): Line {
    const { host, port } = m.transport!;
    const id = `tcp://${host}:${port}`;
    let line = this.lines.find((l) => l.id === id);
    if (!line) {
      line = { id, client: new ModbusTcpClient({ host, port, timeoutMs: m.timeout_ms }), devices: [], timeoutMs: m.timeout_ms };
      this.lines.push(line);
    }
    return line;
  }
}
