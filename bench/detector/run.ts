// Object detection per camera, measured with the real YOLOX-nano on 640×360 frames:
//   (a) bare session.run on a pre-made 416×416 tensor — on the calling thread (inline), and
//       through the registry's inference worker;
//   (b) the detector pipeline, detect(frame): letterbox pre-processing (sharp) + run in the
//       worker + decode + NMS, from a 640×360 packed-RGB frame; ratio (b)/(a) from this run;
//       CPU per frame (the whole process: main thread, worker, onnxruntime and sharp threads);
//   (c) one camera at 5 fps for --seconds each: a real ffmpeg source (drivers/camera) reading a
//       looped H.264 640×360 video at 25 fps made from the shared photos — a moving scene (a
//       person cut out of darknet_person.jpg walking across darknet_dog.jpg) and an idle one
//       (the same background, still, with sensor noise) — with and without the motion gate;
//       CPU of this process and of the ffmpeg child, inferences run, frames dropped;
//   (d) how many 5-fps cameras fit on this machine, DERIVED from (c)'s CPU per camera;
//   (e) with --cameras N[,M…]: a check of (d), N moving cameras at once, every frame inferred;
//   (f) the gateway's kitchen path (CameraWatch: gate, detectors, rules) on one moving camera,
//       with a person rule, and with a without_mask rule too (the mask check per person).
//
// usage: npx tsx bench/detector/run.ts [--runs N] [--warmup N] [--seconds S] [--fps N]
//          [--threads N] [--cameras N,M] [--json FILE]
// (--threads: onnxruntime intra-op threads; default one per core, as the registry)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FfmpegFrameSource } from '../../drivers/camera/ffmpeg-source.ts';
import type { Frame } from '../../drivers/camera/file-source.ts';
import { MotionGate } from '../../drivers/camera/motion.ts';
import { Detector } from '../../models/detector/detector.ts';
import { cameraConfigSchema } from '../../drivers/camera/config.ts';
import { kitchenConfigSchema } from '../../gateway/kitchen/config.ts';
import { CameraWatch } from '../../gateway/kitchen/watch.ts';
import { createLogger } from '../../gateway/log.ts';
import { preprocess } from '../../models/preprocess.ts';
import { createModelRegistry } from '../../models/registry.ts';
import { cpuSeconds } from '../lib/proc.ts';
import { image, requireShared, SHARED_MODELS_DIR } from '../recognition/photos.ts';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    seconds: { type: 'string', default: '30' },
    fps: { type: 'string', default: '5' },
    threads: { type: 'string' },
    cameras: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(0, 20).join('\n') + '\n');
  process.exit(0);
}
const RUNS = Number(opt.runs);
const WARMUP = Number(opt.warmup);
const SECONDS = Number(opt.seconds);
const FPS = Number(opt.fps);
const W = 640;
const H = 360;
const MODEL = 'yolox_nano';
const session = opt.threads ? { intraOpNumThreads: Number(opt.threads) } : {};
requireShared(['yolox_nano.onnx', 'coco.names']);

const require = createRequire(import.meta.url);
const version = (p: string) => (require(`${p}/package.json`) as { version: string }).version;
const ffmpegVersion = execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0]!.split(' ').slice(0, 3).join(' ');
const cores = os.availableParallelism();
console.log(
  `detector bench — ${os.cpus()[0]?.model ?? 'cpu'} × ${cores}, node ${process.version}, onnxruntime-node ${version('onnxruntime-node')}, sharp ${version('sharp')}, ${ffmpegVersion}; ` +
    `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; intra-op threads ${opt.threads ?? 'default'}`,
);

// ------------------------------------------------------------------ scenes (temp dir)

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bench-detector-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const MOVING = path.join(tmp, 'moving.mp4');
const IDLE = path.join(tmp, 'idle.mp4');
const enc = ['-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-pix_fmt', 'yuv420p', '-r', '25'];
const noise = 'noise=alls=6:allf=t';
// moving: the person of darknet_person.jpg (x 185–280, y 95–378) walks across darknet_dog.jpg, 8 s per crossing
execFileSync('ffmpeg', [
  '-hide_banner', '-loglevel', 'error', '-y',
  '-loop', '1', '-framerate', '25', '-t', '8', '-i', image('darknet_dog.jpg'),
  '-loop', '1', '-framerate', '25', '-t', '8', '-i', image('darknet_person.jpg'),
  '-filter_complex', `[0]scale=${W}:${H},setsar=1[bg];[1]crop=96:284:185:95,scale=80:236[p];[bg][p]overlay=x='t*90-80':y=110,${noise},format=yuv420p[v]`,
  '-map', '[v]', ...enc, MOVING,
]);
execFileSync('ffmpeg', [
  '-hide_banner', '-loglevel', 'error', '-y',
  '-loop', '1', '-framerate', '25', '-t', '8', '-i', image('darknet_dog.jpg'),
  '-vf', `scale=${W}:${H},setsar=1,${noise},format=yuv420p`, ...enc, IDLE,
]);

