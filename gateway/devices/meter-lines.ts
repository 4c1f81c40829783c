// Every meter, polled on the line it shares with others: an RS-485 bus (serial or a
// transparent TCP converter) carrying Modbus RTU, DL/T 645 and CJ/T 188 meters alike, or a
// Modbus TCP endpoint; each meter is polled by its protocol (drivers/meter-protocols.ts). One BusPoller per line keeps one request at a time and
// backs off from dead meters; readings and state changes go to the bus and tracker.
import type { LineHandle } from '../../drivers/meter-protocol.ts';
import { meterProtocol, type AnyProfile } from '../../drivers/meter-protocols.ts';
import { BusPoller, type PolledDevice } from '../../drivers/modbus/bus-poller.ts';
import type { ModbusClient, ModbusCounters } from '../../drivers/modbus/client.ts';
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
  /** the client of each non-Modbus protocol on this line, made on first use */
  clients: Map<string, unknown>;
  devices: PolledDevice[];
  timeoutMs: number;
}

function handle(line: Line): LineHandle {
  return {
    ...(line.shared ? { shared: line.shared } : {}),
    timeoutMs: line.timeoutMs,
    client<T>(protocol: string, make: (bus: SharedBus) => T): T {
      if (!line.shared) throw new Error(`${line.id} is not an RS-485 line: ${protocol} needs one`);
      if (!line.clients.has(protocol)) line.clients.set(protocol, make(line.shared));
      return line.clients.get(protocol) as T;
    },
  };
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
      this.lines.push({ id: b.id, shared, client: new RtuClient(shared, { timeoutMs: b.timeout_ms, ownsBus: false }), clients: new Map(), devices: [], timeoutMs: b.timeout_ms });
    }
    for (const m of meters) {
      const profile = profiles.get(m.profile)!;
      tracker.register(m.id, 'meter', m.required);
      const line = m.bus ? this.lines.find((l) => l.id === m.bus)! : this.tcpLine(m);
      const polled = { id: m.id, unitId: m.unit_id, pollMs: m.poll_ms, ...(m.address ? { address: m.address } : {}), ...(m.bus ? {} : { timeoutMs: m.timeout_ms }), ...(m.ratios ? { ratios: m.ratios } : {}) };
      line.devices.push(meterProtocol(profile.protocol).poll(handle(line), polled, profile as never));
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
      line = { id, client: new ModbusTcpClient({ host, port, timeoutMs: m.timeout_ms }), clients: new Map(), devices: [], timeoutMs: m.timeout_ms };
      this.lines.push(line);
    }
    return line;
  }
}
