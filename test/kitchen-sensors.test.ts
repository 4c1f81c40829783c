// Sunshine-kitchen sensors on the real gateway: cold rooms read from Debian's pymodbus
// (Modbus TCP), from the fault-injecting RTU peer on a socat pty (garbled frames), and
// from DS18B20 probes through a fake w1 sysfs directory (the lowest layer the kernel
// shows); a disinfection cabinet's running contact; kitchen-waste disposals. Attacks:
// garbled frames and CRC failures counted and skipped, a silent sensor is an alarm and
// no temperature (not 0 °C), huge and negative values refused, wrong roles refused.
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KitchenAlertMsg } from '../gateway/wire/kitchen.ts';
import type { ColdRoomStatusMsg, KitchenSensorsMsg } from '../gateway/wire/kitchen-sensors.ts';
import { simulatorConfig, startGateway, type RunningGateway, type TestSession } from './helpers/gateway.ts';
import { freePort } from './helpers/ports.ts';
import { ptyPair, startFaultPeer, startPymodbus, type FaultPeer } from './peers/modbus.ts';

const w1 = mkdtempSync(path.join(os.tmpdir(), 'w1-devices-'));
const PROBE = '28-0316a2796bff';
const probe = (text: string) => {
  mkdirSync(path.join(w1, PROBE), { recursive: true });
  writeFileSync(path.join(w1, PROBE, 'w1_slave'), text);
};
const W1_OK = (milli: number) => `72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=${milli}\n`;

let gw: RunningGateway;
let tcp: { port: number; stop(): Promise<void> };
let pty: Awaited<ReturnType<typeof ptyPair>>;
let faults: FaultPeer;
let kitchen: TestSession;
let cabinetPort: number;
let cabinet: { port: number; stop(): Promise<void> };
const cabinetServer = (running: boolean) => startPymodbus({ transport: 'tcp', port: cabinetPort, units: { 1: { coils: [{ addr: 0, bits: [running ? 1 : 0] }] } } });

beforeAll(async () => {
  probe(W1_OK(4500));
  tcp = await startPymodbus({
    transport: 'tcp',
    units: {
      // humidity 65.0 %, 4.2 °C, the door contact closed→open (1)
      1: { holding: [{ addr: 0, regs: [650, 42] }], discrete: [{ addr: 0, bits: [1] }] },
      // a broken transmitter: 3276.7 °C
      2: { holding: [{ addr: 0, regs: [500, 0x7fff] }] },
      // another: −3276.8 °C
      3: { holding: [{ addr: 0, regs: [500, 0x8000] }] },
      // a disinfection cabinet running
      4: { coils: [{ addr: 0, bits: [1] }] },
    },
  });
  cabinetPort = await freePort();
  cabinet = await cabinetServer(true);
  pty = await ptyPair();
  faults = await startFaultPeer(pty.a, { 1: { holding: [{ addr: 0, regs: [700, 31] }] } });
  const base = await simulatorConfig();
  const mb = (unit: number) => ({ type: 'modbus', transport: { type: 'tcp', host: '127.0.0.1', port: tcp.port }, unit_id: unit, timeout_ms: 300, temperature: { address: 1 } });
  gw = await startGateway({
    config: {
      ...base,
      kitchen_sensors: {
        cold_rooms: [
          { id: 'fridge-probe', name: '冷藏柜 探头', kind: 'refrigerated', excursion_ms: 0, silent_after_ms: 4000, poll_ms: 250, source: { type: 'w1', device: PROBE, dir: w1 } },
          { id: 'fridge-door', name: '冷藏库', kind: 'refrigerated', door_open_limit_s: 1, poll_ms: 250, source: { ...mb(1), humidity: { address: 0, type: 'uint16' }, door: { address: 0 } } },
          { id: 'freezer-huge', name: '冷冻库 A', kind: 'frozen', silent_after_ms: 2000, poll_ms: 250, source: mb(2) },
          { id: 'freezer-negative', name: '冷冻库 B', kind: 'frozen', silent_after_ms: 2000, poll_ms: 250, source: mb(3) },
          {
            id: 'fridge-rtu',
            name: '冷藏柜 RS-485',
            kind: 'refrigerated',
            silent_after_ms: 60_000,
            poll_ms: 200,
            source: { type: 'modbus', transport: { type: 'serial', path: pty.b }, unit_id: 1, timeout_ms: 150, temperature: { address: 1 }, humidity: { address: 0, type: 'uint16' } },
          },
        ],
        waste: { scale: 'checkout-1' },
        disinfection: [
          { id: 'cabinet', name: '消毒柜', kind: 'cabinet', poll_ms: 250, source: { type: 'modbus', transport: { type: 'tcp', host: '127.0.0.1', port: tcp.port }, unit_id: 4, input: { function: 'coils', address: 0 } } },
          { id: 'uv', name: '紫外线灯', kind: 'uv_lamp', poll_ms: 250, source: { type: 'modbus', transport: { type: 'tcp', host: '127.0.0.1', port: cabinetPort }, unit_id: 1, timeout_ms: 300, input: { function: 'coils', address: 0 } } },
        ],
      },
    },
  });
  kitchen = await gw.loginAs('kitchen');
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await faults?.stop();
  await pty?.stop();
  await tcp?.stop();
  await cabinet?.stop();
});

