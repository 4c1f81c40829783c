// YOLO-family output decoding and NMS: pure functions over output tensors, no I/O.
//
// Every decoder returns candidates in pixels of the MODEL INPUT (the letterboxed
// tensor); `Detector` maps them back to the source image. Layouts:
//
//   yolox   [1, N, 5+C]  per cell: x, y, log w, log h (raw), obj, C class scores (sigmoid
//                        already applied); N = Σ (H/s)·(W/s) over the strides, cells row
//                        by row, stride by stride; xy = (p + grid)·s, wh = e^p·s.
//   yolov5  [1, N, 5+C]  cx, cy, w, h in input pixels (anchors and grid already applied
//                        by the export), obj, C class scores (sigmoid applied).
//   yolov8  [1, 4+C, N]  cx, cy, w, h, then C class scores; no objectness. Also accepted
//                        transposed, [1, N, 4+C] (some exports), told apart by the shape.
//
// Score = obj · cls (v8: cls). Only the best class of a cell is kept (as the YOLOX and
// Ultralytics demos do); then class-wise NMS (models/boxes.ts).

import type { Box } from '../boxes.ts';

// Box, IoU and NMS live in models/boxes.ts (shared with the face detector); re-exported here.
export { area, iou, nms, type Box, type NmsOptions } from '../boxes.ts';

export const LAYOUTS = ['yolox', 'yolov5', 'yolov8'] as const;
export type Layout = (typeof LAYOUTS)[number];

export interface Candidate {
  classIndex: number;
  score: number;
  box: Box;
}

export interface DecodeOptions {
  /** keep candidates scoring at least this (obj · cls) */
  minScore: number;
  /** model input size, pixels (the tensor's W and H) */
  inputWidth: number;
  inputHeight: number;
  /** yolox: strides, default [8, 16, 32] */
  strides?: readonly number[];
  /** number of classes when known (labels); otherwise taken from the shape */
  numClasses?: number;
}

export interface OutputTensor {
  data: ArrayLike<number>;
  dims: readonly number[];
}

/** Grid sizes per stride for an input: [H/s, W/s] (rounded up, as a strided conv does). */
export function gridsFor(inputWidth: number, inputHeight: number, strides: readonly number[]): { stride: number; gw: number; gh: number }[] {
  return strides.map((stride) => ({ stride, gw: Math.ceil(inputWidth / stride), gh: Math.ceil(inputHeight / stride) }));
}

function rowsAndWidth(t: OutputTensor, what: string): { n: number; k: number } {
  const d = t.dims;
  if (d.length !== 3 || d[0] !== 1) throw new Error(`${what}: expected an output [1, N, K], got [${d.join(',')}]`);
  const n = d[1]!;
  const k = d[2]!;
  if (t.data.length !== n * k) throw new Error(`${what}: ${t.data.length} values for [${d.join(',')}]`);
  return { n, k };
}

/** YOLOX: raw grid offsets and log sizes, decoded here. */
export function decodeYolox(t: OutputTensor, o: DecodeOptions): Candidate[] {
  const { n, k } = rowsAndWidth(t, 'yolox');
  const strides = o.strides ?? [8, 16, 32];
  const grids = gridsFor(o.inputWidth, o.inputHeight, strides);
  const cells = grids.reduce((s, g) => s + g.gw * g.gh, 0);
  if (cells !== n) {
    throw new Error(
      `yolox: ${n} rows but strides [${strides.join(',')}] on a ${o.inputWidth}×${o.inputHeight} input give ${cells} cells (${grids.map((g) => `${g.gw}×${g.gh}`).join(' + ')})`,
    );
  }
  const C = checkClasses(k - 5, o.numClasses, 'yolox');
  const out: Candidate[] = [];
  const d = t.data;
  let row = 0;
  for (const { stride, gw, gh } of grids) {
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++, row++) {
        const base = row * k;
        const obj = d[base + 4]!;
        if (obj < o.minScore) continue; // score = obj · cls ≤ obj
        const best = bestClass(d, base + 5, C);
        const score = obj * best.score;
        if (score < o.minScore) continue;
        const cx = (d[base]! + gx) * stride;
        const cy = (d[base + 1]! + gy) * stride;
        const w = Math.exp(d[base + 2]!) * stride;
        const h = Math.exp(d[base + 3]!) * stride;
        out.push({ classIndex: best.index, score, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
      }
    }
  }
  return out;
}

