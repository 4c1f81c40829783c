// Kitchen rules on a real video stream: H.264 made by ffmpeg from ../shared/images, read by
// the camera driver (an ffmpeg child process), looked at by the real YOLOX-nano, through the
// motion gate, the rule timing and the alert book. The clock is the stream's (frame number
// at the camera's fps, every frame evaluated), so nothing here depends on the machine's speed.
//
// There is no photo of an empty kitchen in ../shared/images: the "empty scene" is the person
// photo blurred beyond recognition (ffmpeg gblur σ 60) — the same colours, no person (YOLOX
// finds nothing in it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cameraConfigSchema, type CameraConfigInput } from '../drivers/camera/config.ts';
import { EventBus } from '../gateway/bus/event-bus.ts';
import { CameraDevice } from '../gateway/devices/camera.ts';
import { DeviceTracker } from '../gateway/devices/tracker.ts';
import { kitchenConfigSchema } from '../gateway/kitchen/config.ts';
import { KitchenModule } from '../gateway/kitchen/module.ts';
import type { RuleFire } from '../gateway/kitchen/rules.ts';
import { LiveState } from '../gateway/live.ts';
import { createLogger } from '../gateway/log.ts';
import { Metrics } from '../gateway/metrics.ts';
import type { DeviceStatus } from '../gateway/wire/devices.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';
import { createModelRegistry } from '../models/registry.ts';
import { image, requireShared, SHARED_MODELS_DIR } from '../bench/recognition/photos.ts';

const FFMPEG = '/usr/bin/ffmpeg';
const FPS = 5;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kitchen-stream-'));
/** person 15 s, empty scene 5 s, person 10 s, empty scene 5 s */
const SCENE = path.join(tmp, 'scene.mp4');
/** person 3 s: a stream that ends (a drop) */
const SHORT = path.join(tmp, 'short.mp4');
/** the shared models plus a site model whose weights are not there */
const MODELS = path.join(tmp, 'models');

beforeAll(() => {
  requireShared(['yolox_nano.onnx', 'coco.names']);
  const blur = path.join(tmp, 'empty.png');
  execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', '-i', image('darknet_person.jpg'), '-vf', 'gblur=sigma=60', blur]);
  const enc = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-pix_fmt', 'yuv420p', '-r', '10'];
  const still = (file: string, seconds: number) => ['-loop', '1', '-framerate', '10', '-t', String(seconds), '-i', file];
  execFileSync(FFMPEG, [
    '-hide_banner', '-loglevel', 'error', '-y',
    ...still(image('darknet_person.jpg'), 15), ...still(blur, 5), ...still(image('darknet_person.jpg'), 10), ...still(blur, 5),
    '-filter_complex', `${[0, 1, 2, 3].map((i) => `[${i}]scale=640:424,setsar=1,format=yuv420p[s${i}]`).join(';')};[s0][s1][s2][s3]concat=n=4:v=1[v]`, '-map', '[v]', ...enc, SCENE,
  ]);
  execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...still(image('darknet_person.jpg'), 3), '-vf', 'scale=640:424,setsar=1', ...enc, SHORT]);
  mkdirSync(path.join(MODELS, 'manifests'), { recursive: true });
  for (const f of ['yolox_nano.onnx', 'coco.names', 'ultraface-RFB-640-masked_face-v2.onnx']) symlinkSync(path.join(SHARED_MODELS_DIR, f), path.join(MODELS, f));
  const hats = { ...JSON.parse(readFileSync('models/manifests/yolox_nano.json', 'utf8')), name: 'kitchen_hats', file: 'kitchen_hats.onnx' };
  writeFileSync(path.join(MODELS, 'manifests', 'kitchen_hats.json'), JSON.stringify(hats));
}, 60_000);

interface Rig {
  kitchen: KitchenModule;
  devices: CameraDevice[];
  fires: { camera: string; fire: RuleFire }[];
  outbox: { payload: Record<string, unknown>; key: string }[];
  states: DeviceStatus[];
  stop(): Promise<void>;
}
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

