// The detector runtime on the real YOLOX-nano and the real masked-face UltraFace, with the
// real photos of ../shared/images (never copied). Reference boxes were checked by eye by
// drawing them on the photos.
import sharp from 'sharp';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeToRgb } from '../drivers/camera/file-source.ts';
import { iou, type Box } from '../models/detector/decode.ts';
import { Detector, type Detection } from '../models/detector/detector.ts';
import { headRegion, MaskChecker } from '../models/detector/mask.ts';
import { AttributeChecker } from '../models/detector/attribute.ts';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { detectAll } from '../models/detector/multi.ts';
import { imageSize } from '../models/preprocess.ts';
import { createModelRegistry, ModelError, type ModelRegistry } from '../models/registry.ts';
import { image, requireShared, SHARED_MODELS_DIR } from '../bench/recognition/photos.ts';

let registry: ModelRegistry;
let yolox: Detector;
beforeAll(async () => {
  requireShared(['yolox_nano.onnx', 'coco.names', 'ultraface-RFB-640-masked_face-v2.onnx']);
  registry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR });
  yolox = new Detector(registry, 'yolox_nano');
});
afterAll(() => registry?.close());

function expectInside(dets: Detection[], size: { width: number; height: number }): void {
  for (const d of dets) {
    const [x1, y1, x2, y2] = d.box;
    expect(x1).toBeGreaterThanOrEqual(0);
    expect(y1).toBeGreaterThanOrEqual(0);
    expect(x2).toBeLessThanOrEqual(size.width);
    expect(y2).toBeLessThanOrEqual(size.height);
    expect(x2 - x1).toBeGreaterThan(1);
    expect(y2 - y1).toBeGreaterThan(1);
  }
}

function best(dets: Detection[], label: string): Detection {
  const d = dets.filter((x) => x.label === label).sort((a, b) => b.score - a.score)[0];
  if (!d) throw new Error(`no ${label} in ${dets.map((x) => `${x.label} ${x.score.toFixed(2)}`).join(', ')}`);
  return d;
}

