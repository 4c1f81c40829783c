// Zones drawn at /admin (gateway/kitchen/zones.ts): saved in SQLite over the config's zones
// (override, hide, add; equal to the config → the default again), audited per zone, refused
// with every reason when a rule would lose its zone; the HTTP routes' validation and access
// on the real gateway; and applied live: the real YOLOX-nano looks at the person photo while
// the rule's zone is redrawn, and the rule fires only once its zone holds the person.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { image, requireShared, SHARED_MODELS_DIR } from '../bench/recognition/photos.ts';
import { cameraConfigSchema } from '../drivers/camera/config.ts';
import type { Detection } from '../models/detector/detector.ts';
import { createModelRegistry } from '../models/registry.ts';
import { AuthStore } from '../gateway/auth/store.ts';
import { EventBus } from '../gateway/bus/event-bus.ts';
import { kitchenConfigSchema, type ZoneConfig } from '../gateway/kitchen/config.ts';
import { KitchenModule } from '../gateway/kitchen/module.ts';
import { pointInPolygon, type RuleFire } from '../gateway/kitchen/rules.ts';
import { KitchenZones, ZoneError, effectiveZones, type ZoneInput } from '../gateway/kitchen/zones.ts';
import { LiveState } from '../gateway/live.ts';
import { createLogger } from '../gateway/log.ts';
import { openDatabase, type Db } from '../gateway/store/sqlite.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kitchen-zones-'));
const SIZE = { width: 640, height: 360 };
const LINE = { id: 'line', name: '切配区', points: [[0, 0], [1, 0], [1, 1], [0, 1]] };
/** 64 × 36 px from the top-left corner, in pixels */
const DOOR = { id: 'door', units: 'pixels', points: [[0, 0], [64, 0], [64, 36], [0, 36]] };
const kitchenCamera = (rules: Record<string, unknown>[] = [{ id: 'person-on-line', alert: 'person_in_zone', when: { label: 'person' }, zones: ['line'] }]) =>
  kitchenConfigSchema.parse({ cameras: [{ camera: 'cam', zones: [LINE, DOOR], rules }] }).cameras[0]!;
const TRIANGLE: [number, number][] = [[0.1, 0.1], [0.4, 0.1], [0.25, 0.5]];

function store(rules?: Record<string, unknown>[]): { zones: KitchenZones; db: Db; applied: { camera: string; zones: ZoneConfig[] }[] } {
  const db = openDatabase(mkdtempSync(path.join(tmp, 'db-')));
  const applied: { camera: string; zones: ZoneConfig[] }[] = [];
  const zones = new KitchenZones({ db, cameras: new Map([['cam', SIZE], ['other', SIZE]]), configs: new Map([['cam', kitchenCamera(rules)]]), apply: (camera, z) => applied.push({ camera, zones: z }) });
  return { zones, db, applied };
}
const who = { actor: 'test-admin', role: 'admin', client: '127.0.0.1' };
const configAsSent = (): ZoneInput[] => [
  { id: 'line', name: '切配区', points: LINE.points as [number, number][] },
  { id: 'door', points: [[0, 0], [0.1, 0], [0.1, 0.1], [0, 0.1]] },
];

