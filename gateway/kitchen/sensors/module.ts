// The sunshine-kitchen sensors in the running gateway: a ColdRoomWatch per cold room, a
// DisinfectionWatch per cabinet or UV lamp (fed by its Modbus input or a meter channel
// on the bus), the kitchen-waste book, the built-in simulator, the routes, and the
// `kitchenSensors` section of /readyz. Alerts go into the kitchen's alert book (GPIO
// outputs, board, outbox `alerts`); records into the outbox stream `events`.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { EventBus } from '../../bus/event-bus.ts';
import type { Logger } from '../../log.ts';
import { zoneOffsetMs } from '../../site-time.ts';
import { KitchenSensorsSim } from '../../sim/kitchen-sensors.ts';
import type { Db } from '../../store/sqlite.ts';
import type { ScaleWeightMsg } from '../../wire/devices.ts';
import type { KitchenSensorsMsg, WasteDisposalMsg } from '../../wire/kitchen-sensors.ts';
import type { RaiseAlertFn } from '../alerts.ts';
import { ColdRoomWatch } from './cold-room.ts';
import { kitchenSensorsIssues, type KitchenSensorsConfig } from './config.ts';
import { DisinfectionWatch } from './disinfection.ts';
import { claimPort } from '../../ops/port-in-use.ts';
import { sensorRoutes, type WasteInput } from './routes.ts';
import { sensorReader, type SensorReader } from './sources.ts';
import { SensorRecordsStore } from './store.ts';

export type PutEvent = (stream: 'events', payload: unknown, key: string) => Promise<unknown>;

export interface KitchenSensorsOptions {
  db: Db;
  config: KitchenSensorsConfig;
  devices: { meters: { id: string }[]; scales: { id: string }[] };
  bus: EventBus;
  raise: RaiseAlertFn;
  put: PutEvent;
  /** the latest reading of a scale (LiveState.weights) */
  weightOf: (scale: string) => ScaleWeightMsg | undefined;
  timeZone: string;
  logger: Logger;
}

/** A scale reading older than this is not the bin's weight now (the checkout's limit too). */
const STALE_READING_MS = 3000;

export class SensorError extends Error {
  constructor(
    readonly statusCode: 400 | 409,
    message: string,
  ) {
    super(message);
  }
}

export class KitchenSensorsModule {
  readonly store: SensorRecordsStore;
  readonly coldRooms: ColdRoomWatch[] = [];
  readonly disinfection: DisinfectionWatch[] = [];
  private readonly pollers: { timer?: NodeJS.Timeout; reader: SensorReader }[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private sim: KitchenSensorsSim | undefined;
  private dueTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: KitchenSensorsOptions) {
    const issues = kitchenSensorsIssues(o.config, o.devices);
    if (issues.length) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.store = new SensorRecordsStore(o.db);
    const log = o.logger;
    for (const cfg of o.config.cold_rooms) {
      this.coldRooms.push(new ColdRoomWatch({ cfg, reader: sensorReader(cfg.source), raise: o.raise, record: (p, key) => this.record(p, key), logger: log }));
    }
    for (const cfg of o.config.disinfection) {
      this.disinfection.push(
        new DisinfectionWatch({
          cfg,
          timeZone: o.timeZone,
          raise: o.raise,
          // the cycle's row and its outbox record in one transaction (the outbox's put joins it): never one without the other
          saveCycle: (c) =>
            o.db
              .transaction(() => {
                const row = this.store.addCycle(c);
                this.record({ type: 'disinfection-cycle', ...row, name: c.name, kind: c.kind, minCycleMinutes: cfg.min_cycle_minutes ?? null }, `disinfection-cycle:${row.id}`);
              })
              .immediate(),
          lastFullCycleEnd: (unit, at) => this.store.lastFullCycleEnd(unit, at),
          logger: log,
        }),
      );
    }
  }