async function startRig(cameras: CameraConfigInput[], kitchen: unknown, opts: { resolveAtOnce?: boolean } = {}): Promise<Rig> {
  const bus = new EventBus((e, err) => {
    throw err;
  });
  const metrics = new Metrics();
  const tracker = new DeviceTracker(bus, metrics);
  const live = new LiveState(bus);
  const dataDir = mkdtempSync(path.join(tmp, 'data-'));
  const db = openDatabase(dataDir);
  const registry = await createModelRegistry({ modelsDir: MODELS });
  const cams = cameras.map((c) => cameraConfigSchema.parse(c));
  const devices = cams.map((c) => new CameraDevice(c, bus, tracker));
  const fires: Rig['fires'] = [];
  const outbox: Rig['outbox'] = [];
  const states: DeviceStatus[] = [];
  bus.on('device:state', (d) => states.push(d));
  const k = new KitchenModule({
    db,
    dataDir,
    bus,
    live,
    registry,
    config: kitchenConfigSchema.parse(kitchen),
    cameras: cams,
    timeZone: 'Asia/Shanghai',
    put: async (payload, key) => void outbox.push({ payload, key }),
    onCameraProblem: (id, reason) => devices.find((d) => d.id === id)!.setProblem(reason),
    logger: createLogger(process.env.KITCHEN_TEST_LOG ?? 'silent'),
    onFire: (camera, fire) => {
      fires.push({ camera, fire });
      // resolve at once, so that only the rule's cooldown (not the book's deduplication) can hold the next alert back
      if (opts.resolveAtOnce) queueMicrotask(() => k.book.list({ state: 'open', camera }).forEach((a) => k.book.resolve(a.id, 'test', 'resolved by the test')));
    },
  });
  await k.start();
  for (const d of devices) d.start();
  return {
    kitchen: k,
    devices,
    fires,
    outbox,
    states,
    async stop() {
      for (const d of devices) await d.stop();
      await k.stop();
      registry.close();
      db.close();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, timeoutMs = 90_000): Promise<void> {
  for (const t0 = Date.now(); !cond(); await sleep(50)) if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
}

/** a file source read once (the end of the file is a drop; no replay within the test) */
const fileCamera = (id: string, url: string, extra: Partial<CameraConfigInput> = {}): CameraConfigInput => ({
  id,
  source: { type: 'ffmpeg', url, realtime: false, backoff: { min_ms: 600_000, max_ms: 600_000 } },
  fps: FPS,
  width: 480,
  height: 270,
  ...extra,
});
const personRule = (extra: Record<string, unknown> = {}) => ({ id: 'person-in-view', alert: 'person_in_zone', severity: 'critical', when: { label: 'person', min_score: 0.5 }, min_duration_ms: 5000, min_frames: 3, gap_ms: 1000, cooldown_ms: 60_000, ...extra });

/** the whole video has been delivered and evaluated */
async function played(r: Rig, frames: number): Promise<void> {
  await until('the video to end', () => r.devices[0]!.health().state === 'offline' && r.devices[0]!.health().frames >= frames);
  await r.kitchen.watches.get(r.devices[0]!.id)!.idle();
}

describe('a person shown for 15 s, then an empty scene, through the camera driver and YOLOX-nano', () => {
  it('fires once, 5 s of stream time after the person appeared and not before; the snapshot has the box, the clean copy not', { timeout: 180_000 }, async () => {
    rig = await startRig([fileCamera('line', SCENE)], { cameras: [{ camera: 'line', clock: 'stream', rules: [personRule()] }] });
    await played(rig, 35 * FPS - 2);
    const watch = rig.kitchen.watches.get('line')!;
    expect(watch.stats.frames).toBeGreaterThanOrEqual(35 * FPS - 2);
    // motion gating: the still photo is looked at once, then again only when the scene changes
    expect(watch.stats.skipped).toBeGreaterThan(watch.stats.inferences);

    expect(rig.fires).toHaveLength(1); // the second appearance (20–30 s) is the same open alert: deduplicated
    const { fire } = rig.fires[0]!;
    // stream time: frame n is at origin + n / fps
    const origin = watch.streamOrigin!;
    expect(fire.since - origin).toBe(0);
    expect(fire.at - origin).toBeGreaterThanOrEqual(5000);
    expect(fire.at - origin).toBeLessThanOrEqual(5000 + 2 * (1000 / FPS));
    expect(fire.frames).toBeGreaterThanOrEqual(3);

    const alerts = rig.kitchen.book.list();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ type: 'person_in_zone', severity: 'critical', state: 'open', camera: 'line', rule: 'person-in-view' });
    expect(rig.outbox.map((o) => o.key)).toEqual([`kitchen-alert:${alerts[0]!.id}:opened`]);
    expect(rig.outbox[0]!.payload).toMatchObject({ kind: 'kitchen-alert', change: 'opened', type: 'person_in_zone', camera: 'line', hasSnapshot: true });

    // the box the rule fired on, drawn in red on the snapshot, 4 px wide inside the box
    const [person] = fire.matches;
    expect(person!.label).toBe('person');
    const read = async (file: string) => sharp(file).raw().toBuffer({ resolveWithObject: true });
    const annotated = await read(rig.kitchen.book.snapshotFile(alerts[0]!.id, 'snapshot')!);
    const clean = await read(rig.kitchen.book.snapshotFile(alerts[0]!.id, 'clean')!);
    expect(annotated.info).toMatchObject({ width: 480, height: 270, channels: 3 });
    const [x1, y1, x2, y2] = person!.box.map(Math.round) as [number, number, number, number];
    const edge: [number, number][] = [];
    for (let y = y1 + 6; y < y2 - 6; y += 4) edge.push([x1 + 2, y], [x2 - 3, y]);
    for (let x = x1 + 6; x < x2 - 6; x += 4) edge.push([x, y1 + 2], [x, y2 - 3]);
    const red = (img: { data: Buffer; info: { width: number } }) =>
      edge.filter(([x, y]) => {
        const i = (y * img.info.width + x) * 3;
        return img.data[i]! > 200 && img.data[i + 1]! < 70 && img.data[i + 2]! < 70;
      }).length / edge.length;
    expect(edge.length).toBeGreaterThan(40);
    expect(red(annotated)).toBeGreaterThan(0.95);
    expect(red(clean)).toBeLessThan(0.05);
  });

  it('the cooldown holds: the person coming back within it raises nothing, with a shorter one it does', { timeout: 180_000 }, async () => {
    rig = await startRig([fileCamera('line', SCENE)], { cameras: [{ camera: 'line', clock: 'stream', rules: [personRule({ cooldown_ms: 60_000 })] }] }, { resolveAtOnce: true });
    await played(rig, 35 * FPS - 2);
    expect(rig.fires.map((f) => f.fire.since - rig!.kitchen.watches.get('line')!.streamOrigin!)).toEqual([0]);
    expect(rig.kitchen.book.list().map((a) => a.state)).toEqual(['resolved']);
    await rig.stop();

    rig = await startRig([fileCamera('line', SCENE)], { cameras: [{ camera: 'line', clock: 'stream', rules: [personRule({ cooldown_ms: 10_000 })] }] }, { resolveAtOnce: true });
    await played(rig, 35 * FPS - 2);
    // second appearance at 20 s: past the 10 s cooldown, fires 5 s later
    expect(rig.fires).toHaveLength(2);
    const since = rig.fires[1]!.fire.since - rig.kitchen.watches.get('line')!.streamOrigin!;
    expect(since).toBeGreaterThanOrEqual(20_000);
    expect(since).toBeLessThanOrEqual(20_000 + 2 * (1000 / FPS));
    expect(rig.fires[1]!.fire.at - rig.fires[1]!.fire.since).toBeGreaterThanOrEqual(5000);
    expect(rig.kitchen.book.list()).toHaveLength(2);
  });
});

