// The Fastify app: health and metrics, camera frames, kiosk pages, sign-in. Each
// area is an encapsulated plugin given only what it needs. Access control and
// hardening (gateway/auth/http.ts) are installed first: every route registered
// after declares who may use it, or the app does not start.
import https from 'node:https';
import type { Server as HttpServer } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyServerFactory } from 'fastify';
import type { Auth } from '../auth/auth.ts';
import { installAccessControl } from '../auth/http.ts';
import { authRoutes } from '../auth/routes.ts';
import type { Logger } from '../log.ts';
import type { DeviceTracker } from '../devices/tracker.ts';
import type { LiveState } from '../live.ts';
import type { Metrics } from '../metrics.ts';
import { DISK_FULL_MESSAGE, isDiskFull, type DiskGuard } from '../ops/disk-guard.ts';
import { cameraRoutes } from './cameras.ts';
import { healthRoutes, type HealthOptions, type StoreCheck } from './health.ts';
import { kioskRoutes, type KioskFiles } from './kiosk.ts';

/** Bodies above this are refused with 413 unless a route allows more (photos, CSV). */
export const BODY_LIMIT = 256 * 1024;

export interface AppDeps {
  logger: Logger;
  tracker: DeviceTracker;
  metrics: Metrics;
  live: LiveState;
  stores: StoreCheck[];
  kioskFiles: KioskFiles;
  /**
   * Accounts and sessions. `null` only in in-process test harnesses: every route
   * must still declare its rule and the hardening applies, but nobody is checked.
   */
  auth: Auth | null;
  metricsToken?: string;
  /** server.trust_proxy: take the client address from X-Forwarded-For (rate limits, audit) */
  trustProxy?: boolean | string[];
  outbox?: HealthOptions['outbox'];
  lines?: HealthOptions['lines'];
  models?: HealthOptions['models'];
  sections?: HealthOptions['sections'];
  /** the feature modules' own routes (energy, …) */
  areas?: FastifyPluginAsync[];
  /** the data directory's disk: a full one refuses state-changing requests with 507 */
  disk?: DiskGuard;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function createApp(deps: AppDeps): Promise<FastifyInstance> {
  const tls = deps.auth?.settings.tls;
  const httpsServer: FastifyServerFactory | undefined = tls && ((handler) => https.createServer({ cert: tls.cert, key: tls.key }, handler) as unknown as HttpServer);
  const app = Fastify({
    loggerInstance: deps.logger.child({ module: 'http' }) as FastifyBaseLogger,
    // Per-request lines at debug only (below): the pages fetch frames all day.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // a client that trickles its request is cut off
    requestTimeout: 60_000,
    return503OnClosing: true,
    // additionalProperties: false refuses unknown keys (400) instead of dropping them silently
    ajv: { customOptions: { removeAdditional: false } },
    trustProxy: deps.trustProxy ?? false,
    ...(httpsServer ? { serverFactory: httpsServer } : {}),
  });
  const routes = installAccessControl(app, deps.auth, { tls: !!tls });
  app.addHook('onResponse', async (req, reply) => {
    // Failures are logged where they happen (the error handler); this is the access log.
    req.log.debug({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  app.setNotFoundHandler(async (req, reply) => reply.code(404).send({ error: 'not found', path: req.url.split('?')[0] }));
  // While the disk is full nothing that would write is started: no action is done
  // without its audit line, no half-written change (RFC 4918 §11.5: 507 Insufficient Storage).
  app.addHook('preHandler', async (req, reply) => {
    if (!deps.disk || SAFE_METHODS.has(req.method) || deps.disk.state !== 'full' || deps.disk.check() !== 'full') return;
    return reply.code(507).send({ error: DISK_FULL_MESSAGE, reason: 'disk-full' });
  });
  app.setErrorHandler(async (err: Error & { statusCode?: number; validation?: unknown }, req, reply) => {
    if (isDiskFull(err)) {
      deps.disk?.failed(err);
      req.log.error({ err: (err as Error).message, url: req.url }, 'request refused: disk full');
      return reply.code(507).send({ error: DISK_FULL_MESSAGE, reason: 'disk-full' });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    // Never a stack trace or a file path to a client.
    return reply.code(status).send({ error: status >= 500 ? 'internal error' : err.message });
  });

  await app.register(healthRoutes, { tracker: deps.tracker, metrics: deps.metrics, stores: deps.stores, disk: deps.disk, metricsToken: deps.metricsToken, metricsPublic: deps.auth?.settings.metricsPublic ?? false, outbox: deps.outbox, lines: deps.lines, models: deps.models, sections: deps.sections });
  await app.register(cameraRoutes, { live: deps.live });
  await app.register(kioskRoutes, { files: deps.kioskFiles });
  if (deps.auth) await app.register(authRoutes, { auth: deps.auth, routes: () => routes });
  for (const area of deps.areas ?? []) await app.register(area);
  return app;
}
