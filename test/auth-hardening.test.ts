// HTTP hardening of the real gateway: security headers, same-origin only for
// anything that changes state (and for Socket.IO handshakes), body size limits,
// strict schemas, path traversal, no stack traces or file paths in error bodies,
// /readyz without secrets; in-process: a route or page without an access rule
// stops the app from starting; HTTPS with a configured certificate.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { io as connect } from 'socket.io-client';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../gateway/bus/event-bus.ts';
import { loadConfig } from '../gateway/config/load.ts';
import { DeviceTracker } from '../gateway/devices/tracker.ts';
import { LiveState } from '../gateway/live.ts';
import { createLogger } from '../gateway/log.ts';
import { Metrics } from '../gateway/metrics.ts';
import { createApp } from '../gateway/server/app.ts';
import { startService } from '../gateway/service.ts';
import { simulatorConfig, startGateway, type RunningGateway, type TestSession } from './helpers/gateway.ts';

const SECRETS = ['uplink-token-0c4f1e', 'hmac-key-77a91b', 'metrics-token-5d2e88'];

let gw: RunningGateway;
let admin: TestSession;

/** A request sent exactly as written (fetch would normalise `..` away). */
function raw(method: string, target: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}, tries = 5): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: '127.0.0.1', port: gw.port, method, path: target, headers: { ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers } }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      // A server that refuses a body unread answers and closes while the body is still being
      // written: the write can fail (EPIPE, ECONNRESET) before the answer is read. Send the
      // request again; a server that never answers fails every try.
      if (!answered && tries > 1 && (err.code === 'EPIPE' || err.code === 'ECONNRESET')) resolve(raw(method, target, opts, tries - 1));
      else reject(err);
    });
    req.end(opts.body);
  });
}

/** Every file under the data directory with its size, except SQLite's own (its WAL grows with the audit log). */
function files(dir = gw.dataDir): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    if (e.isFile() && !/canteen-edge\.db/.test(e.name)) out[path.relative(dir, p)] = statSync(p).size;
  }
  return out;
}

const leaks = (text: string) => /\n\s+at |node_modules|\/work\/|\.ts:\d|\/tmp\/|Error: /.test(text);

beforeAll(async () => {
  const base = await simulatorConfig();
  gw = await startGateway({
    config: {
      ...base,
      server: { host: '127.0.0.1', port: 0, metrics_token: SECRETS[2] },
      canteen: { stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2 }] },
      uplinks: [{ id: 'province', type: 'http', url: 'http://127.0.0.1:9/ingest/{stream}', token: SECRETS[0], hmac_key: SECRETS[1], backoff: { min_ms: 50, max_ms: 200, offline_after_ms: 300 } }],
    },
  });
  admin = await gw.loginAs('admin');
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

describe('headers', () => {
  it('sends a strict CSP, frame-ancestors none, nosniff and no-referrer on pages, APIs, 401s and 404s', async () => {
    for (const [url, status] of [['/login', 200], ['/assets/style.css', 200], ['/healthz', 200], ['/api/canteen/catalog', 401], ['/nope', 404], ['/admin', 302]] as const) {
      const r = await fetch(`${gw.url}${url}`, { redirect: 'manual' });
      expect(r.status, url).toBe(status);
      const csp = r.headers.get('content-security-policy') ?? '';
      expect(csp, url).toContain("default-src 'self'");
      expect(csp, url).toContain("script-src 'self'");
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).not.toContain('unsafe');
      expect(r.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(r.headers.get('x-frame-options'), url).toBe('DENY');
      expect(r.headers.get('referrer-policy'), url).toBe('no-referrer');
      expect(r.headers.get('cross-origin-resource-policy'), url).toBe('same-origin');
      expect(r.headers.get('access-control-allow-origin'), url).toBeNull();
      expect(r.headers.get('strict-transport-security'), url).toBeNull(); // plain HTTP here
    }
  });

  it('keeps what needs a sign-in out of shared caches', async () => {
    const page = await fetch(`${gw.url}/admin`, { headers: admin.headers });
    expect(page.headers.get('cache-control')).toBe('no-store');
    const api = await fetch(`${gw.url}/api/canteen/catalog`, { headers: admin.headers });
    expect(api.headers.get('cache-control')).toBe('no-store');
  });
});

