// /api/auth/*: sign-in and sign-out, who am I, kiosk pairing, and for admins the
// pairing codes, paired kiosks, audit log and the access rule table.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Auth } from './auth.ts';
import { KIOSK_COOKIE, SESSION_COOKIE, clearCookie, parseCookies, serializeCookie } from './cookies.ts';
import type { RouteEntry } from './http.ts';
import { PAIRING } from './limiter.ts';
import { MAX_PASSWORD_LENGTH } from './passwords.ts';
import { NAMESPACE_ACCESS, ROLES, SOCKET_EVENTS, allowedRoles, type Principal } from './roles.ts';

const SMALL_BODY = 4096;
const station = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' } as const;

const describe = (p: Principal) => ({ kind: p.kind, role: p.role, name: p.name, ...(p.station ? { station: p.station, scale: p.scale } : {}), expiresAt: p.expiresAt });

export const authRoutes: FastifyPluginAsync<{ auth: Auth; routes: () => RouteEntry[] }> = async (app, { auth, routes }) => {
  const secure = auth.secureCookies;
  const tooMany = (reply: FastifyReply, waitMs: number) => {
    const s = Math.ceil(waitMs / 1000);
    return reply.code(429).header('retry-after', String(s)).send({ error: `too many failed attempts from here; try again in ${s} s`, retryAfterS: s });
  };
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store');

  app.post<{ Body: { username: string; password: string } }>(
    '/api/auth/login',
    {
      config: { access: 'public' },
      bodyLimit: SMALL_BODY,
      schema: {
        body: {
          type: 'object',
          properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD_LENGTH } },
          required: ['username', 'password'],
        },
      },
    },
    async (req, reply) => {
      noStore(reply);
      const username = req.body.username.trim().toLowerCase();
      const client = req.ip;
      // reserved before the (slow) hash: parallel guesses never check more than the limit
      const attempt = auth.limiter.reserve(client, username);
      if (attempt.waitMs !== undefined) {
        auth.audit({ actor: username, action: 'login', result: 'rate-limited', client });
        return tooMany(reply, attempt.waitMs);
      }
      const account = await auth.store.checkPassword(username, req.body.password).catch((err: unknown) => {
        auth.limiter.failed(attempt.id, client, username);
        throw err;
      });
      if (!account) {
        const out = auth.limiter.failed(attempt.id, client, username);
        auth.audit({ actor: username, action: 'login', result: 'refused', client });
        if (out.locked) auth.loginLocked(username, client);
        if (out.alert) auth.loginAlert(username, out.userFailures);
        return reply.code(401).send({ error: 'wrong username or password' });
      }
      auth.limiter.succeeded(attempt.id, client, username);
      endStaffSession(req);
      // On a paired kiosk (a shared screen) a staff sign-in is short.
      const onKiosk = auth.principals({ cookie: req.headers.cookie }).some((p) => p.kind === 'kiosk');
      const ttlMs = onKiosk ? Math.min(auth.settings.sessionTtlMs, auth.settings.kioskStaffTtlMs) : auth.settings.sessionTtlMs;
      const { token, principal } = auth.store.createSession({ kind: 'staff', account, ttlMs, client });
      auth.audit({ actor: account.username, role: account.role, action: 'login', result: 'ok', client });
      reply.header('set-cookie', serializeCookie(SESSION_COOKIE, token, { maxAgeMs: ttlMs, secure }));
      return describe(principal);
    },
  );

  app.post('/api/auth/logout', { config: { access: 'public' }, bodyLimit: SMALL_BODY }, async (req, reply) => {
    noStore(reply);
    const p = endStaffSession(req);
    if (p) auth.audit({ actor: p.name, role: p.role, action: 'logout', result: 'ok', client: req.ip });
    reply.header('set-cookie', clearCookie(SESSION_COOKIE, secure));
    return { signedOut: !!p };
  });

  app.get('/api/auth/session', { config: { access: 'public' } }, async (req, reply) => {
    noStore(reply);
    return { principals: auth.principals({ cookie: req.headers.cookie, authorization: req.headers.authorization }).map(describe) };
  });

  app.post<{ Body: { code: string } }>(
    '/api/auth/pair',
    {
      config: { access: 'public' },
      bodyLimit: SMALL_BODY,
      schema: { body: { type: 'object', properties: { code: { type: 'string', minLength: 4, maxLength: 32 } }, required: ['code'] } },
    },
    async (req, reply) => {
      noStore(reply);
      const client = req.ip;
      const attempt = auth.limiter.reserve(client, PAIRING);
      if (attempt.waitMs !== undefined) {
        auth.audit({ actor: 'anonymous', action: 'kiosk pair', result: 'rate-limited', client });
        return tooMany(reply, attempt.waitMs);
      }
      const target = auth.store.redeemPairingCode(req.body.code);
      if (!target) {
        auth.limiter.failed(attempt.id, client, PAIRING);
        auth.audit({ actor: 'anonymous', action: 'kiosk pair', result: 'refused', client });
        return reply.code(401).send({ error: 'unknown or expired pairing code' });
      }
      auth.limiter.succeeded(attempt.id, client, PAIRING);
      const old = parseCookies(req.headers.cookie).get(KIOSK_COOKIE);
      const ended = old ? auth.store.endSession(old) : null;
      if (ended) auth.revoked(new Set([ended.session]));
      const { token, principal } = auth.store.createSession({ kind: 'kiosk', ...target, ttlMs: auth.settings.kioskTtlMs, client });
      auth.audit({ actor: principal.name, role: 'kiosk', action: 'kiosk pair', detail: target, result: 'ok', client });
      reply.header('set-cookie', serializeCookie(KIOSK_COOKIE, token, { maxAgeMs: auth.settings.kioskTtlMs, secure }));
      return describe(principal);
    },
  );

  // ── admin ──

  app.post<{ Body: { station: string } }>(
    '/api/auth/kiosk-codes',
    { config: { access: ['admin'] }, bodyLimit: SMALL_BODY, schema: { body: { type: 'object', properties: { station }, required: ['station'] } } },
    async (req, reply) => {
      noStore(reply);
      const scale = auth.targets.get(req.body.station);
      if (!scale) return reply.code(404).send({ error: `no station "${req.body.station}" (stations: ${[...auth.targets.keys()].join(', ') || 'none configured'})` });
      const { code, expiresAt } = auth.store.createPairingCode(req.body.station, scale, auth.settings.pairingTtlMs, req.principal?.name ?? 'admin');
      return reply.code(201).send({ code, station: req.body.station, scale, expiresAt });
    },
  );

  app.get('/api/auth/kiosks', { config: { access: ['admin'] } }, async () => auth.store.kiosks());

  app.delete<{ Params: { station: string } }>('/api/auth/kiosks/:station', { config: { access: ['admin'] }, schema: { params: { type: 'object', properties: { station }, required: ['station'] } } }, async (req) => {
    const n = auth.store.unpair(req.params.station);
    auth.revoked('check');
    return { unpaired: n };
  });

  app.get<{ Querystring: { limit?: number; before?: number } }>(
    '/api/auth/audit',
    {
      config: { access: ['admin'] },
      schema: { querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 }, before: { type: 'integer', minimum: 1 } } } },
    },
    async (req) => auth.store.auditLog(req.query.limit ?? 100, req.query.before),
  );

  app.get('/api/auth/rules', { config: { access: ['admin'] } }, async () => ({
    roles: ROLES,
    routes: routes(),
    namespaces: Object.fromEntries(Object.entries(NAMESPACE_ACCESS).map(([ns, roles]) => [ns, allowedRoles({ roles })])),
    events: Object.fromEntries(Object.entries(SOCKET_EVENTS).map(([ns, evs]) => [ns, Object.fromEntries(Object.entries(evs).map(([e, roles]) => [e, allowedRoles({ roles })]))])),
  }));

  /** Ends the staff session this request carries (cookie or bearer token), and closes its sockets. */
  function endStaffSession(req: FastifyRequest): Principal | null {
    const cookie = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
    const bearer = /^Bearer ([A-Za-z0-9_-]{1,200})$/i.exec(req.headers.authorization ?? '')?.[1];
    let ended: Principal | null = null;
    for (const token of [cookie, bearer]) {
      // a kiosk's pairing is ended by an admin, never by signing out on it
      if (!token || auth.store.session(token)?.kind !== 'staff') continue;
      ended = auth.store.endSession(token);
      if (ended) auth.revoked(new Set([ended.session]));
    }
    return ended;
  }
};