const sensors = async (): Promise<KitchenSensorsMsg> => (await fetch(`${gw.url}/api/kitchen/sensors`, { headers: kitchen.headers })).json() as Promise<KitchenSensorsMsg>;
const room = async (id: string): Promise<ColdRoomStatusMsg> => (await sensors()).coldRooms.find((r) => r.id === id)!;
const alerts = async (): Promise<KitchenAlertMsg[]> => ((await (await fetch(`${gw.url}/api/kitchen/alerts?limit=200`, { headers: kitchen.headers })).json()) as { alerts: KitchenAlertMsg[] }).alerts;
const outbox = (type: string) => {
  const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
  try {
    return (db.prepare("SELECT id, payload FROM outbox_records WHERE stream = 'events' ORDER BY seq").all() as { id: string; payload: string }[])
      .map((r) => ({ recordId: r.id, ...(JSON.parse(r.payload) as Record<string, unknown>) }) as Record<string, unknown>)
      .filter((r) => r.type === type);
  } finally {
    db.close();
  }
};
const poll = { timeout: 30_000, interval: 200 };

describe('cold rooms', () => {
  it('a Modbus transmitter (pymodbus): temperature, humidity and the door; a door open too long raises an alert', async () => {
    await expect.poll(() => room('fridge-door'), poll).toMatchObject({ state: 'ok', temperatureC: 4.2, humidityPct: 65, doorOpen: true, minC: 0, maxC: 8 });
    await expect.poll(async () => (await alerts()).filter((a) => a.type === 'cold_room_door_open' && a.zone === 'fridge-door'), poll).toHaveLength(1);
    expect((await alerts()).find((a) => a.type === 'cold_room_door_open')!.message).toMatch(/^冷藏库：门已打开 \d+ 秒$/);
    await expect.poll(() => outbox('cold-room-reading').filter((r) => r.room === 'fridge-door'), poll).toEqual([expect.objectContaining({ temperatureC: 4.2, humidityPct: 65, doorOpen: true, why: 'periodic' })]);
  });

  it('a DS18B20 (fake w1 sysfs): failed CRCs, garbled files and the 85 °C power-on value are counted and skipped', async () => {
    await expect.poll(() => room('fridge-probe'), poll).toMatchObject({ state: 'ok', temperatureC: 4.5 });
    probe('72 01 4b 46 7f ff 0e 10 57 : crc=57 NO\n72 01 4b 46 7f ff 0e 10 57 t=-1250\n');
    await expect.poll(async () => (await room('fridge-probe')).refused.crc ?? 0, poll).toBeGreaterThan(0);
    probe('72 01 4b 46 7f ff ff\n');
    await expect.poll(async () => (await room('fridge-probe')).refused.garbled ?? 0, poll).toBeGreaterThan(0);
    probe(W1_OK(85_000));
    await expect.poll(async () => (await room('fridge-probe')).refused['power-on'] ?? 0, poll).toBeGreaterThan(0);
    probe(W1_OK(200_000));
    await expect.poll(async () => (await room('fridge-probe')).refused['out-of-range'] ?? 0, poll).toBeGreaterThan(0);
    // none of them became a reading: the last valid one stands, no alert was raised
    expect(await room('fridge-probe')).toMatchObject({ temperatureC: 4.5, state: 'ok' });
    expect((await alerts()).filter((a) => a.zone === 'fridge-probe')).toEqual([]);
  });

  it('above 8 °C in a refrigerated room: a critical alert, and the excursion goes upstream', async () => {
    probe(W1_OK(12_250));
    await expect.poll(async () => (await alerts()).filter((a) => a.type === 'cold_room_temperature' && a.zone === 'fridge-probe'), poll).toEqual([
      expect.objectContaining({ severity: 'critical', state: 'open', message: '冷藏柜 探头：温度 12.25 °C，超出 0–8 °C' }),
    ]);
    expect(outbox('cold-room-reading').filter((r) => r.room === 'fridge-probe' && r.why === 'excursion')).toEqual([expect.objectContaining({ temperatureC: 12.25, minC: 0, maxC: 8 })]);
    expect(outbox('cold-room-reading').length).toBeGreaterThan(0);
    const upstream = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
    const queued = upstream.prepare("SELECT COUNT(*) AS n FROM outbox_records WHERE stream = 'alerts' AND payload LIKE '%cold_room_temperature%'").get() as { n: number };
    upstream.close();
    expect(queued.n).toBeGreaterThan(0);
  });

  it('a probe that goes away is silent: an alarm, and no temperature at all — not 0 °C, not the last value', async () => {
    rmSync(path.join(w1, PROBE), { recursive: true });
    await expect.poll(() => room('fridge-probe'), poll).toMatchObject({ state: 'silent', temperatureC: null });
    await expect.poll(async () => (await alerts()).filter((a) => a.type === 'sensor_silent' && a.zone === 'fridge-probe'), poll).toHaveLength(1);
    expect((await room('fridge-probe')).refused['no-device']).toBeGreaterThan(0);
    const ready = await (await fetch(`${gw.url}/readyz`, { headers: (await gw.loginAs('admin')).headers })).json();
    expect(ready.kitchenSensors.problems).toEqual(expect.arrayContaining(['cold room fridge-probe: silent']));
  });

  it('huge and negative register values are refused, never shown; the room is an alarm', async () => {
    for (const id of ['freezer-huge', 'freezer-negative']) {
      await expect.poll(() => room(id), poll).toMatchObject({ state: 'silent', temperatureC: null, readings: 0 });
      expect((await room(id)).refused['out-of-range']).toBeGreaterThan(0);
      expect((await room(id)).lastRefusal).toMatch(id === 'freezer-huge' ? /3276\.7 °C is outside/ : /-3276\.8 °C is outside/);
    }
    await expect.poll(async () => (await alerts()).filter((a) => a.type === 'sensor_silent' && a.zone?.startsWith('freezer-')).length, poll).toBe(2);
  });

  it('garbled RS-485 frames (bad CRC, noise) are counted and skipped; good frames read on', async () => {
    await expect.poll(() => room('fridge-rtu'), poll).toMatchObject({ state: 'ok', temperatureC: 3.1, humidityPct: 70 });
    const before = await room('fridge-rtu');
    await faults.fault(1, 'crc', 4);
    await expect.poll(async () => (await room('fridge-rtu')).bus.crcErrors ?? 0, poll).toBeGreaterThan(before.bus.crcErrors ?? 0);
    await faults.fault(1, 'garbage', 3);
    await expect.poll(async () => (await room('fridge-rtu')).readings, poll).toBeGreaterThan(before.readings + 3);
    const after = await room('fridge-rtu');
    expect(after.refused['no-answer']).toBeGreaterThan(0);
    expect(after).toMatchObject({ state: 'ok', temperatureC: 3.1 });
  });
});

