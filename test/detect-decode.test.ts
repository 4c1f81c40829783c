// Detector post-processing on synthetic tensors: NMS, the YOLOX / YOLOv5 / YOLOv8 output
// layouts, and the manifest-driven path (layout from params, labels, letterbox undone).
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeYolov5, decodeYolov8, decodeYolox, gridsFor, iou, nms, type Box } from '../models/detector/decode.ts';
import { Detector } from '../models/detector/detector.ts';
import { detectorParams } from '../models/detector/params.ts';
import type { Preprocessed } from '../models/preprocess.ts';
import { createModelRegistry, type LoadedModel, type ModelRegistry } from '../models/registry.ts';

const det = (classIndex: number, score: number, box: Box) => ({ classIndex, score, box });

describe('iou and NMS', () => {
  it('iou: identical 1, disjoint 0, half overlap 1/3', () => {
    expect(iou([0, 0, 10, 10], [0, 0, 10, 10])).toBe(1);
    expect(iou([0, 0, 10, 10], [20, 20, 30, 30])).toBe(0);
    expect(iou([0, 0, 10, 10], [10, 0, 20, 10])).toBe(0); // touching edges
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 10);
    expect(iou([0, 0, 0, 10], [0, 0, 0, 10])).toBe(0); // empty boxes
  });

  it('keeps the best of overlapping boxes of one class, best first', () => {
    const kept = nms([det(0, 0.6, [1, 1, 11, 11]), det(0, 0.9, [0, 0, 10, 10]), det(0, 0.5, [50, 50, 60, 60])], { iou: 0.45 });
    expect(kept.map((d) => d.score)).toEqual([0.9, 0.5]);
  });

  it('class-wise: a dog and a cat on the same spot both stay; class-agnostic: one', () => {
    const items = [det(0, 0.9, [0, 0, 10, 10]), det(1, 0.8, [0, 0, 10, 10])];
    expect(nms(items, { iou: 0.45 })).toHaveLength(2);
    expect(nms(items, { iou: 0.45, classWise: false }).map((d) => d.classIndex)).toEqual([0]);
  });

  it('suppresses only above the IoU threshold', () => {
    const a = det(0, 0.9, [0, 0, 10, 10]);
    const b = det(0, 0.8, [5, 0, 15, 10]); // IoU 1/3
    expect(nms([a, b], { iou: 0.34 })).toHaveLength(2);
    expect(nms([a, b], { iou: 0.33 })).toHaveLength(1);
  });

  it('caps the number of detections', () => {
    const many = Array.from({ length: 20 }, (_, i) => det(0, i / 20, [i * 20, 0, i * 20 + 10, 10] as Box));
    const kept = nms(many, { iou: 0.5, maxDetections: 5 });
    expect(kept.map((d) => d.score)).toEqual([0.95, 0.9, 0.85, 0.8, 0.75]);
  });
});

describe('YOLOX layout', () => {
  // a 64×64 input, strides 8/16/32 → grids 8×8, 4×4, 2×2 = 84 rows; 3 classes
  const K = 8;
  const rows = 64 + 16 + 4;
  const tensor = () => ({ data: new Float32Array(rows * K), dims: [1, rows, K] });

  it('grids from the input size and strides', () => {
    expect(gridsFor(416, 416, [8, 16, 32]).map((g) => g.gw * g.gh).reduce((a, b) => a + b)).toBe(3549);
    expect(gridsFor(640, 480, [8, 16, 32]).map((g) => [g.gw, g.gh])).toEqual([[80, 60], [40, 30], [20, 15]]);
  });

  it('xy = (p + grid)·s, wh = e^p·s, score = obj·cls, best class', () => {
    const t = tensor();
    // stride 16 grid starts at row 64; cell (gx 2, gy 1) → row 64 + 1·4 + 2 = 70
    const r = 70 * K;
    t.data.set([0.5, 0.5, Math.log(2), 0, 0.9, 0.1, 0.8, 0.2], r);
    // a low-objectness cell at stride 8 is dropped
    t.data.set([0, 0, 0, 0, 0.2, 0.9, 0.9, 0.9], 3 * K);
    const out = decodeYolox(t, { minScore: 0.3, inputWidth: 64, inputHeight: 64 });
    expect(out).toHaveLength(1);
    expect(out[0]!.classIndex).toBe(1);
    expect(out[0]!.score).toBeCloseTo(0.72, 6);
    // centre (40, 24), size 32 × 16
    expect(out[0]!.box.map((v) => +v.toFixed(4))).toEqual([24, 16, 56, 32]);
  });

  it('stride 32, last cell', () => {
    const t = tensor();
    t.data.set([0, 0, 0, 0, 1, 0, 0, 1], (rows - 1) * K); // gx 1, gy 1 at stride 32
    const [d] = decodeYolox(t, { minScore: 0.5, inputWidth: 64, inputHeight: 64 });
    expect(d!.box).toEqual([16, 16, 48, 48]);
    expect(d!.classIndex).toBe(2);
  });

  it('refuses a tensor that does not match the grids, or the labels', () => {
    expect(() => decodeYolox(tensor(), { minScore: 0.3, inputWidth: 96, inputHeight: 64 })).toThrow(/84 rows but strides \[8,16,32\] on a 96×64 input give 126 cells/);
    expect(() => decodeYolox(tensor(), { minScore: 0.3, inputWidth: 64, inputHeight: 64, numClasses: 80 })).toThrow('3 class scores but the manifest has 80 labels');
  });
});

