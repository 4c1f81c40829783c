// Every route and every Socket.IO namespace against every role, on the real
// gateway. The route table comes from the gateway itself (GET /api/auth/rules,
// built as routes register); EXPECTED below is the reviewed policy. A route that is
// registered but not in EXPECTED (or the other way round), or whose declared rule
// differs, fails here; a route without any rule does not even start (see
// auth-hardening.test.ts). Then each route is called as each identity: the ones
// not allowed must get 401 (nobody signed in), 403 (wrong role, another station's
// kiosk) or, for pages, a redirect to /login.
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway, type TestSession } from './helpers/gateway.ts';

type Role = 'kiosk' | 'kitchen' | 'supervisor' | 'facility' | 'cashier' | 'admin';
const PUBLIC = 'public' as const;
const K = 'kiosk', KI = 'kitchen', S = 'supervisor', F = 'facility', C = 'cashier', A = 'admin';

/** `METHOD url` → who may call it (written out: admin everywhere, supervisor wherever kitchen). HEAD mirrors GET. */
const EXPECTED: Record<string, typeof PUBLIC | Role[]> = {
  'GET /healthz': PUBLIC,
  'GET /readyz': PUBLIC,
  'GET /metrics': [F, A],
  'GET /api/cameras/:id/latest.jpg': [KI, S, A],
  // kitchen safety alerts (gateway/kitchen)
  'GET /api/kitchen/alerts': [KI, S, A],
  'POST /api/kitchen/alerts/:id/ack': [KI, S, A],
  'POST /api/kitchen/alerts/:id/resolve': [KI, S, A],
  'GET /api/kitchen/alerts/:id/snapshot.jpg': [KI, S, A],
  'GET /api/kitchen/alerts/:id/clean.jpg': [KI, S, A],
  'GET /api/kitchen/cameras/:id/annotated.jpg': [KI, S, A],
  // kitchen zones drawn at /admin (gateway/kitchen/zones.ts)
  'GET /api/kitchen/cameras/:id/zones': [S, A],
  'PUT /api/kitchen/cameras/:id/zones': [S, A],
  // daily food-safety records (gateway/kitchen/records)
  'GET /api/kitchen/records/today': [KI, S, A],
  'GET /api/kitchen/records': [KI, S, A],
  'POST /api/kitchen/checks': [KI, S, A],
  'POST /api/kitchen/samples': [KI, S, A],
  'POST /api/kitchen/samples/:id/discard': [KI, S, A],
  'POST /api/kitchen/staff/:id/clear': [S, A],
  // legal-for-trade scales' verification (gateway/canteen/verification.ts)
  'GET /api/canteen/verifications': [S, C, A],
  'PUT /api/canteen/verifications/:scale': [A],
  'GET /api/canteen/audit': [S, A],
  // sunshine-kitchen sensors and kitchen waste (gateway/kitchen/sensors)
  'GET /api/kitchen/sensors': [KI, S, A],
  'POST /api/kitchen/waste': [KI, S, A],
  // pages
  'GET /': [K, A],
  'GET /kitchen': [KI, S, A],
  'GET /energy': [F, A],
  'GET /admin': [A],
  'GET /login': PUBLIC,
  // sign-in
  'POST /api/auth/login': PUBLIC,
  'POST /api/auth/logout': PUBLIC,
  'GET /api/auth/session': PUBLIC,
  'POST /api/auth/pair': PUBLIC,
  'POST /api/auth/kiosk-codes': [A],
  'GET /api/auth/kiosks': [A],
  'DELETE /api/auth/kiosks/:station': [A],
  'GET /api/auth/audit': [A],
  'GET /api/auth/rules': [A],
  // operations (gateway/ops)
  'GET /api/admin/ops': [A],
  'GET /api/admin/support-bundle': [A],
  // energy
  'GET /api/energy/summary': [F, A],
  'GET /api/energy/series': [F, A],
  // canteen
  'GET /api/canteen/catalog': [K, KI, S, C, A],
  'GET /api/canteen/recognition': [A],
  'POST /api/canteen/dishes/:id/enrol': [A],
  'DELETE /api/canteen/dishes/:id/enrol': [A],
  'POST /api/canteen/dishes': [A],
  'PUT /api/canteen/dishes/:id': [A],
  'DELETE /api/canteen/dishes/:id': [A],
  'PUT /api/canteen/dishes/:id/photo': [A],
  'DELETE /api/canteen/dishes/:id/photo': [A],
  'GET /api/canteen/photos/:name': [K, KI, S, C, A],
  'POST /api/canteen/dishes/import': [A],
  'GET /api/canteen/menu': [K, KI, S, C, A],
  'PUT /api/canteen/menu': [A],
  'GET /api/canteen/stations': [A],
  'GET /api/canteen/stations/:id': [K, A],
  'POST /api/canteen/stations/:id/select': [K, A],
  'POST /api/canteen/stations/:id/tray': [K, A],
  'POST /api/canteen/stations/:id/confirm': [K, A],
  'POST /api/canteen/stations/:id/cancel': [K, A],
  'GET /api/canteen/sales': [C, A],
  'GET /api/canteen/sales/:id': [K, C, A],
  'POST /api/canteen/sales/:id/paid': [C, A],
  'POST /api/canteen/sales/:id/cancel': [C, A],
  // payments
  'POST /api/payments/sales/:id/pay': [K, A], // a cashier confirms counter sales, it does not debit accounts (issue 11)
  'POST /api/payments/refunds': [S, A],
  'POST /api/payments/voids': [S, A],
  'POST /api/payments/topups': [A],
  'GET /api/payments/accounts': [A],
  'GET /api/payments/reconciliation': [S, A],
  'POST /api/payments/accounts/:id/pin': [A],
  'PUT /api/payments/accounts/:id': [A],
  // face pay (gateway/biometrics)
  'GET /api/biometrics/consent-text': [K, A],
  'GET /api/biometrics/status': [K, C, A],
  'GET /api/biometrics/impact-assessment': [A],
  'POST /api/biometrics/impact-assessment': [A],
  'GET /api/biometrics/people': [A],
  'POST /api/biometrics/consents': [A],
  'POST /api/biometrics/enrolments': [A],
  'POST /api/biometrics/people/:account_id/withdraw': [A],
  'DELETE /api/biometrics/people/:account_id': [A],
  'GET /api/biometrics/people/:account_id/export': [A],
  'GET /api/biometrics/audit': [A],
};
/** Kiosks only for their own station (the station is in the URL, or is the sale's). */
const STATION_SCOPED = new Set([
  'GET /api/canteen/stations/:id',
  'POST /api/canteen/stations/:id/select',
  'POST /api/canteen/stations/:id/tray',
  'POST /api/canteen/stations/:id/confirm',
  'POST /api/canteen/stations/:id/cancel',
  'GET /api/canteen/sales/:id',
  'POST /api/payments/sales/:id/pay',
]);
const PAGES = new Set(['/', '/kitchen', '/energy', '/admin']);
const NAMESPACES: Record<string, Role[]> = { '/': [], '/kiosk': [K, A], '/kitchen': [KI, S, A], '/energy': [F, A], '/admin': [A] };

