// The canteen module in a gateway of its own, until the service wires it: the
// real Fastify app and Socket.IO namespaces, the kiosk build, the scale simulator
// read by the real scale device, a real SQLite outbox. The forwarding block below
// is what gateway/server/sockets.ts adds for the module.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Namespace } from 'socket.io';
import { buildKiosk } from '../../kiosk/build.ts';
import { EventBus } from '../../gateway/bus/event-bus.ts';
import { canteenConfigSchema } from '../../gateway/canteen/config.ts';
import { CanteenModule } from '../../gateway/canteen/module.ts';
import type { DishRecognizer } from '../../gateway/canteen/session.ts';
import { scaleSchema } from '../../gateway/config/schema.ts';
import { ScaleDevice } from '../../gateway/devices/scale.ts';
import { DeviceTracker } from '../../gateway/devices/tracker.ts';
import { LiveState } from '../../gateway/live.ts';
import { createLogger } from '../../gateway/log.ts';
import { Metrics } from '../../gateway/metrics.ts';
import { Outbox } from '../../gateway/outbox/outbox.ts';
import { createApp } from '../../gateway/server/app.ts';
import { attachSockets } from '../../gateway/server/sockets.ts';
import type { CanteenKioskEvents } from '../../gateway/wire/canteen.ts';
import { ScaleSim } from '../../gateway/sim/scale.ts';
import { openDatabase, type Db } from '../../gateway/store/sqlite.ts';
import { freePort } from './ports.ts';

export interface CanteenHarness {
  url: string;
  dataDir: string;
  db: Db;
  canteen: CanteenModule;
  bus: EventBus;
  stop(): Promise<void>;
}

export async function startCanteenHarness(opts: {
  canteen: unknown;
  platesG?: number[];
  scaleId?: string;
  intervalMs?: number;
  recognizer?: DishRecognizer;
  /** no scale simulator: the test publishes readings on `bus` itself */
  noScale?: boolean;
}): Promise<CanteenHarness> {
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-harness-')), 'data');
  const logger = createLogger(process.env.CANTEEN_HARNESS_LOG ?? 'silent');
  const db = openDatabase(dataDir);
  const bus = new EventBus((event, err) => logger.error({ err, event }, 'subscriber failed'));
  const metrics = new Metrics();
  const tracker = new DeviceTracker(bus, metrics);
  const live = new LiveState(bus);
  const outbox = new Outbox(db, 'harness-box');
  // stopped in reverse order
  const stops: (() => Promise<void> | void)[] = [() => void db.close()];

  const canteen = new CanteenModule({
    db,
    dataDir,
    bus,
    logger,
    cfg: canteenConfigSchema.parse(opts.canteen),
    put: (stream, payload, key) => outbox.append(stream, payload, { key }),
    recognizer: opts.recognizer,
    timeZone: 'Asia/Shanghai',
  });
  await canteen.start();
  stops.push(() => canteen.stop());

  const app = await createApp({ auth: null, logger, tracker, metrics, live, stores: [], kioskFiles: await buildKiosk(), areas: [canteen.routes] });
  const site = { name: '测试食堂 Test canteen', timezone: 'Asia/Shanghai', version: 'test' };
  const { io, detach } = attachSockets(app.server, { auth: null, bus, tracker, live, metrics, site, startedAt: Date.now(), energySummary: () => null, outboxStatus: () => null });

  // ── what gateway/server/sockets.ts adds ──
  const kioskNs = io.of('/kiosk') as unknown as Namespace<Record<string, never>, CanteenKioskEvents>;
  const adminNs = io.of('/admin') as unknown as Namespace<Record<string, never>, CanteenKioskEvents>;
  const forward = [
    bus.on('station:state', (m) => kioskNs.emit('station:state', m)),
    bus.on('canteen:catalog', (m) => {
      kioskNs.emit('canteen:catalog', m);
      adminNs.emit('canteen:catalog', m);
    }),
  ];
  // ──

  stops.push(async () => {
    forward.forEach((u) => u());
    detach();
    await io.close();
    await app.close();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;

  if (!opts.noScale) {
    const scalePort = await freePort();
    const sim = new ScaleSim({ host: '127.0.0.1', port: scalePort, intervalMs: opts.intervalMs ?? 100, platesG: opts.platesG ?? [352] });
    await sim.start();
    const scale = new ScaleDevice({ cfg: scaleSchema.parse({ id: opts.scaleId ?? 'checkout-1', protocol: 'continuous', transport: { type: 'tcp', host: '127.0.0.1', port: scalePort } }), configFile: path.join(os.tmpdir(), 'harness.yaml'), bus, tracker, metrics });
    scale.start();
    stops.push(() => sim.stop(), () => scale.stop());
  }

  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    db,
    canteen,
    bus,
    async stop() {
      for (const s of stops.reverse()) await s();
    },
  };
}