describe('zones saved over the config', () => {
  it('starts with the config zones, pixels normalised, each marked as from the config', () => {
    const { zones } = store();
    const v = zones.view('cam');
    expect(v).toMatchObject({ camera: 'cam', width: 640, height: 360, removed: [], rules: [{ id: 'person-on-line', zones: ['line'] }] });
    expect(v.zones.map((z) => [z.id, z.source, z.name])).toEqual([['line', 'config', '切配区'], ['door', 'config', null]]);
    expect(v.zones[1]!.points).toEqual([[0, 0], [0.1, 0], [0.1, 0.1], [0, 0.1]]);
    expect(zones.view('other').zones).toEqual([]);
  });

  it('a redrawn config zone overrides it, a new one is added, a left-out one is hidden; reloaded from SQLite', () => {
    const { zones, db, applied } = store();
    const saved = zones.save('cam', [{ id: 'line', name: '切配区', points: TRIANGLE, anchor: 'bottom' }, { id: 'sink', name: '水池', points: [[0.5, 0.5], [0.9, 0.5], [0.9, 0.9]] }], who);
    expect(saved.zones.map((z) => [z.id, z.source, z.updatedBy])).toEqual([['line', 'override', 'test-admin'], ['sink', 'site', 'test-admin']]);
    expect(saved.removed.map((z) => [z.id, z.source])).toEqual([['door', 'config']]);
    // applied to the running rules: normalised configs, the override's polygon
    expect(applied).toEqual([{ camera: 'cam', zones: [
      { id: 'line', name: '切配区', units: 'normalised', points: TRIANGLE, anchor: 'bottom' },
      { id: 'sink', name: '水池', units: 'normalised', points: [[0.5, 0.5], [0.9, 0.5], [0.9, 0.9]], anchor: 'centre' },
    ] }]);
    // a fresh store on the same database (a restart) sees the same
    const again = new KitchenZones({ db, cameras: new Map([['cam', SIZE]]), configs: new Map([['cam', kitchenCamera()]]), apply: () => {} });
    expect(again.view('cam')).toEqual(saved);
    expect(again.effective('cam').zones.map((z) => z.id)).toEqual(['line', 'sink']);
    // another camera is not touched
    expect(zones.view('other').zones).toEqual([]);
  });

  it('zones equal to the config are the default again (no row); a hidden config zone comes back when sent again', () => {
    const { zones, db } = store();
    zones.save('cam', [{ id: 'line', points: TRIANGLE }], who);
    const back = zones.save('cam', configAsSent(), who);
    expect(back.zones.map((z) => [z.id, z.source])).toEqual([['line', 'config'], ['door', 'config']]);
    expect(back.removed).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM kitchen_zones').get()).toEqual({ n: 0 });
  });

  it('a config zone hidden at /admin that a rule of the config needs later is back for the rules', () => {
    const { zones, db } = store([{ id: 'person-on-line', alert: 'person_in_zone', when: { label: 'person' }, zones: ['line'] }]);
    zones.save('cam', [{ id: 'line', points: TRIANGLE }], who); // door hidden
    const later = new KitchenZones({ db, cameras: new Map([['cam', SIZE]]), configs: new Map([['cam', kitchenCamera([{ id: 'door-open', alert: 'door', when: { label: 'person' }, zones: ['door'] }])]]), apply: () => {} });
    const { zones: z, revived } = later.effective('cam');
    expect(revived).toEqual(['door']);
    expect(z.map((x) => x.id)).toEqual(['line', 'door']);
  });

  it('effectiveZones keeps a zone only drawn at /admin when the config has none for the camera', () => {
    const row = { camera: 'x', zone: 'bin', name: null, points: JSON.stringify(TRIANGLE), anchor: 'centre' as const, removed: 0, updated_at: 1, updated_by: 'a' };
    expect(effectiveZones([], [row], SIZE).zones).toEqual([{ id: 'bin', name: null, points: TRIANGLE, anchor: 'centre', source: 'site', updatedAt: 1, updatedBy: 'a' }]);
  });

  it('records who, when, camera and zone in the audit log, one line per zone changed', () => {
    const { zones, db } = store();
    const t0 = Date.now();
    zones.save('cam', [{ id: 'line', points: TRIANGLE }, { id: 'door', points: configAsSent()[1]!.points }, { id: 'sink', points: TRIANGLE }], who);
    zones.save('cam', [{ id: 'line', points: TRIANGLE }], { actor: 'test-supervisor', role: 'supervisor' });
    const log = new AuthStore(db).auditLog(10).reverse();
    expect(log.map((l) => [l.actor, l.action, JSON.parse(l.detail!)])).toEqual([
      ['test-admin', 'kitchen zone', { camera: 'cam', zone: 'line', change: 'redrawn' }],
      ['test-admin', 'kitchen zone', { camera: 'cam', zone: 'sink', change: 'drawn' }],
      ['test-supervisor', 'kitchen zone', { camera: 'cam', zone: 'door', change: 'hidden' }],
      ['test-supervisor', 'kitchen zone', { camera: 'cam', zone: 'sink', change: 'deleted' }],
    ]);
    expect(log[0]!.at).toBeGreaterThanOrEqual(t0);
    expect(log.map((l) => l.role)).toEqual(['admin', 'admin', 'supervisor', 'supervisor']);
    // the zone the supervisor sent back unchanged is still the admin's drawing
    expect(zones.view('cam').zones.map((z) => [z.id, z.updatedBy])).toEqual([['line', 'test-admin']]);
  });

  it('refuses, naming the rule and the zone, a save that takes away a zone a rule uses; duplicates and flat polygons too; nothing is written', () => {
    const { zones, db, applied } = store();
    const err = (() => {
      try {
        zones.save('cam', [{ id: 'door', points: TRIANGLE }, { id: 'door', points: TRIANGLE }, { id: 'flat', points: [[0, 0], [0.5, 0.5], [1, 1]] }], who);
      } catch (e) {
        return e as ZoneError;
      }
      throw new Error('saved');
    })();
    expect(err).toBeInstanceOf(ZoneError);
    expect(err.statusCode).toBe(400);
    expect(err.message).toContain('zone "door" is there twice');
    expect(err.message).toContain('zone "flat" has no area');
    expect(err.message).toContain('zone "line" is used by rule "person-on-line"');
    expect(db.prepare('SELECT COUNT(*) AS n FROM kitchen_zones').get()).toEqual({ n: 0 });
    expect(applied).toEqual([]);
    expect(() => zones.view('nope')).toThrow(/unknown camera nope; expected one of devices.cameras: cam, other/);
  });
});