describe('same origin only', () => {
  const dish = JSON.stringify({ id: 'tofu', name: '麻婆豆腐', price_mode: 'per_portion', price_fen: 800 });
  const dishes = async () => ((await (await fetch(`${gw.url}/api/canteen/catalog`, { headers: admin.headers })).json()) as { dishes: unknown[] }).dishes.length;

  it('refuses a state-changing request from another origin, even with a valid session, and changes nothing', async () => {
    const before = await dishes();
    for (const headers of [{ origin: 'http://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }] as Record<string, string>[]) {
      const r = await fetch(`${gw.url}/api/canteen/dishes`, { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json', ...headers }, body: dish });
      expect(r.status, JSON.stringify(headers)).toBe(403);
      expect(await r.json()).toEqual({ error: 'cross-origin request refused' });
    }
    // sign-in CSRF too
    expect((await fetch(`${gw.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: '{"username":"a","password":"b"}' })).status).toBe(403);
    expect(await dishes()).toBe(before);
    // the page's own origin is fine
    const same = await fetch(`${gw.url}/api/canteen/dishes`, { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json', origin: gw.url, 'sec-fetch-site': 'same-origin' }, body: dish });
    expect(same.status).toBe(201);
    expect(await dishes()).toBe(before + 1);
  });

  it('refuses a Socket.IO handshake from another origin', async () => {
    const evil = await raw('GET', '/socket.io/?EIO=4&transport=polling', { headers: { origin: 'http://evil.example', ...admin.headers } });
    expect(evil.status).toBe(403);
    const same = await raw('GET', '/socket.io/?EIO=4&transport=polling', { headers: { origin: gw.url } });
    expect(same.status).toBe(200);
  });
});

describe('bodies, schemas and paths', () => {
  it('answers malformed JSON with 400, an unknown key or query parameter with 400, and keeps stack traces and paths to itself', async () => {
    const before = files();
    const bodies: string[] = [];
    const check = async (r: { status: number; text: string }, status: number) => {
      expect(r.status).toBe(status);
      expect(() => JSON.parse(r.text)).not.toThrow();
      bodies.push(r.text);
    };
    const json = { ...admin.headers, 'content-type': 'application/json' };
    await check(await raw('POST', '/api/canteen/dishes', { headers: json, body: '{"id": "x", "name": ' }), 400);
    await check(await raw('POST', '/api/canteen/dishes', { headers: json, body: '{"__proto__": {"admin": true}, "id": "x"}' }), 400);
    await check(await raw('POST', '/api/canteen/stations/checkout-1/select', { headers: json, body: '{"dishId": "x", "price_fen": 1}' }), 400);
    await check(await raw('GET', '/api/canteen/catalog?debug=1', { headers: admin.headers }), 400);
    await check(await raw('POST', '/api/canteen/dishes', { headers: { ...admin.headers, 'content-type': 'application/xml' }, body: '<dish/>' }), 415);
    await check(await raw('PUT', '/api/canteen/menu', { headers: json, body: '{"dishIds": "all"}' }), 400);
    for (const b of bodies) expect(leaks(b), b).toBe(false);
    expect(files()).toEqual(before);
  });

  it('refuses oversized bodies with 413 (or 401 unread, without a session) and leaves nothing behind', async () => {
    const before = files();
    const big = JSON.stringify({ id: 'big', name: 'x'.repeat(300 * 1024) });
    const json = { 'content-type': 'application/json' };
    expect((await raw('POST', '/api/canteen/dishes', { headers: { ...admin.headers, ...json }, body: big })).status).toBe(413);
    expect((await raw('POST', '/api/canteen/dishes', { headers: json, body: big })).status).toBe(401);
    expect((await raw('POST', '/api/auth/login', { headers: json, body: JSON.stringify({ username: 'admin', password: 'p'.repeat(5000) }) })).status).toBe(413);
    // a photo over 8 MB
    await fetch(`${gw.url}/api/canteen/dishes`, { method: 'POST', headers: { ...admin.headers, ...json }, body: JSON.stringify({ id: 'rice', name: '米饭', price_mode: 'per_portion', price_fen: 100 }) });
    const afterDish = files();
    const photo = await raw('PUT', '/api/canteen/dishes/rice/photo', { headers: { ...admin.headers, 'content-type': 'image/jpeg' }, body: Buffer.alloc(9 * 1024 * 1024, 0xff) });
    expect(photo.status).toBe(413);
    expect(leaks(photo.text)).toBe(false);
    expect(files()).toEqual(afterDish);
    expect(Object.keys(afterDish).filter((f) => !(f in before))).toEqual([]);
  });

  it('answers path traversal on static files and photos with 4xx, serving nothing from outside', async () => {
    const before = files();
    for (const target of [
      '/assets/../../package.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/assets/..%2f..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
      '/..%5c..%5cpackage.json',
      '/api/canteen/photos/..%2F..%2Fpackage.json',
      '/api/canteen/photos/..%2Fcatalog.json',
      '/api/canteen/photos/%2e%2e',
      '/api/canteen/photos/a%00.jpg',
      '/api/cameras/..%2F..%2Fetc/latest.jpg',
    ]) {
      const r = await raw('GET', target, { headers: admin.headers });
      expect(r.status >= 400 && r.status < 500, `${target}: ${r.status}`).toBe(true);
      expect(r.text, target).not.toContain('"dependencies"');
      expect(r.text, target).not.toContain('"dishes"');
      expect(leaks(r.text), target).toBe(false);
    }
    expect(files()).toEqual(before);
  });

  it('keeps secrets out of /readyz, which anyone may read', async () => {
    await expect.poll(async () => JSON.stringify((await (await fetch(`${gw.url}/readyz`)).json()).uplinks), { timeout: 10_000 }).toContain('province');
    const text = await (await fetch(`${gw.url}/readyz`)).text();
    for (const s of SECRETS) expect(text).not.toContain(s);
    const log = gw.stdout();
    for (const s of SECRETS) expect(log).not.toContain(s);
  });

  it('serves /metrics to the metrics token, and to a facility or admin sign-in', async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${SECRETS[2]}` } })).status).toBe(200);
    expect((await fetch(`${gw.url}/metrics`, { headers: (await gw.loginAs('facility')).headers })).status).toBe(200);
    expect((await fetch(`${gw.url}/metrics`, { headers: (await gw.loginAs('kitchen')).headers })).status).toBe(403);
    // the metrics token is for /metrics only
    expect((await fetch(`${gw.url}/api/energy/summary`, { headers: { authorization: `Bearer ${SECRETS[2]}` } })).status).toBe(401);
  });
});

describe('start-up', () => {
  const deps = () => {
    const bus = new EventBus();
    const metrics = new Metrics();
    return { logger: createLogger('silent'), tracker: new DeviceTracker(bus, metrics), metrics, live: new LiveState(bus), stores: [], kioskFiles: new Map(), auth: null };
  };

  it('refuses to start with a route that declares no access rule, naming it', async () => {
    const area: FastifyPluginAsync = async (app) => {
      app.get('/api/forgotten', async () => ({ secret: true }));
    };
    await expect(createApp({ ...deps(), areas: [area] })).rejects.toThrow('route GET /api/forgotten declares no access rule');
  });

  it('refuses to start with a page that has no access rule', async () => {
    const kioskFiles = new Map([['/reports', { body: Buffer.from('<!doctype html>'), contentType: 'text/html; charset=utf-8' }]]);
    await expect(createApp({ ...deps(), kioskFiles })).rejects.toThrow('kiosk page /reports has no access rule');
  });

  it('answers an internal error with 500 "internal error", never the message, stack or path', async () => {
    const area: FastifyPluginAsync = async (app) => {
      app.get('/api/boom', { config: { access: 'public' } }, async () => {
        throw new Error('ENOENT: no such file /var/lib/canteen-edge/secret.db');
      });
    };
    const app = await createApp({ ...deps(), areas: [area] });
    try {
      const r = await app.inject({ method: 'GET', url: '/api/boom' });
      expect(r.statusCode).toBe(500);
      expect(r.json()).toEqual({ error: 'internal error' });
    } finally {
      await app.close();
    }
  });
});

describe('HTTPS', () => {
  it('serves HTTPS with the configured certificate, HSTS and Secure cookies; plain HTTP gets nothing', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-tls-'));
    mkdirSync(path.join(dir, 'tls'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'tls/key.pem', '-out', 'tls/cert.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'pipe' });
    const ca = readFileSync(path.join(dir, 'tls/cert.pem'));
    const configFile = path.join(dir, 'gateway.yaml');
    const write = (tls: unknown) => writeFileSync(configFile, stringify({ server: { host: '127.0.0.1', port: 0 }, paths: { data_dir: './data', models_dir: './models' }, auth: { tls } }));

    write({ cert: { file: 'tls/cert.pem' }, key: { file: 'tls/missing.pem' } });
    await expect(startService(loadConfig(configFile, {}), createLogger('silent'))).rejects.toThrow(/auth\.tls\.key\.file: cannot read .*missing\.pem \(ENOENT\)/);

    write({ cert: { file: 'tls/cert.pem' }, key: { file: 'tls/key.pem' } });
    const service = await startService(loadConfig(configFile, {}), createLogger('silent'));
    const request = (method: string, url: string, body?: string) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
        const req = https.request(`https://127.0.0.1:${service.port}${url}`, { method, ca, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const health = await request('GET', '/healthz');
      expect(health.status).toBe(200);
      expect(health.headers['strict-transport-security']).toBe('max-age=31536000');
      const password = /^password: (\S+)$/m.exec(readFileSync(path.join(dir, 'data/initial-admin-password.txt'), 'utf8'))![1];
      const login = await request('POST', '/api/auth/login', JSON.stringify({ username: 'admin', password }));
      expect(login.status).toBe(200);
      expect(String(login.headers['set-cookie'])).toMatch(/; Secure$/);
      const token = /ce_session=([^;]+)/.exec(String(login.headers['set-cookie']))![1]!;
      const socket = connect(`https://127.0.0.1:${service.port}/admin`, { transports: ['websocket'], ca, auth: { token }, reconnection: false, forceNew: true } as never);
      await new Promise((resolve, reject) => (socket.once('snapshot', resolve), socket.once('connect_error', reject)));
      socket.close();
      await expect(fetch(`http://127.0.0.1:${service.port}/healthz`)).rejects.toThrow();
    } finally {
      await service.stop();
    }
  }, 60_000);
});