describe('YOLOv5 layout: [1, N, 5+C], anchors applied by the export', () => {
  it('centre and size in input pixels, score = obj·cls', () => {
    const data = Float32Array.from([
      100, 50, 40, 20, 0.9, 0.2, 0.95, // → class 1, 0.855
      10, 10, 4, 4, 0.5, 0.5, 0.5, //     → 0.25, under the threshold
    ]);
    const out = decodeYolov5({ data, dims: [1, 2, 7] }, { minScore: 0.3, inputWidth: 640, inputHeight: 640, numClasses: 2 });
    expect(out).toHaveLength(1);
    expect(out[0]!.classIndex).toBe(1);
    expect(out[0]!.score).toBeCloseTo(0.855, 5);
    expect(out[0]!.box).toEqual([80, 40, 120, 60]);
  });
});

describe('YOLOv8 layout: [1, 4+C, N], no objectness', () => {
  // 3 boxes, 2 classes, channel-first: row j holds value j of every box
  const cf = Float32Array.from([
    /* cx */ 100, 200, 300,
    /* cy */ 50, 60, 70,
    /* w  */ 20, 40, 60,
    /* h  */ 10, 20, 30,
    /* c0 */ 0.9, 0.1, 0.2,
    /* c1 */ 0.05, 0.7, 0.1,
  ]);

  it('channel-first', () => {
    const out = decodeYolov8({ data: cf, dims: [1, 6, 3] }, { minScore: 0.5, inputWidth: 640, inputHeight: 640, numClasses: 2 });
    expect(out.map((d) => [d.classIndex, +d.score.toFixed(3), d.box])).toEqual([
      [0, 0.9, [90, 45, 110, 55]],
      [1, 0.7, [180, 50, 220, 70]],
    ]);
  });

  it('transposed [1, N, 4+C] gives the same boxes', () => {
    const tr = new Float32Array(18);
    for (let j = 0; j < 6; j++) for (let n = 0; n < 3; n++) tr[n * 6 + j] = cf[j * 3 + n]!;
    const a = decodeYolov8({ data: cf, dims: [1, 6, 3] }, { minScore: 0.5, inputWidth: 640, inputHeight: 640, numClasses: 2 });
    const b = decodeYolov8({ data: tr, dims: [1, 3, 6] }, { minScore: 0.5, inputWidth: 640, inputHeight: 640, numClasses: 2 });
    expect(b).toEqual(a);
  });

  it('without labels, the longer dimension is the boxes (real exports: 8400 boxes ≫ 4 + C)', () => {
    const n = 10;
    const data = new Float32Array(6 * n);
    for (const [j, v] of [100, 50, 20, 10, 0, 0.9].entries()) data[j * n + 7] = v; // box 7, class 1
    const out = decodeYolov8({ data, dims: [1, 6, n] }, { minScore: 0.5, inputWidth: 640, inputHeight: 640 });
    expect(out).toEqual([{ classIndex: 1, score: expect.closeTo(0.9, 5), box: [90, 45, 110, 55] }]);
  });

  it('says when the shape does not fit the labels', () => {
    expect(() => decodeYolov8({ data: cf, dims: [1, 6, 3] }, { minScore: 0.5, inputWidth: 640, inputHeight: 640, numClasses: 80 })).toThrow('4 + 80');
  });
});

// ---------------------------------------------------------------- manifest-driven

const tmp = mkdtempSync(path.join(os.tmpdir(), 'detect-decode-'));
const manifest = (name: string, layout: string | undefined, outputs: unknown[], extra: Record<string, unknown> = {}) => ({
  name,
  family: 'detector',
  file: `${name}.onnx`,
  sha256: '0'.repeat(64),
  input: { name: 'images', shape: [1, 3, 640, 640] },
  preprocess: { channel_order: 'RGB', scale: '1/255', resize: { mode: 'letterbox-top-left', pad: 114 } },
  outputs,
  labels: ['hat', 'no_hat'],
  params: { ...(layout ? { layout } : {}), ...extra },
  licence: 'test',
  source: 'synthetic',
});
writeFileSync(path.join(tmp, 'site_v8.json'), JSON.stringify(manifest('site_v8', 'yolov8', [{ name: 'output0' }])));
writeFileSync(path.join(tmp, 'site_v5.json'), JSON.stringify(manifest('site_v5', 'yolov5', [{ name: 'output' }], { min_score: 0.5 })));
writeFileSync(path.join(tmp, 'site_nolayout.json'), JSON.stringify(manifest('site_nolayout', undefined, [{ name: 'output' }])));

