// The gateway service: opens the stores, starts the simulators and devices the
// config asks for, serves the pages, and takes it all down again in order.
import { statSync } from 'node:fs';
import path from 'node:path';
import { isModbusProfile } from '../drivers/modbus/profile.ts';
import type { FastifyPluginAsync } from 'fastify';
import { createModelRegistry } from '../models/index.ts';
import { createAuth, type Auth } from './auth/auth.ts';
import { loadKioskPages } from './kiosk-dist.ts';
import { EventBus } from './bus/event-bus.ts';
import { orderFeatures, PortBoard, SERVICE } from './feature.ts';
import { FEATURES } from './features.ts';
import { OutboxModule } from './outbox/module.ts';
import { DiskGuard } from './ops/disk-guard.ts';
import { OpsModule } from './ops/module.ts';
import { claimPort } from './ops/port-in-use.ts';
import { ModelsModule } from './models/module.ts';
import { registerFaceEvents } from './biometrics/kiosk-events.ts';
import { ProvinceSim } from './sim/province/province.ts';
import type { LoadedConfig } from './config/load.ts';
import { CameraDevice, cameraReports, watchCameras } from './devices/camera.ts';
import type { Device } from './devices/device.ts';
import { MeterLines } from './devices/meter-lines.ts';
import { ScaleDevice } from './devices/scale.ts';
import { DeviceTracker } from './devices/tracker.ts';
import { LiveState } from './live.ts';
import { recentLogOf, type Logger } from './log.ts';
import { Metrics } from './metrics.ts';
import { createApp } from './server/app.ts';
import type { SiteInfo } from './wire/site.ts';
import { attachSockets } from './server/sockets.ts';
import { EnergyMeterSim } from './sim/energy-meter.ts';
import { ScaleSim } from './sim/scale.ts';
import { recordDeviceEvents } from './store/device-events.ts';
import { SETTINGS_FILE, openSettings } from './store/settings.ts';
import { openDatabase, schemaVersion } from './store/sqlite.ts';
import { VERSION } from './version.ts';

export interface RunningService {
  port: number;
  /** what the pages show of the site, and the auth settings: a config reload changes some live (gateway/reload.ts) */
  site: SiteInfo;
  auth: Auth;
  /** SIGHUP: models installed or replaced since start (gateway/models/module.ts) */
  reloadModels(): Promise<unknown>;
  stop(): Promise<void>;
}

interface Stoppable {
  name: string;
  stop(): Promise<void> | void;
}

