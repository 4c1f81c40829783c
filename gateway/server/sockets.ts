// Socket.IO on the HTTP server's port: one namespace per page. Each sends a
// snapshot on connect, then live events from the bus. Every namespace checks who
// connects (gateway/auth/sockets.ts); a paired kiosk hears only its own station
// and scale on /kiosk, staff with the right (admin) hear every station.
import type { Server as HttpServer } from 'node:http';
import { Server, type Namespace, type Socket } from 'socket.io';
import type { Auth } from '../auth/auth.ts';
import { guardSockets, principalOf, sameOriginHandshake } from '../auth/sockets.ts';
import type { EventBus } from '../bus/event-bus.ts';
import type { DeviceTracker } from '../devices/tracker.ts';
import type { Logger } from '../log.ts';
import { frameMessage, type LiveState } from '../live.ts';
import type { Metrics } from '../metrics.ts';
import type { AdminEvents, OutboxStatusMsg } from '../wire/admin.ts';
import type { CanteenKioskEvents, KioskEvents } from '../wire/canteen.ts';
import type { EnergyEvents, EnergySummaryMsg } from '../wire/energy.ts';
import type { KitchenAlertMsg, KitchenEvents, KitchenRecordsMsg } from '../wire/kitchen.ts';
import type { SiteInfo } from '../wire/site.ts';

export const NAMESPACES = ['/kiosk', '/kitchen', '/energy', '/admin'] as const;

/** /kiosk rooms: every station (staff), or one station and its scale (a paired kiosk). */
const ALL = 'all';
const stationRoom = (id: string) => `station:${id}`;
const scaleRoom = (id: string) => `scale:${id}`;

export interface SocketDeps {
  bus: EventBus;
  tracker: DeviceTracker;
  live: LiveState;
  metrics: Metrics;
  site: SiteInfo;
  startedAt: number;
  energySummary: () => EnergySummaryMsg | null;
  outboxStatus: () => OutboxStatusMsg | null;
  /** who may connect; null only in in-process test harnesses (see AppDeps.auth) */
  auth: Auth | null;
  logger?: Logger;
  /** areas that take client events on /kiosk register their handlers here (rules: SOCKET_EVENTS) */
  kioskHandlers?: ((socket: Socket) => void)[];
  /** largest client message, bytes (default 64 KB; face frames need more) */
  maxMessageBytes?: number;
  /** today's food-safety records for /kitchen (gateway/kitchen/records) */
  records?: { today(): KitchenRecordsMsg };
  /** whether the kiosk may offer face pay (gateway/biometrics: models installed, switched on) */
  facePay?: () => boolean;
  /** the kitchen's alert book for /kitchen (gateway/kitchen) */
  alerts?: { current(): KitchenAlertMsg[] };
}

/** Returns the Socket.IO server and a function that stops the bus feeding it. */
export function attachSockets(http: HttpServer, deps: SocketDeps): { io: Server; detach: () => void } {
  const { bus, tracker, live, metrics, site, startedAt, energySummary, outboxStatus } = deps;
  const io = new Server(http, { serveClient: false, cors: { origin: false }, allowRequest: sameOriginHandshake, maxHttpBufferSize: deps.maxMessageBytes ?? 64 * 1024 });
  const devicesOf = (kind: string) => tracker.list().filter((d) => d.kind === kind);

  const energy: Namespace<Record<string, never>, EnergyEvents> = io.of('/energy');
  const kiosk: Namespace<Record<string, never>, KioskEvents & CanteenKioskEvents> = io.of('/kiosk');
  const kitchen: Namespace<Record<string, never>, KitchenEvents> = io.of('/kitchen');
  const admin: Namespace<Record<string, never>, AdminEvents & Pick<CanteenKioskEvents, 'canteen:catalog'>> = io.of('/admin');
  const stopGuard = guardSockets(io, { auth: deps.auth, bus, logger: deps.logger ?? noLogger });

  energy.on('connection', (s) =>
    s.emit('snapshot', { site, devices: devicesOf('meter'), readings: [...live.readings.values()], summary: energySummary() }),
  );
  kiosk.on('connection', (s) => {
    const p = principalOf(s);
    const scale = p?.kind === 'kiosk' ? p.scale : undefined;
    if (p?.kind === 'kiosk') void s.join([stationRoom(p.station!), scaleRoom(p.scale!)]);
    else void s.join(ALL);
    const mine = <T,>(list: T[], id: (x: T) => string) => (scale === undefined ? list : list.filter((x) => id(x) === scale));
    s.emit('snapshot', { site, devices: mine(devicesOf('scale'), (d) => d.id), weights: mine([...live.weights.values()], (w) => w.deviceId), facePay: deps.facePay?.() ?? false });
    for (const register of deps.kioskHandlers ?? []) register(s);
  });
  kitchen.on('connection', (s) => s.emit('snapshot', { site, devices: devicesOf('camera'), frames: live.frameMessages(), alerts: deps.alerts?.current() ?? [], records: deps.records?.today() ?? null }));
  admin.on('connection', (s) => s.emit('snapshot', { site, devices: tracker.list(), startedAt, outbox: outboxStatus() }));

  for (const name of NAMESPACES) {
    const ns = io.of(name);
    ns.on('connection', (s) => {
      metrics.socketClients.set({ namespace: name }, ns.sockets.size);
      s.on('disconnect', () => metrics.socketClients.set({ namespace: name }, ns.sockets.size));
    });
  }

  const unsubscribe = [
    bus.on('meter:reading', (m) => energy.emit('meter:reading', m)),
    bus.on('energy:summary', (m) => energy.emit('energy:summary', m)),
    bus.on('outbox:status', (m) => admin.emit('outbox:status', m)),
    bus.on('station:state', (m) => kiosk.to([ALL, stationRoom(m.station)]).emit('station:state', m)),
    bus.on('canteen:catalog', (m) => {
      kiosk.emit('canteen:catalog', m);
      admin.emit('canteen:catalog', m);
    }),
    bus.on('scale:weight', (m) => kiosk.to([ALL, scaleRoom(m.deviceId)]).volatile.emit('scale:weight', m)),
    bus.on('camera:frame', (f) => kitchen.volatile.emit('camera:frame', frameMessage(f))),
    bus.on('records:update', (m) => kitchen.emit('records:update', m)),
    bus.on('alert:new', (m) => kitchen.emit('alert:new', m)),
    bus.on('alert:update', (m) => kitchen.emit('alert:update', m)),
    bus.on('face:availability', (m) => kiosk.emit('face:availability', m)),
    bus.on('device:state', (d) => {
      admin.emit('device:state', d);
      if (d.kind === 'meter') energy.emit('device:state', d);
      if (d.kind === 'scale') kiosk.to([ALL, scaleRoom(d.id)]).emit('device:state', d);
      if (d.kind === 'camera') kitchen.emit('device:state', d);
    }),
  ];
  return {
    io,
    detach: () => {
      unsubscribe.forEach((u) => u());
      stopGuard();
    },
  };
}

const noLogger = { debug() {} } as unknown as Logger;
