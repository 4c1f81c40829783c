// Dish recognition, measured on a real photo with the real MobileNetV2 int8:
//   (a) bare session.run on a pre-made tensor — on the calling thread (inline), and
//       through the inference worker the registry uses (post + run + post back);
//   (b) pre-processing alone (sharp decode + crop/resize + the float loop), from the
//       photo's file and from a packed-RGB camera frame;
//   (c) the full recognise(): pre-processing + run in the worker + search of a gallery
//       of --dishes × --per-dish real embeddings; and the search alone.
// Prints median and p95 of each and the overhead ratio full / bare from this same run.
//
// usage: npx tsx bench/recognition/run.ts [--runs N] [--warmup N] [--photo FILE]
//          [--dishes N] [--per-dish N] [--threads N] [--spin 0|1] [--json FILE]
// (--threads: onnxruntime intra-op threads, default one per core; --spin 1: let its
//  threads spin-wait as onnxruntime does by default — the registry turns that off)
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { DishGallery } from '../../models/dish/gallery.ts';
import { preprocess } from '../../models/preprocess.ts';
import { createModelRegistry } from '../../models/registry.ts';
import { fracCrop, image, requireShared, SHARED_IMAGES_DIR, SHARED_MODELS_DIR, testQuery } from './photos.ts';
import { imageSize } from '../../models/preprocess.ts';

const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    photo: { type: 'string', default: 'pexels_cc0_healthy-salad.jpg' },
    dishes: { type: 'string', default: '50' },
    'per-dish': { type: 'string', default: '5' },
    threads: { type: 'string' },
    spin: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(0, 13).join('\n') + '\n');
  process.exit(0);
}
const RUNS = Number(opt.runs);
const WARMUP = Number(opt.warmup);
const DISHES = Number(opt.dishes);
const PER_DISH = Number(opt['per-dish']);
const session = {
  ...(opt.threads ? { intraOpNumThreads: Number(opt.threads) } : {}),
  ...(opt.spin ? { extra: { session: { intra_op: { allow_spinning: opt.spin }, inter_op: { allow_spinning: opt.spin } } } } : {}),
};
const MODEL = 'mobilenetv2-12-int8';
requireShared();

const require = createRequire(import.meta.url);
const version = (p: string) => (require(`${p}/package.json`) as { version: string }).version;

async function measure(name: string, fn: () => Promise<unknown> | unknown): Promise<Stat> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
  const s = { name, median: q(0.5), p95: q(0.95), min: ms[0]!, runs: RUNS };
  console.log(`${name.padEnd(58)} median ${s.median.toFixed(2).padStart(7)} ms   p95 ${s.p95.toFixed(2).padStart(7)} ms   min ${s.min.toFixed(2).padStart(6)} ms`);
  return s;
}
interface Stat {
  name: string;
  median: number;
  p95: number;
  min: number;
  runs: number;
}

const photo = image(opt.photo!);
const size = await imageSize(photo);
console.log(`dish recognition bench — ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, node ${process.version}, onnxruntime-node ${version('onnxruntime-node')}, sharp ${version('sharp')}`);
console.log(`model ${MODEL}, photo ${opt.photo} (${size.width}×${size.height}), ${RUNS} runs after ${WARMUP} warm-up, session ${JSON.stringify(session)}\n`);

const registry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR, session });
const inlineRegistry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR, runtime: 'inline', session });
const model = await registry.load(MODEL);
const inline = await inlineRegistry.load(MODEL);
const query = await testQuery(photo);
const pre = await preprocess(model.manifest, query.image, { crop: query.crop });
const feeds = { input: { data: pre.data, dims: pre.dims } };

// a gallery of real embeddings: crops of every shared photo, DISHES × PER_DISH of them
const gallery = new DishGallery(registry);
{
  const { readdirSync } = await import('node:fs');
  const photos = readdirSync(SHARED_IMAGES_DIR).filter((f) => /\.(jpe?g|png)$/i.test(f));
  const sizes = await Promise.all(photos.map((f) => imageSize(image(f))));
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let d = 0; d < DISHES; d++) {
    const p = d % photos.length;
    const views = Array.from({ length: PER_DISH }, () => {
      const w = 0.5 + rnd() * 0.5;
      const h = 0.5 + rnd() * 0.5;
      return { image: image(photos[p]!), crop: fracCrop(sizes[p]!, rnd() * (1 - w), rnd() * (1 - h), w, h) };
    });
    await gallery.enrol(`dish-${String(d).padStart(3, '0')}`, views);
  }
}
const frame = await sharp(photo).resize(640, 360, { fit: 'contain' }).removeAlpha().raw().toBuffer();
const rgbFrame = { rgb: frame, width: 640, height: 360 };
const embedding = await gallery.embedder.embed(query.image, query.crop);
console.log(`gallery: ${gallery.dishes().length} dishes × ${PER_DISH} photos (crops of the ${SHARED_IMAGES_DIR} photos)\n`);

const results: Stat[] = [];
const bareInline = await measure('(a) bare session.run, pre-made tensor, inline', () => inline.run(feeds));
results.push(bareInline);
const bareWorker = await measure('(a′) bare session.run, pre-made tensor, via the worker', () => model.run(feeds));
results.push(bareWorker);
results.push(await measure('(b) preprocess: JPEG file → tensor (crop 72×78 %)', () => preprocess(model.manifest, query.image, { crop: query.crop })));
results.push(await measure('(b′) preprocess: 640×360 packed-RGB frame → tensor', () => preprocess(model.manifest, rgbFrame)));
results.push(await measure(`(d) gallery search alone, ${DISHES}×${PER_DISH}`, () => gallery.search(embedding, 3)));
const full = await measure(`(c) full recognise(): JPEG → top-3 of ${DISHES} dishes`, () => gallery.recognise(query.image, { crop: query.crop }));
results.push(full);
const fullFrame = await measure(`(c′) full recognise(): 640×360 frame → top-3`, () => gallery.recognise(rgbFrame));
results.push(fullFrame);

const ratio = full.median / bareInline.median;
const ratioWorker = full.median / bareWorker.median;
const ratioFrame = fullFrame.median / bareInline.median;
console.log(`\noverhead full / bare (medians, this run):`);
console.log(`  JPEG file    (c)/(a) ${ratio.toFixed(2)}×   (c)/(a′) ${ratioWorker.toFixed(2)}×`);
console.log(`  camera frame (c′)/(a) ${ratioFrame.toFixed(2)}×   (c′)/(a′) ${(fullFrame.median / bareWorker.median).toFixed(2)}×`);
console.log(`worker transport (a′) − (a): ${(bareWorker.median - bareInline.median).toFixed(2)} ms median per run; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);

if (opt.json) {
  writeFileSync(
    opt.json,
    JSON.stringify({ at: new Date().toISOString(), cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), photo: opt.photo, runs: RUNS, dishes: DISHES, perDish: PER_DISH, results, ratio, ratioWorker, ratioFrame, loadavg: os.loadavg() }, null, 2),
  );
}
await registry.close();
await inlineRegistry.close();