describe('YOLOX-nano on real photos', () => {
  it('darknet_dog.jpg (768×576) → dog, bicycle, car, where they are', async () => {
    const file = image('darknet_dog.jpg');
    const dets = await yolox.detect(file);
    const size = await imageSize(file);
    expectInside(dets, size);
    // checked by eye: the dog sits lower left, the bicycle spans the middle, the white pickup is top right
    const ref: Record<string, Box> = { dog: [130, 210, 322, 540], bicycle: [48, 132, 570, 430], car: [466, 78, 690, 172] };
    for (const [label, box] of Object.entries(ref)) {
      const d = best(dets, label);
      expect(d.score, label).toBeGreaterThan(0.6);
      expect(iou(d.box, box), `${label} at ${d.box.map(Math.round)}`).toBeGreaterThan(0.85);
      expect(d.model).toBe('yolox_nano');
    }
  });

  it('darknet_person.jpg (640×424) → a person, standing tall, left of centre; the dog and the horse too', async () => {
    const file = image('darknet_person.jpg');
    const dets = await yolox.detect(file);
    expectInside(dets, await imageSize(file));
    const p = best(dets, 'person');
    expect(p.score).toBeGreaterThan(0.7);
    expect(iou(p.box, [190, 98, 276, 374])).toBeGreaterThan(0.85);
    expect(p.box[3] - p.box[1]).toBeGreaterThan(2.5 * (p.box[2] - p.box[0])); // standing: tall and narrow
    expect(iou(best(dets, 'horse').box, [403, 138, 602, 345])).toBeGreaterThan(0.8);
    expect(iou(best(dets, 'dog').box, [62, 263, 200, 351])).toBeGreaterThan(0.8);
  });

  it('skimage_coffee.png (600×400) → a cup in the upper middle', async () => {
    const file = image('skimage_coffee.png');
    const dets = await yolox.detect(file);
    expectInside(dets, await imageSize(file));
    const cup = best(dets, 'cup');
    expect(cup.score).toBeGreaterThan(0.7);
    expect(iou(cup.box, [162, 15, 422, 293])).toBeGreaterThan(0.85);
  });

  it('a camera frame (packed RGB 640×360, photo fitted with bars) → boxes in frame pixels', async () => {
    // darknet_person 640×424 fitted into 640×360: scaled 360/424, centred with 48-px bars left and right
    const rgb = await decodeToRgb(image('darknet_person.jpg'), 640, 360);
    const dets = await yolox.detect({ rgb, width: 640, height: 360 });
    expectInside(dets, { width: 640, height: 360 });
    const k = 360 / 424;
    const bar = (640 - 640 * k) / 2;
    const expected: Box = [bar + 190 * k, 98 * k, bar + 276 * k, 374 * k];
    expect(iou(best(dets, 'person').box, expected)).toBeGreaterThan(0.8);
  });

  it('a crop: only what is inside, boxes still in whole-image pixels', async () => {
    const file = image('darknet_dog.jpg');
    const dets = await yolox.detect(file, { crop: { left: 420, top: 40, width: 348, height: 200 } });
    const car = best(dets, 'car');
    expect(iou(car.box, [466, 78, 690, 172])).toBeGreaterThan(0.8);
    expect(dets.some((d) => d.label === 'dog')).toBe(false);
  });

  it('min score and label filter', async () => {
    const file = image('darknet_dog.jpg');
    const all = await yolox.detect(file, { minScore: 0.05 });
    const strict = await yolox.detect(file, { minScore: 0.75 });
    expect(all.length).toBeGreaterThan(strict.length);
    expect(strict.every((d) => d.score >= 0.75)).toBe(true);
    expect((await yolox.detect(file, { labels: ['car', 'truck'] })).map((d) => d.label).every((l) => l === 'car' || l === 'truck')).toBe(true);
  });

  it('several models on one image: one list, each detection naming its model', async () => {
    const masks = new Detector(registry, 'ultraface-RFB-640-masked_face-v2');
    const dets = await detectAll([yolox, masks], image('pexels_cc0_smiling-woman.jpg'));
    expect(best(dets, 'person').model).toBe('yolox_nano');
    expect(best(dets, 'face').model).toBe('ultraface-RFB-640-masked_face-v2');
    for (const d of dets) expect(Object.keys(d)).toEqual(expect.arrayContaining(['label', 'score', 'box', 'model']));
  });

  it('a missing model file → ModelError "missing", before any session', async () => {
    const empty = await createModelRegistry({ modelsDir: mkdtempSync(path.join(os.tmpdir(), 'no-models-')) });
    try {
      const d = new Detector(empty, 'yolox_nano');
      const err = await d.detect(image('darknet_dog.jpg')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelError);
      expect((err as ModelError).state).toBe('missing');
      expect((err as Error).message).toMatch(/yolox_nano\.onnx not found in models dir/);
    } finally {
      await empty.close();
    }
  });
});

