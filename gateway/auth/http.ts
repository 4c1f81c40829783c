// Access control and hardening for every HTTP route, installed on the root app
// before any route is registered:
//  - each route must declare `config.access` (gateway/auth/roles.ts); one without
//    stops the app from starting. The declared rules form the route table.
//  - schemas are made strict: URL params get a safe-segment schema when the route
//    has none, a route without a querystring schema accepts no query, and object
//    schemas without `additionalProperties` get `additionalProperties: false`.
//  - onRequest: state-changing requests from another origin are refused; then the
//    rule is checked (401 not signed in, 403 wrong role or another station's
//    kiosk, pages redirect to /login?next=…) before the body is even read.
//  - onSend: security headers (CSP, frame-ancestors 'none', nosniff, referrer…).
//  - onResponse: staff actions that change something go to the audit log.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchema, preValidationHookHandler, RouteOptions } from 'fastify';
import type { Auth } from './auth.ts';
import { allowedRoles, allows, toRule, type Principal, type Role, type Rule } from './roles.ts';

export interface RouteEntry {
  method: string;
  url: string;
  access: 'public' | Role[];
  /** kiosks only for their own station */
  station: boolean;
  /** a page: redirects to /login */
  page: boolean;
  /** also takes a bearer token (metrics) */
  token: boolean;
  schema: { params: boolean; querystring: boolean; body: boolean };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A URL segment that cannot name a parent directory or carry a path. */
export const SAFE_SEGMENT = { type: 'string', minLength: 1, maxLength: 128, pattern: '^(?!\\.\\.?$)[^/\\\\\\x00-\\x1f]+$' } as const;
const SAFE_SEGMENT_RE = new RegExp(SAFE_SEGMENT.pattern);
const NO_QUERY = { type: 'object', properties: {}, additionalProperties: false } as const;

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(self), microphone=(), geolocation=(), payment=(), usb=()',
  'x-permitted-cross-domain-policies': 'none',
};

const callers = new WeakMap<FastifyRequest, Principal[]>();

/**
 * Installs the hooks; returns the route table, filled in as routes register.
 * `auth` null: rules are still required and the hardening applies, but nobody is
 * checked — only for in-process test harnesses (the service always passes one).
 */
