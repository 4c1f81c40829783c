// Corner boxes, IoU and greedy non-maximum suppression: one implementation for every
// detector (models/detector/ for objects, models/face/ for faces).

/** x1, y1, x2, y2 in pixels of the source image */
export type Box = [number, number, number, number];
export type Point = [number, number];

export function area(b: Box): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Intersection over union of two corner boxes (0 when either is empty). */
export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const u = area(a) + area(b) - inter;
  return u > 0 ? inter / u : 0;
}

export interface NmsOptions {
  /** suppress a box overlapping a kept one (of the same class) by more than this */
  iou: number;
  /** true: boxes of different classes never suppress each other (default true; items without a
   * classIndex are all one class) */
  classWise?: boolean;
  /** keep at most this many, best first (default 300) */
  maxDetections?: number;
}

/** Greedy NMS: best first; returns the kept items, best first. Items are not copied. */
export function nms<T extends { score: number; box: Box; classIndex?: number }>(items: readonly T[], o: NmsOptions): T[] {
  const classWise = o.classWise ?? true;
  const max = o.maxDetections ?? 300;
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  for (const it of sorted) {
    if (kept.length >= max) break;
    let ok = true;
    for (const k of kept) {
      if (classWise && k.classIndex !== it.classIndex) continue;
      if (iou(k.box, it.box) > o.iou) {
        ok = false;
        break;
      }
    }
    if (ok) kept.push(it);
  }
  return kept;
}