describe('mask check (UltraFace RFB-640 masked_face v2)', () => {
  let masks: MaskChecker;
  beforeAll(() => {
    masks = new MaskChecker(registry);
  });

  it('pexels_cc0_smiling-woman.jpg: one face, not masked', async () => {
    const file = image('pexels_cc0_smiling-woman.jpg');
    const faces = await masks.checkMasks(file);
    expect(faces).toHaveLength(1);
    const [f] = faces;
    expect(f!.masked).toBe(false);
    expect(f!.score).toBeGreaterThan(0.9);
    expect(f!.maskedScore).toBeLessThan(0.1);
    // the face is in the upper middle of the 433×650 portrait
    expect(iou(f!.box, [175, 52, 341, 283])).toBeGreaterThan(0.8);
  });

  it('the same face with a mask drawn over nose and mouth (synthetic) → masked', async () => {
    const file = image('pexels_cc0_smiling-woman.jpg');
    const { width, height } = await imageSize(file);
    const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><path d="M185 175 Q258 150 332 175 L325 255 Q258 300 192 255 Z" fill="#a9d3e8"/></svg>`;
    const masked = await sharp(file).composite([{ input: Buffer.from(svg) }]).png().toBuffer();
    const faces = await masks.checkMasks(masked);
    expect(faces).toHaveLength(1);
    expect(faces[0]!.masked).toBe(true);
    expect(faces[0]!.maskedScore).toBeGreaterThan(0.9);
  });

  it('with person boxes from YOLOX: the head region of each person; faces in whole-image pixels', async () => {
    const file = image('compreface_000_5.jpg');
    const persons = await yolox.detect(file, { labels: ['person'] });
    expect(persons.length).toBeGreaterThanOrEqual(4);
    const faces = await masks.checkMasks(file, persons, { minScore: 0.5 });
    const whole = await masks.checkMasks(file, undefined, { minScore: 0.5 });
    expect(whole).toHaveLength(5); // shared/models/README: exactly 5 faces
    expect(faces.length).toBeGreaterThanOrEqual(4);
    for (const f of faces) {
      expect(f.masked).toBe(false);
      expect(f.person).toBeTypeOf('number');
      // every face found in a person crop is one of the faces found on the whole image
      expect(Math.max(...whole.map((w) => iou(w.box, f.box)))).toBeGreaterThan(0.5);
    }
  });

  it('an empty person list → no faces, no inference', async () => {
    expect(await masks.checkMasks(image('pexels_cc0_smiling-woman.jpg'), [])).toEqual([]);
  });

  it('head region: the top of the person, widened to 4:3, inside the image', () => {
    const r = headRegion([100, 50, 160, 350], 640, 480); // a standing person 60×300
    expect(r.top).toBeLessThanOrEqual(50);
    expect(r.top + r.height).toBeLessThan(350);
    expect(r.width / r.height).toBeCloseTo(4 / 3, 1);
    const edge = headRegion([600, 0, 640, 100], 640, 480);
    expect(edge.left + edge.width).toBeLessThanOrEqual(640);
    expect(edge.left).toBeGreaterThanOrEqual(0);
  });
});

describe('per-person attribute (models/detector/attribute.ts): the mask check is one instance', () => {
  it('the masked-face manifest\'s params.attribute gives the same per-person verdicts as the mask check', async () => {
    const file = image('compreface_000_5.jpg');
    const persons = await yolox.detect(file, { labels: ['person'] });
    const byAttribute = await new AttributeChecker(registry, 'ultraface-RFB-640-masked_face-v2').check(file, persons.map((p) => p.box));
    const faces = await new MaskChecker(registry).checkMasks(file, persons);
    const bestMask = new Map<number, { score: number; masked: boolean }>();
    for (const f of faces) if (!bestMask.has(f.person!) || f.score > bestMask.get(f.person!)!.score) bestMask.set(f.person!, f);
    expect(byAttribute.length).toBeGreaterThanOrEqual(4);
    expect(new Map(byAttribute.map((a) => [a.person, a.has]))).toEqual(new Map([...bestMask].map(([i, f]) => [i, f.masked])));
  });

  it('a new per-person check is a manifest only: a site manifest naming with/without labels, no code', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'attr-models-'));
    mkdirSync(path.join(dir, 'manifests'));
    symlinkSync(path.join(SHARED_MODELS_DIR, 'ultraface-RFB-640-masked_face-v2.onnx'), path.join(dir, 'ultraface-RFB-640-masked_face-v2.onnx'));
    const m = JSON.parse(readFileSync('models/manifests/ultraface-RFB-640-masked_face-v2.json', 'utf8'));
    // "bare face" as the attribute a person has: the inverse of the mask check
    writeFileSync(path.join(dir, 'manifests', 'bare_face.json'), JSON.stringify({ ...m, name: 'bare_face', params: { nms_iou: 0.3, attribute: { with: 'face', without: 'masked_face', region: 'head' } } }));
    writeFileSync(path.join(dir, 'manifests', 'no_attribute.json'), JSON.stringify({ ...m, name: 'no_attribute', params: { nms_iou: 0.3 } }));
    const site = await createModelRegistry({ modelsDir: dir });
    try {
      const file = image('compreface_000_5.jpg');
      const persons = (await yolox.detect(file, { labels: ['person'] })).map((p) => p.box);
      const mask = await new AttributeChecker(site, 'ultraface-RFB-640-masked_face-v2').check(file, persons);
      const bare = await new AttributeChecker(site, 'bare_face').check(file, persons);
      expect(bare.map((b) => [b.person, b.has])).toEqual(mask.map((a) => [a.person, !a.has]));
      expect(() => new AttributeChecker(site, 'no_attribute')).toThrow(/model no_attribute: params\.attribute: missing/);
    } finally {
      await site.close();
    }
  });
});