describe('disinfection', () => {
  it('a cabinet\'s running contact shows it running', async () => {
    await expect.poll(async () => (await sensors()).disinfection[0], poll).toMatchObject({ id: 'cabinet', running: true, minCycleMinutes: 10, signalError: null });
  });

  it('a lamp switched on then off is one cycle record (here too short to count), in SQLite and upstream', async () => {
    await expect.poll(async () => (await sensors()).disinfection.find((d) => d.id === 'uv'), poll).toMatchObject({ running: true, minCycleMinutes: 30 });
    await cabinet.stop();
    // while the peer is away the signal fails, with the reason; the lamp is not taken as switched off
    await expect.poll(async () => (await sensors()).disinfection.find((d) => d.id === 'uv')!.signalError, poll).toBeTruthy();
    expect((await sensors()).cycles).toEqual([]);
    cabinet = await cabinetServer(false);
    await expect.poll(async () => (await sensors()).cycles, poll).toEqual([expect.objectContaining({ unit: 'uv', full: false })]);
    expect((await sensors()).disinfection.find((d) => d.id === 'uv')).toMatchObject({ running: false, signalError: null, lastFullCycleEndedAt: null });
    expect(outbox('disinfection-cycle')).toEqual([expect.objectContaining({ unit: 'uv', name: '紫外线灯', kind: 'uv_lamp', full: false })]);
  });
});