describe('the zone routes on the real gateway', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    requireShared(['yolox_nano.onnx', 'coco.names']);
    const base = (await simulatorConfig()) as { devices: { cameras: Record<string, unknown>[] } };
    gw = await startGateway({
      config: {
        ...base,
        devices: { ...base.devices, cameras: [{ ...base.devices.cameras[0]!, width: 640, height: 360 }] },
        kitchen: { cameras: [{ camera: 'kitchen-line', zones: [LINE, DOOR], rules: [{ id: 'person-on-line', alert: 'person_in_zone', when: { label: 'person' }, zones: ['line'] }] }] },
      },
      env: { CANTEEN_EDGE_MODELS_DIR: SHARED_MODELS_DIR },
    });
  }, 90_000);
  afterAll(async () => {
    await gw?.stop();
  });

  const put = async (role: 'admin' | 'supervisor' | 'kitchen' | 'facility', body: unknown, camera = 'kitchen-line') =>
    fetch(`${gw.url}/api/kitchen/cameras/${camera}/zones`, { method: 'PUT', headers: { ...(await gw.loginAs(role)).headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('supervisors and admin read and save; kitchen and facility staff get 403', { timeout: 60_000 }, async () => {
    const sup = await gw.loginAs('supervisor');
    const got = await (await fetch(`${gw.url}/api/kitchen/cameras/kitchen-line/zones`, { headers: sup.headers })).json();
    expect(got.zones.map((z: { id: string; source: string }) => `${z.id}:${z.source}`)).toEqual(['line:config', 'door:config']);
    const res = await put('supervisor', { zones: [{ id: 'line', name: '切配区', points: TRIANGLE }, configAsSent()[1]] });
    expect(res.status).toBe(200);
    expect((await res.json()).zones.map((z: { id: string; source: string; updatedBy: string | null }) => `${z.id}:${z.source}:${z.updatedBy}`)).toEqual(['line:override:test-supervisor', 'door:config:null']);
    for (const role of ['kitchen', 'facility'] as const) {
      expect((await put(role, { zones: configAsSent() })).status).toBe(403);
      expect((await fetch(`${gw.url}/api/kitchen/cameras/kitchen-line/zones`, { headers: (await gw.loginAs(role)).headers })).status).toBe(403);
    }
    const audit = await (await fetch(`${gw.url}/api/auth/audit?limit=20`, { headers: (await gw.loginAs('admin')).headers })).json();
    expect(audit.find((a: { action: string }) => a.action === 'kitchen zone')).toMatchObject({ actor: 'test-supervisor', role: 'supervisor', detail: JSON.stringify({ camera: 'kitchen-line', zone: 'line', change: 'redrawn' }) });
  });

  it('answers 400 with the reason for bad polygons, ids and deleted zones a rule uses; 404 for an unknown camera', { timeout: 60_000 }, async () => {
    const reason = async (body: unknown) => {
      const r = await put('admin', body);
      expect(r.status).toBe(400);
      return ((await r.json()) as { error: string }).error;
    };
    await expect(reason({ zones: [{ id: 'line', points: [[0, 0], [1, 1]] }] })).resolves.toMatch(/body\/zones\/0\/points must NOT have fewer than 3 items/);
    await expect(reason({ zones: [{ id: 'line', points: [[0, 0], [1.5, 0], [1, 1]] }] })).resolves.toMatch(/body\/zones\/0\/points\/1\/0 must be <= 1/);
    await expect(reason({ zones: [{ id: 'line', points: [[0, 0], [-0.1, 0], [1, 1]] }] })).resolves.toMatch(/body\/zones\/0\/points\/1\/0 must be >= 0/);
    const many = Array.from({ length: 33 }, (_, i) => [0.5 + 0.4 * Math.cos(i / 5.25), 0.5 + 0.4 * Math.sin(i / 5.25)]);
    await expect(reason({ zones: [{ id: 'line', points: many }] })).resolves.toMatch(/body\/zones\/0\/points must NOT have more than 32 items/);
    await expect(reason({ zones: [{ id: 'Cut Line', points: TRIANGLE }] })).resolves.toMatch(/body\/zones\/0\/id must match pattern/);
    await expect(reason({ zones: [{ id: 'line', points: TRIANGLE, colour: 'red' }] })).resolves.toMatch(/must NOT have additional properties/);
    await expect(reason({ zones: [{ id: 'door', points: TRIANGLE }] })).resolves.toBe(
      'zones of camera kitchen-line not saved: zone "line" is used by rule "person-on-line": it cannot be deleted (change the rule in the config first)',
    );
    expect((await put('admin', { zones: [] }, 'nope')).status).toBe(404);
    // nothing of the refused saves was kept
    const got = await (await fetch(`${gw.url}/api/kitchen/cameras/kitchen-line/zones`, { headers: (await gw.loginAs('admin')).headers })).json();
    expect(got.zones.map((z: { id: string }) => z.id)).toEqual(['line', 'door']);
  });
});

describe('applied live to the running rules', () => {
  it('a rule limited to a redrawn zone fires only once the zone holds the person (real YOLOX-nano on the person photo)', { timeout: 120_000 }, async () => {
    requireShared(['yolox_nano.onnx', 'coco.names']);
    const photo = await sharp(image('darknet_person.jpg')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const { width, height } = photo.info;
    const bus = new EventBus((_e, err) => {
      throw err;
    });
    const live = new LiveState(bus);
    const dataDir = mkdtempSync(path.join(tmp, 'live-'));
    const db = openDatabase(dataDir);
    const registry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR });
    const fires: RuleFire[] = [];
    const camera = cameraConfigSchema.parse({ id: 'line', source: { type: 'files', path: tmp }, fps: 5, width, height });
    const kitchen = new KitchenModule({
      db, dataDir, bus, live, registry,
      config: kitchenConfigSchema.parse({
        cameras: [{
          camera: 'line',
          clock: 'stream',
          zones: [LINE],
          rules: [{ id: 'person-on-line', alert: 'person_in_zone', when: { label: 'person', min_score: 0.5 }, zones: ['line'], min_duration_ms: 1000, min_frames: 2, gap_ms: 500, cooldown_ms: 0 }],
        }],
      }),
      cameras: [camera],
      timeZone: 'Asia/Shanghai',
      put: async () => {},
      onCameraProblem: (_id, reason) => {
        if (reason) throw new Error(reason);
      },
      logger: createLogger('silent'),
      onFire: (_camera, f) => fires.push(f),
    });
    let seq = 0;
    /** 2 s of stream time (5 fps) of the person photo, all looked at */
    const show = async () => {
      for (let i = 0; i < 10; i++) bus.emit('camera:frame', { deviceId: 'line', at: Date.now(), seq: seq++, width, height, rgb: photo.data });
      await kitchen.watches.get('line')!.idle();
    };
    const save = (points: [number, number][]) => kitchen.zones.save('line', [{ id: 'line', name: '切配区', points }], who);
    try {
      await kitchen.start();
      // the zone redrawn at /admin as a speck in the top-left corner: the person is not in it
      save([[0, 0], [0.02, 0], [0, 0.02]]);
      await show();
      expect(fires).toEqual([]);
      const detections = kitchen.watches.get('line')!.latest!.detections;
      const centre = (d: Detection) => [(d.box[0] + d.box[2]) / 2 / width, (d.box[1] + d.box[3]) / 2 / height] as [number, number];
      const person = detections.find((d) => d.label === 'person' && d.score >= 0.5);
      const dog = detections.find((d) => d.label === 'dog');
      expect(person, 'YOLOX finds the person').toBeDefined();
      expect(dog, 'YOLOX finds the dog').toBeDefined();
      const around = ([x, y]: [number, number], r: number): [number, number][] => [[x - r, y - r], [x + r, y - r], [x, y + r]].map(([a, b]) => [Math.min(1, Math.max(0, a!)), Math.min(1, Math.max(0, b!))] as [number, number]);

      // around the dog: the rule still sees no person in its zone
      const dogZone = around(centre(dog!), 0.04);
      expect(pointInPolygon(...centre(person!), dogZone)).toBe(false);
      save(dogZone);
      await show();
      expect(fires).toEqual([]);

      // around the person: it fires, on the person, with the polygon just saved (in pixels)
      const personZone = around(centre(person!), 0.04);
      save(personZone);
      await show();
      expect(fires).toHaveLength(1);
      expect(fires[0]!.matches.map((d) => d.label)).toEqual(['person']);
      expect(fires[0]!.rule.zones[0]!.points).toEqual(personZone.map(([x, y]) => [x * width, y * height]));
      expect(kitchen.book.list({ camera: 'line' }).map((a) => [a.zone, a.rule])).toEqual([['line', 'person-on-line']]);
    } finally {
      await kitchen.stop();
      registry.close();
      db.close();
    }
  });
});