// ------------------------------------------------------------------ helpers

interface Stat {
  name: string;
  median: number;
  p95: number;
  min: number;
  runs: number;
  cpuMsPerRun?: number;
}

async function measure(name: string, fn: () => Promise<unknown>): Promise<Stat> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const ms: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  const c = process.cpuUsage(c0);
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
  const s: Stat = { name, median: q(0.5), p95: q(0.95), min: ms[0]!, runs: RUNS, cpuMsPerRun: (c.user + c.system) / 1000 / RUNS };
  console.log(
    `${name.padEnd(52)} median ${s.median.toFixed(2).padStart(6)} ms   p95 ${s.p95.toFixed(2).padStart(6)} ms   min ${s.min.toFixed(2).padStart(6)} ms   CPU ${s.cpuMsPerRun!.toFixed(1).padStart(5)} ms/run`,
  );
  return s;
}

async function rgbOf(file: string): Promise<Frame> {
  const out = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', file, '-frames:v', '1', '-vf', `scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 16 << 20 });
  return { seq: 0, at: Date.now(), width: W, height: H, rgb: out, source: file };
}

// ------------------------------------------------------------------ (a), (b)

const inline = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR, runtime: 'inline', session });
const registry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR, session });
const frame = await rgbOf(MOVING);
const mInline = await inline.load(MODEL);
const mWorker = await registry.load(MODEL);
const tensor = await preprocess(mInline.manifest, frame);
const feeds = () => ({ images: { data: tensor.data.slice(), dims: tensor.dims } });
console.log(`\n(a)/(b) one 640×360 frame, ${RUNS} runs after ${WARMUP} warm-up, one after the other`);
const bareInline = await measure('(a) bare session.run, inline', () => mInline.run(feeds()));
const bareWorker = await measure('(a′) bare session.run via the worker', () => mWorker.run(feeds(), { transfer: true }));
const detector = new Detector(registry, MODEL);
const pre = await measure('(b0) letterbox pre-processing alone (sharp)', () => preprocess(mWorker.manifest, frame));
const pipeline = await measure('(b) detect(frame): pre + worker run + decode + NMS', () => detector.detect(frame));
const detections = await detector.detect(frame);
console.log(`    detections on the frame: ${detections.map((d) => `${d.label} ${d.score.toFixed(2)}`).join(', ')}`);
const ratio = pipeline.median / bareInline.median;
console.log(`    pipeline / bare (medians): ${ratio.toFixed(2)}× (vs worker run ${(pipeline.median / bareWorker.median).toFixed(2)}×); CPU per frame ${pipeline.cpuMsPerRun!.toFixed(1)} ms → at most ${(1000 / pipeline.median).toFixed(0)} frames/s back to back`);
await inline.close();

// ------------------------------------------------------------------ (c)

interface CameraRun {
  scene: 'moving' | 'idle';
  gated: boolean;
  seconds: number;
  frames: number;
  fps: number;
  inferences: number;
  dropped: number;
  withPerson: number;
  nodeCpuPct: number;
  ffmpegCpuPct: number;
  totalCpuPct: number;
  cpuMsPerFrame: number;
  detectMedianMs: number;
}

