// The Fastify app: health and metrics, camera frames, kiosk pages. Each area is
// an encapsulated plugin given only what it needs.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from '../log.ts';
import type { DeviceTracker } from '../devices/tracker.ts';
import type { LiveState } from '../live.ts';
import type { Metrics } from '../metrics.ts';
import { cameraRoutes } from './cameras.ts';
import { healthRoutes, type HealthOptions, type StoreCheck } from './health.ts';
import { kioskRoutes, type KioskFiles } from './kiosk.ts';

export interface AppDeps {
  logger: Logger;
  tracker: DeviceTracker;
  metrics: Metrics;
  live: LiveState;
  stores: StoreCheck[];
  kioskFiles: KioskFiles;
  metricsToken?: string;
  outbox?: HealthOptions['outbox'];
  lines?: HealthOptions['lines'];
  models?: HealthOptions['models'];
  /** the feature modules' own routes (energy, …) */
  areas?: FastifyPluginAsync[];
}

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ module: 'http' }) as FastifyBaseLogger,
    // Per-request lines at debug only (below): the pages fetch frames all day.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
  });
  app.addHook('onResponse', async (req, reply) => {
    // Failures are logged where they happen (the error handler); this is the access log.
    req.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  app.setNotFoundHandler(async (req, reply) => reply.code(404).send({ error: 'not found', path: req.url.split('?')[0] }));
  app.setErrorHandler(async (err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    // Never a stack trace or a file path to a client.
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : err.message });
  });

  await app.register(healthRoutes, { tracker: deps.tracker, metrics: deps.metrics, stores: deps.stores, metricsToken: deps.metricsToken, outbox: deps.outbox, lines: deps.lines, models: deps.models });
  await app.register(cameraRoutes, { live: deps.live });
  await app.register(kioskRoutes, { files: deps.kioskFiles });
  for (const area of deps.areas ?? []) await app.register(area);
  return app;
}
