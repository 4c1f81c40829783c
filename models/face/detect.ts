// Face detection: YuNet (faces + 5 landmarks, any input size that is a multiple of 32,
// or the fixed 320×320 export) and UltraFace RFB-320 (faces only). Both decoders work
// on the model's outputs and return boxes and landmarks in pixels of the source image.
//
// YuNet (models/manifests/yunet_*.json, ../shared/models/README.md): no anchors; for the
// cell at row r, column c of stride s (8, 16, 32): score = √(cls·obj); centre =
// ((c+dx)·s, (r+dy)·s); size = (e^dw·s, e^dh·s); landmark k = ((kx+c)·s, (ky+r)·s).
// Landmark order: the eye on the image's left (the person's right), the other eye, the
// nose tip, the mouth corner on the image's left, the other mouth corner — the order of
// the ArcFace template. UltraFace: softmaxed [background, face] scores and corner boxes
// in 0–1 of its 320×240 input (priors baked in). Then greedy NMS at IoU 0.3.
import { preprocess, toTensor, type Preprocessed, type RgbImage } from '../preprocess.ts';
import { applyAffine, invertAffine, warpAffine, type Affine } from './align.ts';
import type { ModelRegistry } from '../registry.ts';
import type { TensorData } from '../runtime/runtime.ts';
import { nms, type Box, type Point } from '../boxes.ts';

// Box (x1, y1, x2, y2 in pixels of the EXIF-rotated source image), Point, IoU and NMS are
// models/boxes.ts, shared with the object detector; Box, Point and iou re-exported for the face pipeline.
export { iou, type Box, type Point } from '../boxes.ts';

export interface Detection {
  box: Box;
  /** 0–1 */
  score: number;
  /** 5 points (eyes, nose, mouth corners), when the detector gives them */
  landmarks?: Point[];
  /** how many upright re-detections located the landmarks (FaceDetector.refine) */
  refined?: number;
}

export const YUNET_STRIDES = [8, 16, 32] as const;

/**
 * Score threshold of each detector, set on the shared photos (bench/face/thresholds.ts,
 * section 1). YuNet: frontal faces score 0.924–0.953; everything else ≤ 0.70 (the cat
 * 0.57, blurred profile faces in the background 0.38–0.70) — 0.8 sits in that gap
 * (OpenCV's FaceDetectorYN uses 0.9). UltraFace: faces 0.994–1.000, the salad photo 0.93,
 * the cat's face 0.991 (UltraFace cannot tell it from a person's; YuNet can) — 0.95.
 */
export const DETECTOR_DEFAULTS: Record<DetectorKind, { minScore: number; nmsIou: number }> = {
  yunet: { minScore: 0.8, nmsIou: 0.3 },
  ultraface: { minScore: 0.95, nmsIou: 0.3 },
};

/** Maps a point of the model input back to the source image. */
function back(pre: Pick<Preprocessed, 'region' | 'scale'>, x: number, y: number): Point {
  return [pre.region.left + x / pre.scale.x, pre.region.top + y / pre.scale.y];
}

function clampBox(b: Box, w: number, h: number): Box {
  return [Math.max(0, Math.min(w, b[0])), Math.max(0, Math.min(h, b[1])), Math.max(0, Math.min(w, b[2])), Math.max(0, Math.min(h, b[3]))];
}

/**
 * Decodes YuNet's 12 outputs (input `inputW`×`inputH`) to detections in source pixels.
 * Only cells at or above `minScore` are decoded.
 */