/** `count` cameras at once (default 1), each its own ffmpeg and gate; one shared detector (one worker). */
async function camera(scene: 'moving' | 'idle', gated: boolean, count = 1): Promise<CameraRun> {
  const gates = Array.from({ length: count }, () => (gated ? new MotionGate({ holdMs: 2000, maxIdleMs: 30_000 }) : undefined));
  const gate = gates[0];
  let frames = 0;
  let inferences = 0;
  let dropped = 0;
  let withPerson = 0;
  const busy = new Array<boolean>(count).fill(false);
  const ms: number[] = [];
  const srcs = gates.map(
    (g, k) =>
      new FfmpegFrameSource({
        url: scene === 'moving' ? MOVING : IDLE,
        loop: true,
        fps: FPS,
        width: W,
        height: H,
        onFrame: (f) => {
          frames++;
          if (g && !g.check(f).run) return;
          if (busy[k]) {
            dropped++; // the gateway drops a frame rather than queue behind a slow inference
            return;
          }
          busy[k] = true;
          const t0 = performance.now();
          detector
            .detect(f)
            .then((d) => {
              ms.push(performance.now() - t0);
              inferences++;
              if (d.some((x) => x.label === 'person')) withPerson++;
            })
            .finally(() => (busy[k] = false));
        },
        onError: (e) => console.error(`    ${e.message}`),
      }),
  );
  // independent cameras are not in step: spread the starts over one frame period
  for (const src of srcs) {
    src.start();
    if (count > 1) await new Promise((r) => setTimeout(r, 1000 / FPS / count));
  }
  // skip ffmpeg's start-up and the gate's first frame + hold (2 s), then measure
  while (srcs.some((src) => src.health().frames < 1)) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 3000));
  const s0 = gate ? { ...gate.stats } : undefined;
  const f0 = frames;
  const i0 = inferences;
  const d0 = dropped;
  const p0 = withPerson;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const pids = srcs.map((src) => src.pid!);
  const ff0 = pids.reduce((a, pid) => a + cpuSeconds(pid), 0);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const ff1 = pids.reduce((a, pid) => a + cpuSeconds(pid), 0);
  const c = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1000;
  await Promise.all(srcs.map((src) => src.stop()));
  while (busy.some(Boolean)) await new Promise((r) => setTimeout(r, 10));
  const n = frames - f0;
  const reasons = gate && count === 1 ? `; gate passed ${gate.stats.passed - s0!.passed}, skipped ${gate.stats.skipped - s0!.skipped}` : '';
  const nodeCpu = (c.user + c.system) / 1e6;
  const ffCpu = ff1 - ff0;
  ms.sort((a, b) => a - b);
  const r: CameraRun = {
    scene,
    gated,
    seconds: +wall.toFixed(1),
    frames: n,
    fps: +(n / wall / count).toFixed(2),
    inferences: inferences - i0,
    dropped: dropped - d0,
    withPerson: withPerson - p0,
    nodeCpuPct: +((100 * nodeCpu) / wall).toFixed(1),
    ffmpegCpuPct: +((100 * ffCpu) / wall).toFixed(1),
    totalCpuPct: +((100 * (nodeCpu + ffCpu)) / wall).toFixed(1),
    cpuMsPerFrame: +((1000 * (nodeCpu + ffCpu)) / n).toFixed(1),
    detectMedianMs: +(ms[Math.floor(ms.length / 2)] ?? 0).toFixed(1),
  };
  console.log(
    `${count > 1 ? `(e) ${count} cameras,` : '(c)'} ${scene.padEnd(6)} ${gated ? 'gated  ' : 'ungated'}  ${r.fps.toFixed(2)} fps${count > 1 ? ' each' : ''}, ${r.inferences}/${r.frames} frames inferred (${r.dropped} dropped, person in ${r.withPerson}), ` +
      `CPU ${r.totalCpuPct}% of a core (node ${r.nodeCpuPct}% + ffmpeg ${r.ffmpegCpuPct}%) = ${r.cpuMsPerFrame} ms per frame; detect median ${r.detectMedianMs} ms${reasons}`,
  );
  return r;
}

console.log(`\n(c) one camera, ${W}×${H} at ${FPS} fps from a looped 25-fps H.264 file through ffmpeg, ${SECONDS} s each`);
const runs: CameraRun[] = [];
for (const scene of ['moving', 'idle'] as const) for (const gated of [false, true]) runs.push(await camera(scene, gated));

// ------------------------------------------------------------------ (d)

const find = (scene: string, gated: boolean) => runs.find((r) => r.scene === scene && r.gated === gated)!;
const budget = cores * 100;
const fit = (pct: number, share = 1) => Math.floor((budget * share) / pct);
console.log(`\n(d) DERIVED, not measured with many cameras: cameras at ${FPS} fps that fit in ${cores} cores = ${budget}% ÷ CPU % per camera (c)`);
const capacity = [
  ['moving scene, every frame inferred (worst case)', find('moving', false)],
  ['moving scene, gated', find('moving', true)],
  ['idle scene, gated', find('idle', true)],
  ['idle scene, ungated', find('idle', false)],
] as const;
const derived = capacity.map(([what, r]) => {
  const line = { what, cpuPct: r.totalCpuPct, all: fit(r.totalCpuPct), at70: fit(r.totalCpuPct, 0.7) };
  console.log(`    ${what.padEnd(48)} ${String(r.totalCpuPct).padStart(6)} % per camera → ${line.all} cameras at 100 % of the cores, ${line.at70} at 70 %`);
  return line;
});
const inferCap = Math.floor(1000 / pipeline.median / FPS);
console.log(`    a single inference worker serialises detect(): ${(1000 / pipeline.median).toFixed(0)} inferences/s → at most ${inferCap} cameras inferring every frame, whatever the CPU`);

