// The real `canteen-edge start` on its simulators: endpoints, live data over
// Socket.IO, the data directory, and a clean SIGTERM.
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MeterReadingMsg, ScaleWeightMsg } from '../gateway/wire/devices.ts';
import type { EnergySnapshot } from '../gateway/wire/energy.ts';
import { simulatorConfig, startGateway, type RunningGateway, type TestRole } from './helpers/gateway.ts';
import { freePort } from './helpers/ports.ts';

const logLines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });

describe('gateway on simulators', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw?.stop();
  });
  /** fetch options signed in as a role (accounts and sessions: gateway/auth) */
  const as = async (role: TestRole) => ({ headers: (await gw.loginAs(role)).headers });

  it('answers /healthz', async () => {
    const r = await fetch(`${gw.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });

  it('reports every device, store and uplink on /readyz', async () => {
    await expect
      .poll(async () => (await (await fetch(`${gw.url}/readyz`)).json()).devices.map((d: { id: string; state: string }) => `${d.id}:${d.state}`), { timeout: 10_000 })
      .toEqual(['main-meter:online', 'checkout-1:online', 'kitchen-line:online']);
    const body = await (await fetch(`${gw.url}/readyz`)).json();
    expect(body.ready).toBe(true);
    expect(body.stores.map((s: { name: string; state: string }) => `${s.name}:${s.state}`)).toEqual(['sqlite:ok', 'settings:ok']);
    expect(body.uplinks).toEqual([]);
  });

  it('serves Prometheus metrics prefixed canteen_edge_', async () => {
    const r = await fetch(`${gw.url}/metrics`, await as('facility'));
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    expect(text).toContain('canteen_edge_nodejs_eventloop_lag_seconds');
    expect(text).toContain('canteen_edge_process_cpu_seconds_total');
    expect(text).toMatch(/canteen_edge_device_polls_total\{device="main-meter",kind="meter",result="ok"\} [1-9]/);
    expect(text).toContain('canteen_edge_device_state{device="checkout-1",kind="scale",state="online"} 1');
    const names = text.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(/[{ ]/)[0]!);
    expect(names.filter((n) => !n.startsWith('canteen_edge_'))).toEqual([]);
  });

  it('streams live meter readings that move, and scale weights, over Socket.IO', async () => {
    const [facility, paired] = [await gw.loginAs('facility'), await gw.pairKiosk('checkout-1')];
    const energy = connect(`${gw.url}/energy`, { transports: ['websocket'], auth: { token: facility.token } });
    const kiosk = connect(`${gw.url}/kiosk`, { transports: ['websocket'], auth: { token: paired.token } });
    try {
      const snapshot = await new Promise<EnergySnapshot>((resolve) => energy.once('snapshot', resolve));
      expect(snapshot.site.name).toBe('测试食堂 Test canteen');
      const readings: MeterReadingMsg[] = [];
      energy.on('meter:reading', (m: MeterReadingMsg) => readings.push(m));
      const weights: ScaleWeightMsg[] = [];
      kiosk.on('scale:weight', (m: ScaleWeightMsg) => weights.push(m));
      await expect.poll(() => readings.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
      const powers = readings.map((r) => r.values.power_total!.value);
      expect(new Set(powers).size).toBeGreaterThan(1);
      expect(readings[0]!.values.energy_import!.unit).toBe('kWh');
      expect(weights.length).toBeGreaterThan(5);
      expect(weights[0]).toMatchObject({ deviceId: 'checkout-1', net: false, overload: false });
    } finally {
      energy.close();
      kiosk.close();
    }
  });

  it('serves the latest camera frame as JPEG, and 404 with a reason for an unknown camera', async () => {
    const r = await fetch(`${gw.url}/api/cameras/kitchen-line/latest.jpg`, await as('kitchen'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = Buffer.from(await r.arrayBuffer());
    expect(jpeg.subarray(0, 2).toString('hex')).toBe('ffd8');
    const missing = await fetch(`${gw.url}/api/cameras/nope/latest.jpg`, await as('kitchen'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no frame from camera nope' });
    const bad = await fetch(`${gw.url}/api/cameras/..%2Fetc/latest.jpg`, await as('kitchen'));
    expect(bad.status).toBe(400);
  });

  it('serves the energy summary and history of the simulated meter', async () => {
    await expect.poll(async () => (await (await fetch(`${gw.url}/api/energy/summary`, await as('facility'))).json()).meters[0]?.powerKw, { timeout: 10_000 }).toBeGreaterThan(1);
    const s = await (await fetch(`${gw.url}/api/energy/summary`, await as('facility'))).json();
    expect(s.meters[0]).toMatchObject({ id: 'main-meter', medium: 'electricity', unit: 'kWh', site: true });
    expect(s.sitePowerKw).toBe(s.meters[0].powerKw);
    // defaults: East China grid 2022 (MEE/NBS notice 2024-12-20), GB/T 2589-2020, sources shown on the panel
    expect(s.today.co2Kg).toBeCloseTo(s.today.electricityKwh * 0.5617, 9);
    expect(s.factors).toMatchObject({ electricityKgcePerKwh: 0.1229, gasKgcePerM3: 1.33, gridCo2KgPerKwh: 0.5617, gasCo2KgPerM3: 2.165 });
    expect(s.factors.sources.grid).toMatch(/2024-12-20/);
    expect(s.factors.sources.coal).toMatch(/GB\/T 2589-2020/);
    const series = await (await fetch(`${gw.url}/api/energy/series?period=15m`, await as('facility'))).json();
    expect(series.points).toHaveLength(96);
    const days = await (await fetch(`${gw.url}/api/energy/series?period=1d`, await as('facility'))).json();
    expect(days.points).toHaveLength(30);
    const group = await fetch(`${gw.url}/api/energy/series?period=15m&group=nope`, await as('facility'));
    expect(group.status).toBe(404);
    expect(await group.json()).toEqual({ error: 'no energy group "nope"' });
    const bad = await fetch(`${gw.url}/api/energy/series?period=5m`, await as('facility'));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toContain('querystring/period must be equal to one of the allowed values');
  });

  it('creates the data directory with the migrated SQLite database and settings', () => {
    expect(existsSync(path.join(gw.dataDir, 'settings.json'))).toBe(true);
    const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
    expect(db.prepare('SELECT version, name FROM schema_migrations').all()).toEqual([
      { version: 1, name: 'device_events' },
      { version: 2, name: 'energy' },
      { version: 3, name: 'outbox' },
      { version: 4, name: 'canteen' },
      { version: 5, name: 'payments' },
      { version: 6, name: 'auth' },
      { version: 7, name: 'biometrics' },
      { version: 8, name: 'kitchen_alerts' },
      { version: 9, name: 'food_safety' },
      { version: 10, name: 'payment_pins' },
      { version: 11, name: 'kitchen_zones' },
      { version: 12, name: 'payment_amount_checks' },
      { version: 13, name: 'auth_attempts' },
      { version: 14, name: 'face_law' },
      { version: 15, name: 'legal_weighing' },
      { version: 16, name: 'kitchen_sensors' },
    ]);
    const events = db.prepare("SELECT device, state FROM device_events WHERE state = 'online'").all();
    db.close();
    expect(events).toEqual(expect.arrayContaining([{ device: 'main-meter', state: 'online' }]));
  });

  it('exits 0 within 5 s of SIGTERM, with nothing logged at warn or above', async () => {
    const { code, ms, stdout, stderr } = await gw.stop();
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
    const lines = logLines(stdout);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(lines.at(-1)!.msg).toBe('stopped');
    // the only thing on the terminal: said once, plainly, which features are off without models and how to install them
    expect(stderr.trim().split('\n').map((l) => l.trim())).toEqual([
      '模型未安装，以下功能已关闭：刷脸支付 (face pay)、菜品识别 (dish recognition)、后厨识别 (kitchen detection)。安装命令：npx canteen-edge models pull（无网络时：npx canteen-edge models import 模型包.tar）',
      expect.stringMatching(/^models not installed \(.*\): these features are off: face pay, dish recognition, kitchen detection\. Install them with: npx canteen-edge models pull/),
    ]);
  });
});

describe('gateway readiness', () => {
  it('answers 503 with reasons while a required device is offline', async () => {
    const dead = await freePort();
    const config = await simulatorConfig({
      simulators: {},
      devices: { meters: [{ id: 'dead-meter', profile: 'sdm630', transport: { type: 'tcp', host: '127.0.0.1', port: dead }, poll_ms: 200, timeout_ms: 200, required: true }] },
    });
    const gw = await startGateway({ config });
    try {
      const readyz = async (headers: Record<string, string> = {}) => {
        const r = await fetch(`${gw.url}/readyz`, { headers });
        return { status: r.status, ...(await r.json()) };
      };
      await expect.poll(async () => (await readyz()).reasons[0], { timeout: 10_000 }).toMatch(/is offline/);
      const body = await readyz();
      expect(body.status).toBe(503);
      expect(body.ready).toBe(false);
      // anyone learns the state and the reason; the error with its address is for staff
      expect(body.reasons).toEqual(['meter dead-meter is offline']);
      const staff = await readyz((await gw.loginAs('facility')).headers);
      expect(staff.status).toBe(503);
      expect(staff.reasons[0]).toMatch(/^meter dead-meter is offline: .*cannot connect to 127\.0\.0\.1:\d+/);
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    } finally {
      expect((await gw.stop()).code).toBe(0);
    }
  });

  it('exits 0 on SIGINT too', async () => {
    const gw = await startGateway();
    const { code, ms } = await gw.stop('SIGINT');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000);
  });

  it('keeps /metrics behind a bearer token when one is configured', async () => {
    const gw = await startGateway({ config: await simulatorConfig({ server: { host: '127.0.0.1', port: 0, metrics_token: 'tok-123' } }) });
    try {
      expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer tok-123' } })).status).toBe(200);
      expect(gw.stdout()).not.toContain('tok-123');
    } finally {
      await gw.stop();
    }
  });
});