export function decodeYunet(
  outputs: Record<string, TensorData>,
  inputW: number,
  inputH: number,
  pre: Pick<Preprocessed, 'region' | 'scale' | 'source'>,
  opts: { minScore: number; nmsIou: number; strides?: readonly number[] },
): Detection[] {
  const found: Detection[] = [];
  for (const s of opts.strides ?? YUNET_STRIDES) {
    const cls = outputs[`cls_${s}`]?.data;
    const obj = outputs[`obj_${s}`]?.data;
    const bbox = outputs[`bbox_${s}`]?.data;
    const kps = outputs[`kps_${s}`]?.data;
    if (!cls || !obj || !bbox || !kps) throw new Error(`YuNet output for stride ${s} missing (cls/obj/bbox/kps_${s})`);
    const cols = Math.floor(inputW / s);
    const rows = Math.floor(inputH / s);
    if (cls.length !== rows * cols) throw new Error(`YuNet cls_${s}: ${cls.length} cells for a ${cols}×${rows} grid (input ${inputW}×${inputH})`);
    for (let i = 0; i < cls.length; i++) {
      const c1 = Math.min(1, Math.max(0, cls[i]!));
      const o1 = Math.min(1, Math.max(0, obj[i]!));
      const score = Math.sqrt(c1 * o1);
      if (score < opts.minScore) continue;
      const r = Math.floor(i / cols);
      const c = i - r * cols;
      const cx = (c + bbox[i * 4]!) * s;
      const cy = (r + bbox[i * 4 + 1]!) * s;
      const w = Math.exp(bbox[i * 4 + 2]!) * s;
      const h = Math.exp(bbox[i * 4 + 3]!) * s;
      const p1 = back(pre, cx - w / 2, cy - h / 2);
      const p2 = back(pre, cx + w / 2, cy + h / 2);
      const landmarks: Point[] = [];
      for (let k = 0; k < 5; k++) landmarks.push(back(pre, (kps[i * 10 + 2 * k]! + c) * s, (kps[i * 10 + 2 * k + 1]! + r) * s));
      found.push({ box: clampBox([p1[0], p1[1], p2[0], p2[1]], pre.source.width, pre.source.height), score, landmarks });
    }
  }
  return nms(found, { iou: opts.nmsIou, classWise: false, maxDetections: 750 });
}

/** Decodes UltraFace's `scores` and `boxes` (corners in 0–1 of its input) to source pixels. */
export function decodeUltraface(
  outputs: Record<string, TensorData>,
  inputW: number,
  inputH: number,
  pre: Pick<Preprocessed, 'region' | 'scale' | 'source'>,
  opts: { minScore: number; nmsIou: number; faceClass?: number },
): Detection[] {
  const scores = outputs['scores'];
  const boxes = outputs['boxes'];
  if (!scores || !boxes) throw new Error('UltraFace outputs "scores" and "boxes" expected');
  const classes = scores.dims.at(-1) ?? 2;
  const k = opts.faceClass ?? 1;
  const n = scores.data.length / classes;
  const found: Detection[] = [];
  for (let i = 0; i < n; i++) {
    const score = scores.data[i * classes + k]!;
    if (score < opts.minScore) continue;
    const b = boxes.data.subarray(i * 4, i * 4 + 4);
    const p1 = back(pre, b[0]! * inputW, b[1]! * inputH);
    const p2 = back(pre, b[2]! * inputW, b[3]! * inputH);
    found.push({ box: clampBox([p1[0], p1[1], p2[0], p2[1]], pre.source.width, pre.source.height), score });
  }
  return nms(found, { iou: opts.nmsIou, classWise: false, maxDetections: 750 });
}

export interface FaceDetectorOptions {
  /** registry model name: a YuNet (`yunet_n_dynamic` default, `yunet_n_320_320`) or `ultraface-RFB-320` */
  model?: string;
  minScore?: number;
  nmsIou?: number;
  /** dynamic YuNet: the longer side of the detector input (default 640; the image is never upscaled) */
  maxSide?: number;
}

export type DetectorKind = 'yunet' | 'ultraface';

export class FaceDetector {
  readonly model: string;
  readonly kind: DetectorKind;
  readonly minScore: number;
  readonly nmsIou: number;
  readonly maxSide: number;

  constructor(
    readonly registry: ModelRegistry,
    opts: FaceDetectorOptions = {},
  ) {
    this.model = opts.model ?? 'yunet_n_dynamic';
    const m = registry.manifest(this.model);
    if (m.family !== 'face-detector') throw new Error(`model ${this.model} is a ${m.family}, not a face-detector`);
    const outs = m.outputs.map((o) => o.name);
    if (outs.includes('kps_8')) this.kind = 'yunet';
    else if (outs.includes('scores') && outs.includes('boxes')) this.kind = 'ultraface';
    else throw new Error(`model ${this.model}: outputs ${outs.join(', ')} are neither YuNet's (cls/obj/bbox/kps_8…) nor UltraFace's (scores, boxes)`);
    const p = m.params;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    this.minScore = opts.minScore ?? num(p['score_threshold']) ?? DETECTOR_DEFAULTS[this.kind]!.minScore;
    this.nmsIou = opts.nmsIou ?? num(p['nms_iou']) ?? DETECTOR_DEFAULTS[this.kind]!.nmsIou;
    this.maxSide = opts.maxSide ?? 640;
  }

  get landmarks(): boolean {
    return this.kind === 'yunet';
  }