describe('kitchen waste', () => {
  const post = async (session: TestSession, body: unknown) =>
    fetch(`${gw.url}/api/kitchen/waste`, { method: 'POST', headers: { ...session.headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('a disposal is weighed on the bin scale (its stable reading), with the carrier\'s name, and goes upstream', async () => {
    // the simulated indicator cycles empty → plate → stable → lifted: a 409 (empty or not stable) until a plate is steady on it
    let row: Record<string, unknown> | undefined;
    const refusals = new Set<number>();
    await expect
      .poll(
        async () => {
          const res = await post(kitchen, { carrier: '王师傅', company: '绿源收运' });
          if (res.status === 201) row = await res.json();
          else refusals.add(res.status);
          return res.status;
        },
        { timeout: 30_000, interval: 150 },
      )
      .toBe(201);
    expect([...refusals].every((s) => s === 409)).toBe(true);
    expect(row).toMatchObject({ carrier: '王师傅', company: '绿源收运', fromScale: true, scale: 'checkout-1', recordedBy: 'test-kitchen' });
    expect([352, 418, 275, 506]).toContain(row!.grams);
    expect((await sensors()).waste.map((w) => w.id)).toEqual([row!.id]);
    expect(outbox('kitchen-waste')).toEqual([expect.objectContaining({ recordId: expect.stringMatching(new RegExp(`:events:kitchen-waste:${row!.id}$`)), carrier: '王师傅', grams: row!.grams })]);
  });

  it('bad input is a 400 with the reason; nothing is recorded', async () => {
    const before = (await sensors()).waste.length;
    // a typed weight when the bin scale weighs, and malformed bodies
    for (const body of [{ carrier: '王师傅', grams: 100 }, { carrier: '王师傅', grams: -5 }, { carrier: '王师傅', grams: 5_000_000 }, { carrier: '   ' }, {}, { carrier: '王师傅', grams: 1.5 }, { carrier: 'x'.repeat(41) }]) {
      const res = await post(kitchen, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).error).toBeTruthy();
    }
    expect((await sensors()).waste.length).toBe(before);
    expect(outbox('kitchen-waste').length).toBe(before);
  });

  it('facility staff and cashiers can neither record nor read', async () => {
    for (const role of ['facility', 'cashier'] as const) {
      const s = await gw.loginAs(role);
      expect((await post(s, { carrier: '王师傅', grams: 100 })).status).toBe(403);
      expect((await fetch(`${gw.url}/api/kitchen/sensors`, { headers: s.headers })).status).toBe(403);
    }
    expect((await fetch(`${gw.url}/api/kitchen/sensors`)).status).toBe(401);
  });
});