// ------------------------------------------------------------------ (e)

const checks: CameraRun[] = [];
for (const n of (opt.cameras ?? '').split(',').filter(Boolean).map(Number)) {
  if (n === 1) continue;
  console.log(`\n(e) check of (d): ${n} cameras at once, moving scene, every frame inferred, ${SECONDS} s`);
  const r = await camera('moving', false, n);
  checks.push({ ...r, cameras: n } as CameraRun & { cameras: number });
}

// ------------------------------------------------------------------ (f)

/**
 * The gateway's own kitchen path on one moving camera: gateway/kitchen's CameraWatch (motion
 * gate with the config defaults, the configured detectors, rule timing, frames dropped while
 * busy) with a person rule, and with a `without_mask` rule as well (the mask model on the
 * head region of every person found).
 */
async function kitchenCamera(withMask: boolean): Promise<{ withMask: boolean; frames: number; inferences: number; skipped: number; dropped: number; totalCpuPct: number; ffmpegCpuPct: number; cpuMsPerFrame: number; inferenceMs: number | null }> {
  const rules = [{ id: 'person', alert: 'person_in_zone', when: { label: 'person' } }, ...(withMask ? [{ id: 'mask', alert: 'no_mask', when: { label: 'person', is: 'without_mask' } }] : [])];
  const camera = cameraConfigSchema.parse({ id: 'bench', source: { type: 'ffmpeg', url: MOVING, loop: true }, fps: FPS, width: W, height: H });
  const kitchen = kitchenConfigSchema.parse({ cameras: [{ camera: 'bench', rules }] });
  const watch = new CameraWatch({ registry, kitchen, camera, cfg: kitchen.cameras[0]!, timeZone: 'Asia/Shanghai', raise: () => null, onProblem: (r) => r && console.error(`    ${r}`), logger: createLogger('silent') });
  if (!(await watch.start())) throw new Error(`kitchen watch: ${watch.stats.reason}`);
  const src = new FfmpegFrameSource({ url: MOVING, loop: true, fps: FPS, width: W, height: H, onFrame: (f) => watch.onFrame({ deviceId: 'bench', ...f }), onError: (e) => console.error(`    ${e.message}`) });
  src.start();
  while (src.health().frames < 1) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 3000));
  const s0 = { ...watch.stats };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const ff0 = cpuSeconds(src.pid!);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const ffCpu = cpuSeconds(src.pid!) - ff0;
  const c = process.cpuUsage(c0);
  const wall = (performance.now() - t0) / 1000;
  await src.stop();
  await watch.idle();
  const nodeCpu = (c.user + c.system) / 1e6;
  const frames = watch.stats.frames - s0.frames;
  const r = {
    withMask,
    frames,
    inferences: watch.stats.inferences - s0.inferences,
    skipped: watch.stats.skipped - s0.skipped,
    dropped: watch.stats.dropped - s0.dropped,
    totalCpuPct: +((100 * (nodeCpu + ffCpu)) / wall).toFixed(1),
    ffmpegCpuPct: +((100 * ffCpu) / wall).toFixed(1),
    cpuMsPerFrame: +((1000 * (nodeCpu + ffCpu)) / frames).toFixed(1),
    inferenceMs: watch.stats.lastInferenceMs === null ? null : +watch.stats.lastInferenceMs.toFixed(1),
  };
  console.log(
    `(f) kitchen CameraWatch, ${withMask ? 'person + without_mask rules' : 'person rule          '}: ${r.inferences}/${r.frames} frames inferred (${r.skipped} skipped by the gate, ${r.dropped} dropped while busy), ` +
      `CPU ${r.totalCpuPct}% of a core (ffmpeg ${r.ffmpegCpuPct}%) = ${r.cpuMsPerFrame} ms per frame; last inference ${r.inferenceMs} ms`,
  );
  return r;
}
console.log(`\n(f) the gateway's kitchen path (gateway/kitchen CameraWatch), moving scene, ${SECONDS} s each`);
const kitchenRuns = [await kitchenCamera(false), await kitchenCamera(true)];

await registry.close();
if (opt.json) {
  writeFileSync(opt.json, JSON.stringify({ at: new Date().toISOString(), cores, loadavg: os.loadavg(), threads: opt.threads ?? 'default', bareInline, bareWorker, pre, pipeline, ratio, runs, derived, inferCap, checks, kitchenRuns }, null, 2));
}
