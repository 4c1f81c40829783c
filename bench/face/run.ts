// Face payment, measured with the real models on a real capture (minivision_image_T1.jpg,
// the Silent-Face sample: a phone-camera selfie, EXIF-rotated to 480×640):
//   (a) bare session.run of every model call one frame needs — YuNet on the frame, YuNet
//       on the 192×192 upright crop (× refine passes), MobileFaceNet, MiniFASNet V2, V1SE —
//       on pre-made tensors, inline (calling thread) and through the registry's worker;
//   (b) frame → decision: FacePipeline.identify() on the packed-RGB frame (what
//       drivers/camera delivers) and on the JPEG file, against a gallery of 1 000
//       templates: decode, detect + refine + align + quality, embed + liveness, search;
//   (c) the 1:N search alone for 1 000, 10 000 and 100 000 templates (random unit vectors
//       plus the real embeddings of the shared photos).
// Prints median and p95 of each, and full / Σ bare (medians, this run).
//
// usage: npx tsx bench/face/run.ts [--runs N] [--warmup N] [--threads N] [--json FILE]
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { FaceGallery } from '../../models/face/gallery.ts';
import { decodeImage } from '../../models/face/image.ts';
import { livenessCrop } from '../../models/face/liveness.ts';
import { createFacePipeline } from '../../models/face/pipeline.ts';
import { preprocess, toTensor } from '../../models/preprocess.ts';
import { createModelRegistry, type LoadedModel } from '../../models/registry.ts';
import { FACE_MODELS, GROUP_PHOTO, photo, requireShared, SHARED_MODELS_DIR, SINGLE_FACES } from './photos.ts';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    threads: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(0, 14).join('\n') + '\n');
  process.exit(0);
}
const RUNS = Number(opt.runs);
const WARMUP = Number(opt.warmup);
const session = opt.threads ? { intraOpNumThreads: Number(opt.threads) } : {};
requireShared(FACE_MODELS);

const require = createRequire(import.meta.url);
const version = (p: string) => (require(`${p}/package.json`) as { version: string }).version;

interface Stat {
  name: string;
  median: number;
  p95: number;
  min: number;
  runs: number;
}
async function measure(name: string, fn: () => Promise<unknown> | unknown, runs = RUNS, warmup = WARMUP): Promise<Stat> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
  const s = { name, median: q(0.5), p95: q(0.95), min: ms[0]!, runs };
  console.log(`${name.padEnd(62)} median ${s.median.toFixed(2).padStart(7)} ms   p95 ${s.p95.toFixed(2).padStart(7)} ms   min ${s.min.toFixed(2).padStart(6)} ms`);
  return s;
}

const FRAME_FILE = photo('minivision_image_T1.jpg');
console.log(`face bench — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, node ${process.version}, onnxruntime-node ${version('onnxruntime-node')}, sharp ${version('sharp')}`);

const registry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR, session });
const inlineRegistry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR, runtime: 'inline', session });
const fp = createFacePipeline(registry);
await fp.warm();
const frame = await decodeImage(FRAME_FILE); // packed RGB, as a camera frame
const analysis = await fp.analyse(frame);
const face = analysis.primary!;
console.log(`frame ${frame.width}×${frame.height} (minivision_image_T1.jpg), face ${face.box.map((v) => v.toFixed(0)).join(',')}, ${RUNS} runs after ${WARMUP} warm-up, session ${JSON.stringify(session)}\n`);

// ------------------------------------------------------------------ (a) bare runs
const feedsOf = async () => {
  const det = registry.manifest(fp.detector.model);
  const size = fp.detector.inputSize(frame.width, frame.height);
  const yFrame = await preprocess(det, frame, { size });
  const yCrop = await preprocess(det, { rgb: new Uint8Array(192 * 192 * 3), width: 192, height: 192 }, { size: { width: 192, height: 192 } });
  const emb = registry.manifest(fp.embedder.model);
  const al = fp.aligned(face);
  const embT = { data: toTensor(emb, al.rgb, 112, 112), dims: [1, 3, 112, 112] };
  const live = await Promise.all(
    fp.livenessModel.models.map(async (n) => {
      const m = registry.manifest(n);
      const pre = await preprocess(m, frame, { crop: livenessCrop(face.box, frame.width, frame.height, m.params['crop_scale'] as number) });
      return { name: n, feed: { data: pre.data, dims: pre.dims } };
    }),
  );
  return {
    yunetFrame: { name: fp.detector.model, input: det.input.name, feed: { data: yFrame.data, dims: yFrame.dims }, label: `YuNet ${yFrame.dims[3]}×${yFrame.dims[2]} (the frame)` },
    yunetCrop: { name: fp.detector.model, input: det.input.name, feed: { data: yCrop.data, dims: yCrop.dims }, label: 'YuNet 192×192 (refine crop)' },
    embed: { name: fp.embedder.model, input: emb.input.name, feed: embT, label: 'MobileFaceNet 112×112' },
    live: live.map((l) => ({ name: l.name, input: registry.manifest(l.name).input.name, feed: l.feed, label: `${l.name} 80×80` })),
  };
};
const feeds = await feedsOf();
const calls = [feeds.yunetFrame, feeds.yunetCrop, feeds.embed, ...feeds.live];
const bare: Record<string, { inline: Stat; worker: Stat }> = {};
for (const c of calls) {
  const inl: LoadedModel = await inlineRegistry.load(c.name);
  const wrk: LoadedModel = await registry.load(c.name);
  bare[c.label] = {
    inline: await measure(`(a) bare run inline: ${c.label}`, () => inl.run({ [c.input]: c.feed })),
    worker: await measure(`(a′) bare run via worker: ${c.label}`, () => wrk.run({ [c.input]: c.feed })),
  };
}
const passes = face.refined ?? 0; // refine stops early once the crop is upright
console.log(`refine passes on this frame's face: ${passes} (at most ${fp.refinePasses})`);
const sum = (k: 'inline' | 'worker') =>
  bare[feeds.yunetFrame.label]![k].median + passes * bare[feeds.yunetCrop.label]![k].median + bare[feeds.embed.label]![k].median + feeds.live.reduce((s, l) => s + bare[l.label]![k].median, 0);