interface RouteEntry { method: string; url: string; access: typeof PUBLIC | Role[]; station: boolean; page: boolean; token: boolean; schema: { params: boolean; querystring: boolean; body: boolean } }

/** who is calling: a role, and for kiosks whether the station in question is its own */
interface Identity { label: string; role: Role | null; own?: boolean; session?: TestSession }

let gw: RunningGateway;
let saleId: string;
let table: RouteEntry[];
const ids: Identity[] = [];

const key = (r: { method: string; url: string }) => `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url.startsWith('/assets/') ? '/assets/*' : r.url}`;

beforeAll(async () => {
  const base = (await simulatorConfig()) as { simulators: { scale: Record<string, unknown> }; devices: { scales: { transport: unknown }[] } & Record<string, unknown> };
  gw = await startGateway({
    config: {
      ...base,
      simulators: { ...base.simulators, scale: { ...base.simulators.scale, plates_g: [487], cycle_ms: 3000 } },
      devices: { ...base.devices, scales: [...base.devices.scales, { id: 'checkout-2', protocol: 'continuous', transport: base.devices.scales[0]!.transport }] },
      canteen: {
        pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 },
        stations: [
          { id: 'checkout-1', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: 'plate', tare_g: 136 }] },
          { id: 'checkout-2', scale: 'checkout-2', interval_g: 2 },
        ],
      },
    },
  });
  const [kiosk1, kiosk2] = [await gw.pairKiosk('checkout-1'), await gw.pairKiosk('checkout-2')];
  ids.push({ label: 'anonymous', role: null }, { label: 'kiosk of the station', role: K, own: true, session: kiosk1 }, { label: 'kiosk of another station', role: K, own: false, session: kiosk2 });
  for (const role of [KI, S, F, C, A] as const) ids.push({ label: role, role, session: await gw.loginAs(role) });

  // a sale of station checkout-1, for the receipt and payment routes
  const get = async (url: string) => (await fetch(`${gw.url}${url}`, { headers: kiosk1.headers })).json();
  for (const deadline = Date.now() + 20_000; (await get('/api/canteen/stations/checkout-1')).phase !== 'priced'; ) {
    if (Date.now() > deadline) throw new Error('station checkout-1 priced no plate within 20 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const { line } = await get('/api/canteen/stations/checkout-1');
  const sale = await fetch(`${gw.url}/api/canteen/stations/checkout-1/confirm`, { method: 'POST', headers: { ...kiosk1.headers, 'content-type': 'application/json' }, body: JSON.stringify({ lineId: line.id }) });
  expect(sale.status).toBe(201);
  saleId = (await sale.json()).id;

  table = (await (await fetch(`${gw.url}/api/auth/rules`, { headers: (await gw.loginAs('admin')).headers })).json()).routes;
}, 90_000);