  async start(): Promise<void> {
    const sim = this.o.config.simulator;
    if (sim.enabled) {
      const kitchenSim = new KitchenSensorsSim({ host: sim.host, port: sim.port });
      this.sim = kitchenSim;
      await claimPort(sim.port, 'the simulated kitchen sensors', 'kitchen_sensors.simulator.port', () => kitchenSim.start());
      this.o.logger.info({ port: sim.port }, 'simulated kitchen sensors serving Modbus TCP');
    }
    for (const w of this.coldRooms) w.start();
    this.o.config.disinfection.forEach((cfg, i) => {
      const watch = this.disinfection[i]!;
      const src = cfg.source;
      if (src.type === 'meter') {
        this.unsubscribe.push(
          this.o.bus.on('meter:reading', (m) => {
            if (m.deviceId !== src.meter) return;
            const p = m.values[src.point];
            if (!p) return watch.signalFailed(`point ${src.point} missing from meter ${src.meter}`);
            const watts = p.unit === 'kW' ? p.value * 1000 : p.value;
            watch.signal(watts > src.on_above_w, m.at);
          }),
        );
        return;
      }
      const reader = sensorReader(src);
      const poll = async () => {
        try {
          watch.signal((await reader.read()).on === true);
        } catch (err) {
          watch.signalFailed((err as Error).message);
        }
      };
      const entry: (typeof this.pollers)[number] = { reader };
      void poll();
      entry.timer = setInterval(() => void poll(), cfg.poll_ms);
      entry.timer.unref();
      this.pollers.push(entry);
    });
    // due times pass even when no signal comes (a meter gone silent, a cabinet never switched on)
    this.dueTimer = setInterval(() => this.disinfection.forEach((d) => d.checkDue()), 30_000);
    this.dueTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.dueTimer);
    this.unsubscribe.splice(0).forEach((u) => u());
    for (const p of this.pollers) {
      clearInterval(p.timer);
      await p.reader.close();
    }
    await Promise.all(this.coldRooms.map((w) => w.stop()));
    await this.sim?.stop();
  }

  /** Hands a record to the outbox; a refusal is logged (the rows stay in SQLite). */
  private record(payload: Record<string, unknown>, key: string): void {
    this.o.put('events', payload, key).catch((err: unknown) => this.o.logger.error({ err, key }, 'kitchen sensor record could not be written to the outbox'));
  }

  /** Records one disposal: the bin scale's stable weight now, or (without a scale) the weight typed in. */
  async recordWaste(input: WasteInput, actor: { name: string }, now = Date.now()): Promise<WasteDisposalMsg> {
    const { waste } = this.o.config;
    let grams = input.grams;
    let fromScale = false;
    if (waste.scale) {
      if (grams !== undefined) throw new SensorError(400, `grams: the weight comes from the bin scale ${waste.scale}; expected no grams in the request`);
      const w = this.o.weightOf(waste.scale);
      if (!w || now - w.at > STALE_READING_MS) throw new SensorError(409, `the bin scale ${waste.scale} has no current reading; expected a reading within ${STALE_READING_MS / 1000} s`);
      if (!w.stable) throw new SensorError(409, `the bin scale ${waste.scale} is not stable yet; wait until it settles`);
      grams = Math.round(w.grams);
      if (grams <= 0) throw new SensorError(409, `the bin scale ${waste.scale} shows ${grams} g; expected the bin on it`);
      fromScale = true;
    }
    if (grams === undefined) throw new SensorError(400, 'grams: missing; expected the weight in grams (there is no bin scale configured)');
    if (grams <= 0 || grams > waste.max_grams) throw new SensorError(400, `grams: got ${grams}; expected 1 to ${waste.max_grams} (kitchen_sensors.waste.max_grams)`);
    const row: WasteDisposalMsg = { id: `waste-${randomUUID()}`, at: now, grams, fromScale, scale: fromScale ? waste.scale! : null, carrier: input.carrier.trim(), company: input.company?.trim() || null, recordedBy: actor.name, note: input.note?.trim() || null };
    // the row and its outbox record in one SQLite transaction (the outbox's put joins it, issue 12):
    // a failed write rolls both back and is answered with the error; a 201 means both are on disk
    this.o.db
      .transaction(() => {
        this.store.addWaste(row);
        void this.o.put('events', { type: 'kitchen-waste', ...row }, `kitchen-waste:${row.id}`);
      })
      .immediate();
    return row;
  }

  snapshot(now = Date.now()): KitchenSensorsMsg {
    const off = zoneOffsetMs(now, this.o.timeZone);
    const midnight = Math.floor((now + off) / 86_400_000) * 86_400_000 - off;
    return {
      coldRooms: this.coldRooms.map((w) => w.status()),
      disinfection: this.disinfection.map((d) => d.status()),
      cycles: this.store.cyclesSince(midnight),
      waste: this.store.wasteSince(midnight),
      wasteScale: this.o.config.waste.scale ?? null,
    };
  }

  /** /readyz: silent or out-of-limits rooms and failing signals are named. */
  health(): { state: 'ok' | 'degraded'; problems: string[] } {
    const problems = [
      ...this.coldRooms.map((w) => w.status()).filter((s) => s.state === 'silent' || s.state === 'out-of-limits').map((s) => `cold room ${s.id}: ${s.state}`),
      ...this.disinfection.map((d) => d.status()).filter((s) => s.signalError).map((s) => `disinfection ${s.id}: ${s.signalError}`),
    ];
    return { state: problems.length ? 'degraded' : 'ok', problems };
  }

  routes: FastifyPluginAsync = async (app) => sensorRoutes(app, this);
}