export async function startService(config: LoadedConfig, logger: Logger): Promise<RunningService> {
  const startedAt = Date.now();
  // Stopped in reverse order of starting, also when start-up fails half-way.
  const running: Stoppable[] = [];
  const stopAll = async () => {
    for (const s of running.reverse()) {
      try {
        await s.stop();
      } catch (err) {
        logger.warn({ err, part: s.name }, 'error while stopping');
      }
    }
    running.length = 0;
  };

  try {
    const profiles = config.profiles;
    const db = openDatabase(config.paths.data_dir);
    running.push({ name: 'sqlite', stop: () => void db.close() });
    const settings = await openSettings(config.paths.data_dir);
    logger.info({ dataDir: config.paths.data_dir, schema: schemaVersion(db), boxId: settings.data.boxId }, 'stores open');

    const bus = new EventBus((event, err) => logger.error({ err, event }, 'event subscriber failed'));
    const metrics = new Metrics();
    // Low disk is an alarm and thins the outbox's samples; a write refused for want of space makes the box unready.
    const disk = new DiskGuard(config.paths.data_dir, { lowFreeBytes: config.outbox.min_free_disk_mb * 1024 * 1024 });
    disk.start();
    running.push({ name: 'disk guard', stop: () => disk.stop() });
    metrics.watchDisk(disk);
    const tracker = new DeviceTracker(bus, metrics);
    const live = new LiveState(bus);
    recordDeviceEvents(db, bus);
    bus.on('device:state', (d) => logger.info({ device: d.id, kind: d.kind, state: d.state, error: d.lastError ?? undefined }, 'device state'));

    const sims = config.simulators;
    if (sims.energy_meter.enabled) {
      const m = sims.energy_meter;
      const sim = new EnergyMeterSim({ host: m.host, port: m.port, unitId: m.unit_id, baseLoadKw: m.base_load_kw, initialEnergyKwh: m.initial_energy_kwh, profile: sdm630(profiles) });
      await claimPort(m.port, 'the simulated energy meter', 'simulators.energy_meter.port', () => sim.start());
      running.push({ name: 'energy meter simulator', stop: () => sim.stop() });
      logger.info({ port: m.port }, 'simulated SDM630 meter serving Modbus TCP');
    }
    if (sims.scale.enabled) {
      const s = sims.scale;
      const sim = new ScaleSim({ host: s.host, port: s.port, intervalMs: s.interval_ms, platesG: s.plates_g, cycleMs: s.cycle_ms });
      await claimPort(s.port, 'the simulated scale', 'simulators.scale.port', () => sim.start());
      running.push({ name: 'scale simulator', stop: () => sim.stop() });
      logger.info({ port: s.port }, 'simulated scale streaming continuous ASCII');
    }

    if (sims.province.enabled) {
      const p = sims.province;
      const sim = new ProvinceSim({ host: p.host, httpPort: p.port, token: p.token, hmacKey: p.hmac_key, mqtt: p.mqtt_url ? { url: p.mqtt_url } : undefined });
      await claimPort(p.port, 'the simulated provincial service', 'simulators.province.port', () => sim.start());
      running.push({ name: 'province simulator', stop: () => sim.stop() });
      logger.info({ port: sim.httpPort }, 'simulated provincial service receiving batches');
    }

    // Started before the producers so that nothing they publish is missed; stopped after them.
    const outbox = new OutboxModule({ db, boxId: settings.data.boxId, dataDir: config.paths.data_dir, bus, cfg: config.outbox, uplinks: config.uplinks, metrics, logger: logger.child({ module: 'outbox' }), disk });
    outbox.start();
    running.push({ name: 'outbox', stop: () => outbox.stop() });

    // Models are optional: without a model's weights the feature it serves falls back (the diner picks the dish).
    const models = await createModelRegistry({ modelsDir: config.paths.models_dir });
    running.push({ name: 'models', stop: () => models.close() });
    for (const m of (await models.status()).filter((m) => m.state !== 'ok')) logger.info({ model: m.name, state: m.state, detail: m.detail }, 'model not available');

    const meterLines = new MeterLines({ buses: config.buses, meters: config.devices.meters, profiles, bus, tracker });
    metrics.watchLines(() => meterLines.status());
    const devices: Device[] = [
      meterLines,
      ...config.devices.scales.map((s) => new ScaleDevice({ cfg: s, configFile: config.file, bus, tracker, metrics })),
      ...config.devices.cameras.map((c) => new CameraDevice(c, bus, tracker)),
    ];
    const cameras = devices.filter((d): d is CameraDevice => d instanceof CameraDevice);

    // The features, in `after` order (gateway/feature.ts, gateway/features.ts); each stopped in reverse.
    const features = orderFeatures(FEATURES);
    const ports = new PortBoard(features);
    ports.provide(SERVICE, { cameraProblem: (id, reason) => cameras.find((c) => c.id === id)?.setProblem(reason) });
    const routes: FastifyPluginAsync[] = [];
    for (const f of features) {
      const started = await f.start({
        config: config[f.section],
        loaded: config,
        db,
        bus,
        put: (stream, payload, key) => outbox.put(stream, payload, key),
        logger: logger.child({ module: f.name }),
        clock: Date.now,
        live,
        models,
        disk,
        ports,
      });
      running.push({ name: f.name, stop: () => started.stop() });
      if (started.routes) routes.push(started.routes);
      if (started.ports) ports.provide(f.name, started.ports);
    }
    const kitchen = ports.need('kitchenBoard', SERVICE);
    const biometrics = ports.need('facePay', SERVICE);
    const kitchenSensors = ports.need('kitchenSensors', SERVICE);
    const cameraHealth = () => cameraReports(cameras, (id) => kitchen.detection(id));
    watchCameras(metrics, cameraHealth);

    const site: SiteInfo = { name: config.site.name, timezone: config.site.timezone, version: VERSION, demo: config.simulators.demo.enabled };
    // Accounts and sessions (and, on the first start, the admin account).
    const auth = await createAuth({ db, config, bus, logger: logger.child({ module: 'auth' }) });
    running.push({ name: 'auth', stop: () => auth.stop() });
    auth.watchDisk(disk);
    const outboxStatus = () => outbox.lastStatus() ?? outbox.statusMessage();
    const ops = new OpsModule({ db, boxId: settings.data.boxId, config, site, startedAt, tracker, models: () => models.status(), outbox: outboxStatus, logs: recentLogOf(logger), auth, impactAssessment: () => ({ face_pay: biometrics.status(), assessment: biometrics.assessments.latest(), earlier: Math.max(0, biometrics.assessments.all().length - 1) }) });
    const app = await createApp({
      auth,
      logger,
      tracker,
      metrics,
      live,
      kioskFiles: await loadKioskPages({ info: (msg) => logger.info(msg) }),
      metricsToken: config.server.metrics_token,
      trustProxy: config.server.trust_proxy,
      areas: [...routes, ops.routes],
      sections: () => ({ cameras: cameraHealth(), kitchen: kitchen.status(), kitchenSensors: kitchenSensors.health() }),
      outbox: () => {
        const s = outbox.status();
        const audit = auth.auditWaiting ? [`${auth.auditWaiting} audit lines kept in memory until the disk has room`] : [];
        return { ...s, alarms: [...s.alarms, ...audit] };
      },
      disk,
      lines: () => meterLines.status(),
      models: () => models.status(),
      stores: [
        { name: 'sqlite', check: () => ({ schemaVersion: schemaVersion(db) }) },
        { name: 'settings', check: () => ({ bytes: statSync(path.join(config.paths.data_dir, SETTINGS_FILE)).size }) },
      ],
    });
    const { io, detach } = attachSockets(app.server, { auth, logger: logger.child({ module: 'sockets' }), bus, tracker, live, metrics, site, startedAt, energySummary: ports.need('energySummary', SERVICE), outboxStatus, records: ports.need('records', SERVICE), alerts: { current: () => kitchen.currentAlerts() }, facePay: () => biometrics.available, kioskHandlers: [(s) => registerFaceEvents(biometrics, s, disk)], maxMessageBytes: (config.biometrics.max_frame_kb + 64) * 1024 });
    running.push({
      name: 'http',
      stop: async () => {
        detach();
        await io.close(); // also closes the HTTP server
        await app.close();
      },
    });
    await claimPort(config.server.port, 'the web server (kiosk pages and API)', 'server.port', () => app.listen({ host: config.server.host, port: config.server.port }));
    const port = (app.server.address() as { port: number }).port;

    for (const d of devices) {
      d.start();
      running.push({ name: `device ${d.id}`, stop: () => d.stop() });
    }
    logger.info({ port, devices: devices.length, ms: Date.now() - startedAt }, 'canteen-edge started');
    const modelsModule = new ModelsModule({
      registry: models,
      logger: logger.child({ module: 'models' }),
      facePay: biometrics,
    });
    await modelsModule.announce();
    return { port, site, auth, reloadModels: () => modelsModule.reload(), stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function sdm630(profiles: LoadedConfig['profiles']) {
  const p = profiles.get('sdm630');
  if (!p || !isModbusProfile(p)) throw new Error('the shipped sdm630 profile is missing');
  return p;
}