afterAll(async () => {
  await gw?.stop();
});

/** A concrete URL for a route pattern. */
function urlOf(pattern: string): string {
  if (pattern.startsWith('/api/canteen/stations/:id')) return pattern.replace(':id', 'checkout-1');
  if (pattern.startsWith('/api/canteen/sales/:id') || pattern.startsWith('/api/payments/sales/:id')) return pattern.replace(':id', saleId);
  if (pattern.startsWith('/api/cameras/:id')) return pattern.replace(':id', 'kitchen-line');
  if (pattern.startsWith('/api/kitchen/cameras/:id')) return pattern.replace(':id', 'kitchen-line');
  if (pattern.startsWith('/api/kitchen/alerts/:id')) return pattern.replace(':id', '00000000-0000-4000-8000-000000000000');
  return pattern.replace(':name', 'nope.jpg').replace(':station', 'nope').replace(':id', 'nope');
}

function allowed(expected: typeof PUBLIC | Role[], id: Identity, k: string): boolean {
  if (expected === PUBLIC) return true;
  if (!id.role || !expected.includes(id.role)) return false;
  return id.role !== K || !STATION_SCOPED.has(k) || !!id.own;
}

describe('the route table', () => {
  it('has a reviewed rule for every registered route, and no rule for a route that is not there', () => {
    const registered = new Map<string, RouteEntry>();
    for (const r of table) registered.set(key(r), r);
    const missing = [...registered.keys()].filter((k) => !(k in EXPECTED) && k !== 'GET /assets/*');
    expect(missing, 'routes registered without an entry in EXPECTED: review who may call them').toEqual([]);
    expect(Object.keys(EXPECTED).filter((k) => !registered.has(k)), 'EXPECTED names routes that are not registered').toEqual([]);
    for (const r of table) {
      const k = key(r);
      expect(r.access, k).toEqual(k === 'GET /assets/*' ? PUBLIC : EXPECTED[k]);
      expect(r.station, k).toBe(STATION_SCOPED.has(k));
      expect(r.page, k).toBe(PAGES.has(r.url));
    }
  });

  it('gives every route a querystring schema, and one for its URL params', () => {
    for (const r of table) {
      expect(r.schema.querystring, key(r)).toBe(true);
      expect(r.schema.params, key(r)).toBe(r.url.includes(':'));
    }
  });
});