export function installAccessControl(app: FastifyInstance, auth: Auth | null, opts: { tls: boolean }): RouteEntry[] {
  const table: RouteEntry[] = [];
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route: RouteOptions) => {
    const access = route.config?.access;
    const methods = ([] as string[]).concat(route.method);
    if (access === undefined) {
      throw new Error(`route ${methods.join(',')} ${route.url} declares no access rule: add config: { access: 'public' | [roles] } (see gateway/auth/roles.ts)`);
    }
    const rule = toRule(access);
    route.config = { ...route.config, access: rule };
    const hadParams = !!route.schema?.params;
    route.schema = harden(route.schema, route.url);
    if (!hadParams && route.schema.params) {
      // A segment that could name a file elsewhere (`..`, `a/b` from %2F) names nothing here: 404, as for any unknown path.
      const names = Object.keys((route.schema.params as { properties: object }).properties);
      const check: preValidationHookHandler = async (req, reply) => {
        const params = req.params as Record<string, string>;
        if (!names.every((n) => params[n]!.length <= SAFE_SEGMENT.maxLength && SAFE_SEGMENT_RE.test(params[n]!))) return reply.code(404).send({ error: 'not found' });
      };
      route.preValidation = [...([] as preValidationHookHandler[]).concat(route.preValidation ?? []), check];
    }
    for (const method of methods) {
      table.push({
        method,
        url: route.url,
        access: allowedRoles(rule),
        station: !!rule.station,
        page: !!rule.page,
        token: !!rule.token,
        schema: { params: !!route.schema.params, querystring: !!route.schema.querystring, body: !!route.schema.body },
      });
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    req.principal = null;
    if (!SAFE_METHODS.has(req.method) && crossOrigin(req)) {
      return reply.code(403).send({ error: 'cross-origin request refused' });
    }
    const rule = req.routeOptions.config.access as Rule | undefined;
    if (!rule) {
      // the not-found handler; anything else without a rule is refused
      if (req.is404) return;
      return reply.code(403).send({ error: 'no access rule' });
    }
    if (!auth) return;
    const principals = auth.principals({ cookie: req.headers.cookie, authorization: req.headers.authorization });
    callers.set(req, principals);
    if (rule.roles === 'public') {
      req.principal = principals[0] ?? null;
      return;
    }
    if (rule.token && bearerMatches(req.headers.authorization, rule.token)) return;
    const p = principals.find((x) => allows(rule, x, req));
    if (p) {
      req.principal = p;
      return;
    }
    return refuse(req, reply, rule, principals);
  });

  app.addHook('onSend', async (req, reply, payload) => {
    for (const [k, v] of Object.entries(HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
    if (opts.tls) reply.header('strict-transport-security', 'max-age=31536000');
    const rule = req.routeOptions.config.access as Rule | undefined;
    if (rule && rule.roles !== 'public') {
      // what needs a sign-in is never kept by a shared cache
      const cc = reply.getHeader('cache-control');
      if (cc === undefined) reply.header('cache-control', 'no-store');
      else if (typeof cc === 'string' && /\bpublic\b/.test(cc)) reply.header('cache-control', cc.replace(/\bpublic\b/, 'private'));
    }
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    if (!auth || SAFE_METHODS.has(req.method)) return;
    const url = req.routeOptions.url;
    if (!url || url.startsWith('/api/auth/login') || url.startsWith('/api/auth/pair') || url.startsWith('/api/auth/logout')) return; // those audit themselves
    const p = req.principal ?? callers.get(req)?.[0];
    // Kiosks' sales are audited with the sale; anonymous requests only when refused.
    if (p?.kind === 'kiosk' || (!p && reply.statusCode !== 401 && reply.statusCode !== 403)) return;
    auth.audit({
      actor: p?.name ?? 'anonymous',
      role: p?.role ?? null,
      action: `${req.method} ${url}`,
      detail: { params: req.params, query: req.query },
      result: reply.statusCode,
      client: req.ip,
    });
  });

  return table;
}

function refuse(req: FastifyRequest, reply: FastifyReply, rule: Rule, principals: Principal[]) {
  if (rule.page) {
    return reply.header('cache-control', 'no-store').redirect(`/login?next=${encodeURIComponent(req.url)}`, 302);
  }
  if (principals.length === 0) {
    if (rule.token) reply.header('www-authenticate', 'Bearer');
    return reply.code(401).send({ error: 'sign in first (POST /api/auth/login)' });
  }
  const station = principals.find((p) => p.kind === 'kiosk')?.station;
  const otherStation = station && rule.station && (rule.roles === 'public' || rule.roles.includes('kiosk'));
  return reply.code(403).send({ error: otherStation ? `this kiosk is paired to station ${station}` : `not allowed for ${[...new Set(principals.map((p) => p.role))].join(', ')}` });
}

/** A state-changing request a browser sent from a page of another origin. */
export function crossOrigin(req: { headers: FastifyRequest['headers'] }): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (origin === 'null') return true;
    try {
      return new URL(origin).host !== req.headers.host;
    } catch {
      return true;
    }
  }
  const site = req.headers['sec-fetch-site'];
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}

export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(header ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

type Schema = Record<string, unknown>;

/** The route's schema made strict (a new object: schemas are often shared between routes). */
export function harden(schema: FastifySchema | undefined, url: string): FastifySchema {
  const s: Record<string, unknown> = { ...(schema ?? {}) };
  const names = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  if (s.params) s.params = strict(s.params as Schema);
  else if (names.length) s.params = { type: 'object', properties: Object.fromEntries(names.map((n) => [n, SAFE_SEGMENT])), required: names, additionalProperties: false };
  const q = s.querystring ?? s.query;
  delete s.query;
  s.querystring = q ? strict(q as Schema) : NO_QUERY;
  if (s.body) s.body = strict(s.body as Schema);
  return s as FastifySchema;
}

function strict(o: Schema): Schema {
  if (o.type === 'object' && o.properties && o.additionalProperties === undefined) return { ...o, additionalProperties: false };
  return o;
}
