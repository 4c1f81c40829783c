// Liveness, readiness and Prometheus metrics. /healthz and /readyz are public (no
// secrets in them); /metrics needs server.metrics_token as a bearer token or a
// facility or admin sign-in, unless auth.metrics_public.
import type { FastifyPluginAsync } from 'fastify';
import { utilisation, type ModbusCounters } from '../../drivers/modbus/client.ts';
import type { DeviceTracker } from '../devices/tracker.ts';
import type { Metrics } from '../metrics.ts';

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
  /** more parts of /readyz by name (cameras with their stream and detection health, the kitchen's outputs …); informative, not readiness */
  sections?: () => Record<string, unknown>;
}

export const healthRoutes: FastifyPluginAsync<HealthOptions> = async (app, { tracker, metrics, stores, metricsToken, metricsPublic, outbox, lines, models, sections }) => {
  app.get('/healthz', { config: { access: 'public' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { access: 'public' } }, async (_req, reply) => {
    const reasons = tracker.notReady();
    const storeStates = stores.map((s) => {
      try {
        return { name: s.name, state: 'ok', ...s.check() };
      } catch (err) {
        reasons.push(`store ${s.name}: ${(err as Error).message}`);
        return { name: s.name, state: 'failed', error: (err as Error).message };
      }
    });
    const out = outbox?.() ?? { links: [], alarms: [] };
    // Uplinks being down or the budget alarm do not make the box unready: it keeps
    // serving and keeps everything for later. They are reported here and in /metrics.
    // A stalled uplink (a hung upstream the watchdog keeps resetting) does: something is stuck.
    reasons.push(...(out.notReady ?? []));
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
      ready: reasons.length === 0,
      reasons,
      devices: tracker.list(),
      buses,
      stores: storeStates,
      uplinks: out.links,
      models: modelStates.map(({ name, family, state, detail }) => ({ name, family, state, ...(detail ? { detail } : {}) })),
      alarms: out.alarms,
      ...sections?.(),
    };
    return reply.code(body.ready ? 200 : 503).send(body);
  });

  app.get('/metrics', { config: { access: metricsPublic ? 'public' : { roles: ['facility'], token: metricsToken } } }, async (_req, reply) =>
    reply.type(metrics.contentType).send(await metrics.text()),
  );
};
