// Liveness, readiness and Prometheus metrics. /healthz and /readyz are public: to
// anyone /readyz gives states and reasons only; signed-in staff (admin, facility,
// supervisor) get the details (errors, addresses, paths, counters). /metrics needs
// server.metrics_token as a bearer token or a facility or admin sign-in, unless
// auth.metrics_public.
import type { FastifyPluginAsync } from 'fastify';
import { utilisation, type ModbusCounters } from '../../drivers/modbus/client.ts';
import type { DeviceTracker } from '../devices/tracker.ts';
import type { Metrics } from '../metrics.ts';
import type { DiskGuard } from '../ops/disk-guard.ts';

export interface StoreCheck {
  name: string;
  /** throws when the store cannot be used */
  check(): Record<string, unknown>;
}

export interface HealthOptions {
  tracker: DeviceTracker;
  metrics: Metrics;
  stores: StoreCheck[];
  metricsToken?: string;
  /** serve /metrics to anyone */
  metricsPublic?: boolean;
  /** uplinks' link states, the outbox's alarms, and what of them makes the box not ready (a stalled uplink) */
  outbox?: () => { links: unknown[]; alarms: string[]; notReady?: string[] };
  /** meter lines (RS-485 buses, converters, Modbus TCP endpoints) with their counters */
  lines?: () => { id: string; description: string; counters: ModbusCounters; meters: string[] }[];
  /** models and whether their weights are there and intact; a missing model degrades a feature, not readiness */
  models?: () => Promise<{ name: string; family: string; state: string; detail?: string | null }[]>;
  /** the data directory's disk: full makes the box unready, low is an alarm */
  disk?: DiskGuard;
  /** more parts of /readyz by name (cameras with their stream and detection health, the kitchen's outputs …); informative, not readiness */
  sections?: () => Record<string, unknown>;
}

/** Who sees /readyz with its details (gateway/auth/roles.ts). */
const STAFF_DETAIL_ROLES = new Set(['admin', 'facility', 'supervisor']);

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { tracker, metrics, stores, metricsToken, metricsPublic, outbox, lines, models, sections, disk }) => {
  app.get('/healthz', { config: { access: 'public' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { access: 'public' } }, async (req, reply) => {
    disk?.check();
    const reasons = tracker.notReady();
    const publicReasons = tracker.notReady(false);
    const storeStates = stores.map((s) => {
      try {
        return { name: s.name, state: 'ok', ...s.check() };
      } catch (err) {
        reasons.push(`store ${s.name}: ${(err as Error).message}`);
        publicReasons.push(`store ${s.name} failed`);
        return { name: s.name, state: 'failed', error: (err as Error).message };
      }
    });
    // A disk that refuses writes makes the box unready: what it is handed now cannot be kept.
    const diskReasons = disk?.notReady() ?? [];
    reasons.push(...diskReasons);
    publicReasons.push(...diskReasons);
    const out = outbox?.() ?? { links: [], alarms: [] };
    // Uplinks being down or the budget alarm do not make the box unready: it keeps
    // serving and keeps everything for later. They are reported here and in /metrics.
    // A stalled uplink (a hung upstream the watchdog keeps resetting) does: something is stuck.
    const stalled = out.notReady ?? [];
    reasons.push(...stalled);
    publicReasons.push(...(out.links as { uplink: string; state: string }[]).filter((l) => l.state === 'stalled').map((l) => `uplink ${l.uplink} stalled`));
    const alarms = [...(disk?.alarms() ?? []), ...out.alarms];
    const ready = reasons.length === 0;
    const diskState = disk ? { state: disk.state, freeBytes: disk.freeBytes } : undefined;
    // Anyone may ask whether the box is ready; only signed-in staff see the details
    // (errors with addresses, upstream URLs, file paths, bus counters).
    if (!STAFF_DETAIL_ROLES.has(req.principal?.role ?? '')) {
      const modelStates = (await models?.()) ?? [];
      return reply.code(ready ? 200 : 503).send({
        ready,
        reasons: publicReasons,
        devices: tracker.list().map(({ id, kind, state, since }) => ({ id, kind, state, since })),
        stores: storeStates.map(({ name, state }) => ({ name, state })),
        ...(diskState ? { disk: { state: diskState.state } } : {}),
        uplinks: (out.links as { uplink: string; state: string; since: number }[]).map(({ uplink, state, since }) => ({ uplink, state, since })),
        models: modelStates.map(({ name, state }) => ({ name, state })),
        alarms,
      });
    }
    const buses = (lines?.() ?? []).map(({ id, description, counters: c, meters }) => ({
      id,
      description,
      meters,
      requests: c.requests,
      timeouts: c.timeouts,
      crcErrors: c.crcErrors,
      exceptions: c.exceptions,
      skippedBytes: c.skipped,
      utilisation: Number(utilisation(c).toFixed(4)),
    }));
    const modelStates = (await models?.()) ?? [];
    const body = {
      ready,
      reasons,
      devices: tracker.list(),
      buses,
      stores: storeStates,
      ...(diskState ? { disk: diskState } : {}),
      uplinks: out.links,
      models: modelStates.map(({ name, family, state, detail }) => ({ name, family, state, ...(detail ? { detail } : {}) })),
      alarms,
      ...sections?.(),
    };
    return reply.code(ready ? 200 : 503).send(body);
  });

  app.get('/metrics', { config: { access: metricsPublic ? 'public' : { roles: ['facility'], token: metricsToken } } }, async (_req, reply) =>
    reply.type(metrics.contentType).send(await metrics.text()),
  );
};