describe('stream drop and recovery, missing models', () => {
  it('a stream that ends is offline with the reason, restarts, and detection goes on after it', { timeout: 120_000 }, async () => {
    rig = await startRig(
      [{ id: 'line', source: { type: 'ffmpeg', url: SHORT, realtime: true, backoff: { min_ms: 300, max_ms: 300 } }, fps: FPS, width: 320, height: 180 }],
      { cameras: [{ camera: 'line', clock: 'wall', rules: [personRule({ min_duration_ms: 1000, min_frames: 2, gap_ms: 3000 })] }] },
    );
    const dev = rig.devices[0]!;
    const watch = rig.kitchen.watches.get('line')!;
    await until('a first inference', () => watch.stats.inferences >= 1);
    await until('the stream to drop', () => rig!.states.some((s) => s.state === 'offline'));
    const dropped = rig.states.find((s) => s.state === 'offline')!;
    expect(dropped.lastError).toBe('the stream ended (ffmpeg exited 0)');
    const before = watch.stats.inferences;
    await until('the camera back online', () => dev.health().restarts >= 1 && rig!.states.at(-1)!.state === 'online');
    await until('detection after the restart', () => watch.stats.inferences > before);
    expect(rig.states.map((s) => s.state)).toEqual(expect.arrayContaining(['online', 'offline']));
    expect(rig.states.slice(rig.states.indexOf(dropped)).map((s) => s.state)).toContain('online');
    // the rule fired in the first play (wall clock, ≥ 1 s of person); the same alert stays open across the drop
    await until('the rule to fire', () => rig!.fires.length >= 1);
    expect(rig.kitchen.book.list({ state: 'open' })).toHaveLength(1);
  });

  it('a missing model makes only its camera degraded, with the reason; the other camera alerts', { timeout: 180_000 }, async () => {
    rig = await startRig([fileCamera('line', SCENE), fileCamera('hats', SCENE)], {
      cameras: [
        { camera: 'line', clock: 'stream', rules: [personRule()] },
        { camera: 'hats', clock: 'stream', models: ['kitchen_hats'], rules: [personRule({ id: 'no-hat', alert: 'no_hat' })] },
      ],
    });
    await played(rig, 35 * FPS - 2);
    const hats = rig.kitchen.watches.get('hats')!;
    expect(hats.stats.state).toBe('degraded');
    expect(hats.stats.reason).toBe('detection off: model kitchen_hats not installed (install it: canteen-edge models pull --only kitchen_hats)');
    expect(hats.stats.inferences).toBe(0);
    expect(rig.kitchen.watches.get('line')!.stats.state).toBe('ok');
    const hatsState = rig.states.filter((s) => s.id === 'hats').map((s) => s.state);
    expect(hatsState[0]).toBe('degraded');
    expect(rig.states.find((s) => s.id === 'hats' && s.state === 'degraded')!.lastError).toBe(hats.stats.reason);
    expect(rig.states.find((s) => s.id === 'line')!.state).toBe('online');
    expect(rig.kitchen.book.list().map((a) => `${a.camera}:${a.type}`)).toEqual(['line:person_in_zone']);
    expect(rig.kitchen.status().cameras).toEqual([
      { camera: 'line', state: 'ok', reason: null, models: ['yolox_nano'] },
      { camera: 'hats', state: 'degraded', reason: hats.stats.reason, models: ['kitchen_hats'] },
    ]);
  });
});