describe('every route refuses the wrong role', () => {
  it('answers 401, 403 or a redirect to /login to everyone the rule leaves out, and lets the others through', { timeout: 120_000 }, async () => {
    const problems: string[] = [];
    let calls = 0;
    for (const r of table) {
      const k = key(r);
      const expected = k === 'GET /assets/*' ? PUBLIC : EXPECTED[k]!;
      for (const id of ids) {
        // signing out would end the session the other rows need; it is tested in auth-login.test.ts
        if (k === 'POST /api/auth/logout' && id.session) continue;
        const url = id.role === K && !id.own && r.url === '/' ? '/?station=checkout-2' : urlOf(r.url);
        const body = r.method === 'POST' || r.method === 'PUT' ? '{}' : undefined;
        const res = await fetch(`${gw.url}${url}`, {
          method: r.method,
          redirect: 'manual',
          headers: { ...(id.session?.headers ?? {}), ...(body ? { 'content-type': 'application/json' } : {}) },
          body,
        });
        calls++;
        const toLogin = res.status === 302 && (res.headers.get('location') ?? '').startsWith('/login?next=');
        const refused = res.status === 401 || res.status === 403 || toLogin;
        const want = allowed(expected, id, k);
        if (want && refused) problems.push(`${k} as ${id.label}: refused with ${res.status}`);
        if (!want) {
          const right = r.page ? toLogin : res.status === (id.role ? 403 : 401);
          if (!right) problems.push(`${k} as ${id.label}: expected ${r.page ? 'a redirect to /login' : id.role ? 403 : 401}, got ${res.status}`);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(calls).toBeGreaterThan(300);
  });

  it('takes server.metrics_token only where the rule says so', async () => {
    // no metrics token configured here: a made-up bearer token is nobody
    expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer made-up' } })).status).toBe(401);
    expect((await fetch(`${gw.url}/api/canteen/stations`, { headers: { authorization: 'Bearer made-up' } })).status).toBe(401);
  });

  it('accepts a session as a bearer token as well as a cookie', async () => {
    const admin = await gw.loginAs('admin');
    expect((await fetch(`${gw.url}/api/auth/audit`, { headers: { authorization: `Bearer ${admin.token}` } })).status).toBe(200);
  });
});

describe('every namespace refuses the wrong role', () => {
  const open = (ns: string, id: Identity) =>
    new Promise<{ ok: true; socket: Socket } | { ok: false; message: string }>((resolve) => {
      const socket = connect(`${gw.url}${ns}`, { transports: ['websocket'], forceNew: true, reconnection: false, ...(id.session ? { auth: { token: id.session.token } } : {}) });
      socket.once('connect', () => resolve({ ok: true, socket }));
      socket.once('connect_error', (e) => {
        socket.close();
        resolve({ ok: false, message: e.message });
      });
    });

  it('connects the roles a namespace allows; connect_error "unauthorized" without credentials, "forbidden" for the others and on `/`', async () => {
    const problems: string[] = [];
    for (const [ns, roles] of Object.entries(NAMESPACES)) {
      for (const id of ids) {
        if (id.role === K && !id.own) continue; // kiosks are not bound to a station on /kiosk; rooms are (below)
        const r = await open(ns, id);
        const want = !!id.role && roles.includes(id.role);
        if (r.ok) r.socket.close();
        if (want && !r.ok) problems.push(`${ns} as ${id.label}: refused (${r.message})`);
        if (!want && r.ok) problems.push(`${ns} as ${id.label}: connected`);
        // a namespace nobody may use (the default `/`) is "forbidden" whoever asks
        if (!want && !r.ok && r.message !== (id.role || roles.length === 0 ? 'forbidden' : 'unauthorized')) problems.push(`${ns} as ${id.label}: ${r.message}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('refuses a client event no rule allows, with an acknowledgement saying so', async () => {
    const r = await open('/admin', ids.find((i) => i.role === A)!);
    if (!r.ok) throw new Error(r.message);
    try {
      const answer = await r.socket.timeout(5000).emitWithAck('outbox:flush', {});
      expect(answer).toEqual({ error: 'event "outbox:flush" is not allowed here' });
      expect(r.socket.connected).toBe(true);
    } finally {
      r.socket.close();
    }
  });

  it('gives a paired kiosk its own station and scale only; admin every station', async () => {
    const kiosk2 = await open('/kiosk', ids.find((i) => i.role === K && !i.own)!);
    const admin = await open('/kiosk', ids.find((i) => i.role === A)!);
    if (!kiosk2.ok || !admin.ok) throw new Error('not connected');
    const seen = { kiosk: new Set<string>(), admin: new Set<string>() };
    kiosk2.socket.on('scale:weight', (m: { deviceId: string }) => seen.kiosk.add(`scale:${m.deviceId}`));
    kiosk2.socket.on('station:state', (m: { station: string }) => seen.kiosk.add(`station:${m.station}`));
    admin.socket.on('scale:weight', (m: { deviceId: string }) => seen.admin.add(`scale:${m.deviceId}`));
    admin.socket.on('station:state', (m: { station: string }) => seen.admin.add(`station:${m.station}`));
    try {
      await expect.poll(() => seen.admin.size, { timeout: 10_000 }).toBe(4);
      expect([...seen.kiosk].sort()).toEqual(['scale:checkout-2', 'station:checkout-2']);
    } finally {
      kiosk2.socket.close();
      admin.socket.close();
    }
  });
});