const sumInline = sum('inline');
const sumWorker = sum('worker');
console.log(`Σ bare model calls per frame (YuNet frame + ${passes} × YuNet crop + MobileFaceNet + V2 + V1SE): inline ${sumInline.toFixed(2)} ms, via worker ${sumWorker.toFixed(2)} ms\n`);

// ------------------------------------------------------------------ gallery: real + random
let seed = 42;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const randomUnit = () => {
  const v = new Float32Array(128);
  for (let i = 0; i < 128; i++) v[i] = Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
  return v;
};
const real: { person: string; e: Float32Array }[] = [];
for (const s of SINGLE_FACES) {
  const a = await fp.analyse(photo(s.file));
  real.push({ person: `${s.person}:${s.file}`, e: await fp.embed(a.primary!) });
}
for (const [i, f] of (await fp.analyse(photo(GROUP_PHOTO))).faces.entries()) real.push({ person: `group-${i}`, e: await fp.embed(f) });
function galleryOf(n: number): FaceGallery {
  const g = new FaceGallery();
  for (const r of real) g.add(r.person, r.e);
  // the T1 woman is enrolled from her mirrored photo below, not from the frame itself
  for (let i = g.size; i < n; i++) g.add(`random-${i}`, randomUnit());
  return g;
}
const g1k = galleryOf(1000);
{
  // enrol the frame's person from a different view (mirrored), so the decision is a real match
  const sharp = (await import('sharp')).default;
  const mirrored = await sharp(FRAME_FILE).autoOrient().flop().png().toBuffer();
  const m = await fp.analyse(mirrored);
  g1k.remove('T1-woman:minivision_image_T1.jpg');
  g1k.add('T1-woman', await fp.embed(m.primary!));
}

// ------------------------------------------------------------------ (b) frame → decision
const check = await fp.identify(frame, g1k);
console.log(`decision on the frame: ${check.state} ${check.personId ?? ''} (similarity ${check.match?.similarity.toFixed(3)}, liveness ${check.liveness?.score.toFixed(3)})`);
const parts = { decode: [] as number[], detect: [] as number[], embedLiveness: [] as number[], search: [] as number[] };
const fullFrame = await measure('(b) identify(): 480×640 RGB frame → decision, 1 000 templates', async () => {
  const d = await fp.identify(frame, g1k);
  parts.detect.push(d.timings.detect);
  parts.embedLiveness.push(d.timings.embedLiveness);
  parts.search.push(d.timings.search);
});
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`    of which (medians): detect + refine + align + quality ${med(parts.detect).toFixed(2)} ms, embed ‖ liveness ${med(parts.embedLiveness).toFixed(2)} ms, search ${med(parts.search).toFixed(3)} ms`);
const noRefine = createFacePipeline(registry, { refinePasses: 0 });
const fullNoRefine = await measure('(b″) identify() with refinePasses 0, same frame', () => noRefine.identify(frame, g1k));
const fullFile = await measure('(b′) identify(): the JPEG file → decision (+ decode, EXIF)', () => fp.identify(FRAME_FILE, g1k));

// ------------------------------------------------------------------ (c) 1:N search
console.log();
const query = await fp.embed(face);
const search: Stat[] = [];
for (const n of [1000, 10_000, 100_000]) {
  const g = n === 1000 ? g1k : galleryOf(n);
  search.push(await measure(`(c) gallery.match(), ${n.toLocaleString('en')} templates`, () => g.match(query), n >= 100_000 ? 100 : RUNS, n >= 100_000 ? 5 : WARMUP));
}

const ratioInline = fullFrame.median / sumInline;
const ratioWorker = fullFrame.median / sumWorker;
console.log(`\nframe → decision / Σ bare model calls (medians, this run): ${ratioInline.toFixed(2)}× (inline bare), ${ratioWorker.toFixed(2)}× (worker bare)`);
console.log(`without refinement: Σ bare ${(sumInline - passes * bare[feeds.yunetCrop.label]!.inline.median).toFixed(2)} ms inline, identify ${fullNoRefine.median.toFixed(2)} ms`);
console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

if (opt.json) {
  writeFileSync(
    opt.json,
    JSON.stringify({ at: new Date().toISOString(), cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), runs: RUNS, bare, sumInline, sumWorker, fullFrame, fullFile, fullNoRefine, parts: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, med(v)])), search, ratioInline, ratioWorker, loadavg: os.loadavg() }, null, 2),
  );
}
await registry.close();
await inlineRegistry.close();