let registry: ModelRegistry;
beforeAll(async () => {
  registry = await createModelRegistry({ modelsDir: tmp, manifestDirs: [tmp] });
});
afterAll(() => registry?.close());

/** A letterboxed 1280×720 frame: scale 0.5, the image in the top 360 rows of 640. */
const letterboxed: Preprocessed = {
  data: new Float32Array(0),
  dims: [1, 3, 640, 640],
  source: { width: 1280, height: 720 },
  region: { left: 0, top: 0, width: 1280, height: 720 },
  scale: { x: 0.5, y: 0.5 },
};

describe('Detector: layout chosen by the manifest, boxes in source pixels', () => {
  const fake = (name: string): LoadedModel => ({
    manifest: registry.manifest(name),
    path: '',
    labels: ['hat', 'no_hat'],
    inputs: [],
    outputs: [],
    run: async () => ({}),
  });

  it('yolov8: letterbox undone, labels from the manifest, clipped to the image', () => {
    const d = new Detector(registry, 'site_v8');
    expect(d.params.layout).toBe('yolov8');
    const data = Float32Array.from([
      /* cx */ 100, 600,
      /* cy */ 100, 350,
      /* w  */ 40, 100,
      /* h  */ 60, 40,
      /* hat    */ 0.9, 0.1,
      /* no_hat */ 0.1, 0.8,
    ]);
    const out = d.postprocess(fake('site_v8'), letterboxed, { output0: { data, dims: [1, 6, 2] } });
    expect(out).toEqual([
      { label: 'hat', score: expect.closeTo(0.9, 5), box: [160, 140, 240, 260], model: 'site_v8', classIndex: 0 },
      // y 330…370 in the model → 660…740 in the source, clipped at the bottom (720)
      { label: 'no_hat', score: expect.closeTo(0.8, 5), box: [1100, 660, 1280, 720], model: 'site_v8', classIndex: 1 },
    ]);
  });

  it('a box entirely in the padding is dropped; the manifest min_score applies; label filter', () => {
    const d = new Detector(registry, 'site_v5');
    expect(d.params.minScore).toBe(0.5);
    const data = Float32Array.from([
      100, 500, 40, 40, 0.95, 0.9, 0.1, // below the image (rows 360–640 are padding)
      100, 100, 40, 40, 0.9, 0.2, 0.8, //  → no_hat 0.72
      300, 100, 40, 40, 0.6, 0.7, 0.1, //  → 0.42 < 0.5
    ]);
    const out = d.postprocess(fake('site_v5'), letterboxed, { output: { data, dims: [1, 3, 7] } });
    expect(out.map((x) => [x.label, x.box])).toEqual([['no_hat', [160, 160, 240, 240]]]);
    expect(d.postprocess(fake('site_v5'), letterboxed, { output: { data, dims: [1, 3, 7] } }, { minScore: 0.4 })).toHaveLength(2);
    expect(d.postprocess(fake('site_v5'), letterboxed, { output: { data, dims: [1, 3, 7] } }, { minScore: 0.4, labels: ['hat'] }).map((x) => x.label)).toEqual(['hat']);
  });

  it('a detector manifest without a layout (and no strides) is refused, naming the key', () => {
    expect(() => new Detector(registry, 'site_nolayout')).toThrow('model site_nolayout: params.layout is required: one of yolox, yolov5, yolov8, ultraface');
  });

  it('the shipped yolox_nano manifest decodes as YOLOX (strides given, no layout key)', async () => {
    const shipped = await createModelRegistry({ modelsDir: tmp });
    try {
      expect(detectorParams(shipped.manifest('yolox_nano'))).toMatchObject({ layout: 'yolox', strides: [8, 16, 32], nmsIou: 0.45, classWise: true });
      expect(detectorParams(shipped.manifest('ultraface-RFB-640-masked_face-v2'))).toMatchObject({ layout: 'ultraface', nmsIou: 0.3, minScore: 0.7 });
      expect(() => detectorParams(shipped.manifest('MobileFaceNet'))).toThrow('model MobileFaceNet is a face-embedder, not a detector');
    } finally {
      await shipped.close();
    }
  });
});