/** YOLOv5 (and YOLOX exported with decoding inside): centre, size in input pixels, obj, classes. */
export function decodeYolov5(t: OutputTensor, o: DecodeOptions): Candidate[] {
  const { n, k } = rowsAndWidth(t, 'yolov5');
  const C = checkClasses(k - 5, o.numClasses, 'yolov5');
  const out: Candidate[] = [];
  const d = t.data;
  for (let row = 0; row < n; row++) {
    const base = row * k;
    const obj = d[base + 4]!;
    if (obj < o.minScore) continue;
    const best = bestClass(d, base + 5, C);
    const score = obj * best.score;
    if (score < o.minScore) continue;
    const cx = d[base]!;
    const cy = d[base + 1]!;
    const w = d[base + 2]!;
    const h = d[base + 3]!;
    out.push({ classIndex: best.index, score, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
  }
  return out;
}

/** YOLOv8 / v11: [1, 4+C, N] channel-first (or [1, N, 4+C]); no objectness. */
export function decodeYolov8(t: OutputTensor, o: DecodeOptions): Candidate[] {
  const d = t.dims;
  if (d.length !== 3 || d[0] !== 1) throw new Error(`yolov8: expected an output [1, 4+C, N], got [${d.join(',')}]`);
  if (t.data.length !== d[1]! * d[2]!) throw new Error(`yolov8: ${t.data.length} values for [${d.join(',')}]`);
  // channel-first unless the classes say otherwise, or (no labels) the second dim is the longer
  let channelFirst: boolean;
  if (o.numClasses !== undefined) {
    if (d[1] === 4 + o.numClasses) channelFirst = true;
    else if (d[2] === 4 + o.numClasses) channelFirst = false;
    else throw new Error(`yolov8: output [${d.join(',')}] does not hold 4 + ${o.numClasses} values per box (${o.numClasses} labels)`);
  } else channelFirst = d[1]! <= d[2]!;
  const K = channelFirst ? d[1]! : d[2]!;
  const n = channelFirst ? d[2]! : d[1]!;
  const C = K - 4;
  if (C < 1) throw new Error(`yolov8: output [${d.join(',')}] has no class scores`);
  // element (row, j): channel-first data[j·n + row], else data[row·K + j]
  const sj = channelFirst ? n : 1;
  const sr = channelFirst ? 1 : K;
  const v = t.data;
  const out: Candidate[] = [];
  for (let row = 0; row < n; row++) {
    const base = row * sr;
    let bi = 0;
    let bs = -Infinity;
    for (let c = 0; c < C; c++) {
      const s = v[base + (4 + c) * sj]!;
      if (s > bs) {
        bs = s;
        bi = c;
      }
    }
    if (bs < o.minScore) continue;
    const cx = v[base]!;
    const cy = v[base + sj]!;
    const w = v[base + 2 * sj]!;
    const h = v[base + 3 * sj]!;
    out.push({ classIndex: bi, score: bs, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
  }
  return out;
}

export function decode(layout: Layout, t: OutputTensor, o: DecodeOptions): Candidate[] {
  switch (layout) {
    case 'yolox':
      return decodeYolox(t, o);
    case 'yolov5':
      return decodeYolov5(t, o);
    case 'yolov8':
      return decodeYolov8(t, o);
  }
}

function checkClasses(fromShape: number, fromLabels: number | undefined, what: string): number {
  if (fromShape < 1) throw new Error(`${what}: the output has no class scores`);
  if (fromLabels !== undefined && fromLabels !== fromShape) {
    throw new Error(`${what}: the output has ${fromShape} class scores but the manifest has ${fromLabels} labels`);
  }
  return fromShape;
}

function bestClass(d: ArrayLike<number>, start: number, C: number): { index: number; score: number } {
  let index = 0;
  let score = d[start]!;
  for (let c = 1; c < C; c++) {
    const s = d[start + c]!;
    if (s > score) {
      score = s;
      index = c;
    }
  }
  return { index, score };
}