  /** The input size for a source image: fixed models their own; dynamic YuNet fits `maxSide`, rounded up to multiples of 32. */
  inputSize(width: number, height: number): { width: number; height: number } {
    const m = this.registry.manifest(this.model);
    const [, , h, w] = m.input.shape;
    if (typeof h === 'number' && typeof w === 'number') return { width: w, height: h };
    const r = m.preprocess.resize;
    const mult = r.mode === 'letterbox-top-left' ? (r.multiple_of ?? 32) : 32;
    const k = Math.min(1, this.maxSide / Math.max(width, height));
    return { width: Math.max(mult, Math.ceil((width * k) / mult) * mult), height: Math.max(mult, Math.ceil((height * k) / mult) * mult) };
  }

  /** Faces in a decoded image, best score first, in its pixels. */
  async detect(img: RgbImage, minScore = this.minScore): Promise<Detection[]> {
    const model = await this.registry.load(this.model);
    const size = this.inputSize(img.width, img.height);
    // a frame already the input's size (640×480, 480×640, the refine crops) needs no resize:
    // straight to the tensor, without a round trip through sharp (≈ 5 ms for 640×480 here)
    const direct = size.width === img.width && size.height === img.height && model.manifest.preprocess.resize.mode !== 'shorter-side-then-center-crop';
    const pre: Preprocessed = direct
      ? {
          data: toTensor(model.manifest, img.rgb, img.width, img.height),
          dims: [1, 3, img.height, img.width],
          source: { width: img.width, height: img.height },
          region: { left: 0, top: 0, width: img.width, height: img.height },
          scale: { x: 1, y: 1 },
        }
      : await preprocess(model.manifest, img, typeof model.manifest.input.shape[3] === 'number' ? {} : { size });
    const [, , H, W] = pre.dims;
    const out = await model.run({ [model.manifest.input.name]: { data: pre.data, dims: pre.dims } }, { transfer: true });
    const opts = { minScore, nmsIou: this.nmsIou };
    return this.kind === 'yunet' ? decodeYunet(out, W, H, pre, opts) : decodeUltraface(out, W, H, pre, opts);
  }

  /**
   * Landmarks again on the face brought upright and to a standard size: the face is warped
   * (rotation −roll about the landmarks' centroid, its box to ~87 px) into a `size`² crop,
   * detected there, and the landmarks mapped back; `passes` times. YuNet's landmarks pull
   * toward an upright face — the image rotated 30° measures 12–29° — and a face far from
   * the detector's scale (a 1 200 px face in a 640 px input, a 70 px one) is located more
   * coarsely; bench/face/thresholds.ts (section 5b) shows what it changes. Stops early when
   * a pass moves the eye-line angle by less than `settle` degrees (default 3): an upright
   * face costs one pass.
   */
  async refine(img: RgbImage, d: Detection, opts: { passes?: number; size?: number; settle?: number } = {}): Promise<Detection> {
    if (this.kind !== 'yunet' || !d.landmarks) return d;
    const S = opts.size ?? 192;
    const side = Math.max(d.box[2] - d.box[0], d.box[3] - d.box[1]);
    let lm = d.landmarks;
    let refined = 0;
    for (let pass = 0; pass < (opts.passes ?? 2); pass++) {
      const [le, re] = lm as [Point, Point];
      const theta = Math.atan2(re[1] - le[1], re[0] - le[0]);
      const cx = lm.reduce((a, p) => a + p[0], 0) / lm.length;
      const cy = lm.reduce((a, p) => a + p[1], 0) / lm.length;
      const k = S / 2.2 / side;
      const c = Math.cos(-theta) * k, s = Math.sin(-theta) * k;
      const m: Affine = [c, -s, S / 2 - (c * cx - s * cy), s, c, S / 2 - (s * cx + c * cy)];
      const crop = { rgb: warpAffine(img, m, S, S), width: S, height: S };
      const found = (await this.detect(crop, Math.min(this.minScore, 0.5))).filter((f) => f.landmarks);
      const dist = (f: Detection) => Math.hypot((f.box[0] + f.box[2]) / 2 - S / 2, (f.box[1] + f.box[3]) / 2 - S / 2);
      const best = found.sort((a, b) => dist(a) - dist(b))[0];
      if (!best || dist(best) > S / 4) break;
      const inv = invertAffine(m);
      lm = best.landmarks!.map((p) => applyAffine(inv, p));
      refined++;
      // the crop was upright within `settle`° already: another pass would change little
      const [nl, nr] = lm as [Point, Point];
      const change = Math.abs(((Math.atan2(nr[1] - nl[1], nr[0] - nl[0]) - theta + 3 * Math.PI) % (2 * Math.PI)) - Math.PI);
      if ((change * 180) / Math.PI < (opts.settle ?? 3)) break;
    }
    return { ...d, landmarks: lm, refined };
  }
}
