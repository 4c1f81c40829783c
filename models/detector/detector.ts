// Object detection over a registry model: pre-process (letterbox or stretch, per the
// manifest), run in the inference worker, decode the manifest's layout, undo the resize
// so boxes are in pixels of the original image, threshold, NMS, label.
//
// Every detector — a YOLO-family model or UltraFace — gives the same `Detection`
// ({ label, score, box, model }), so a rule can use any label a configured model produces.
import { preprocess, type CropBox, type ImageInput, type Preprocessed } from '../preprocess.ts';
import type { LoadedModel, ModelRegistry } from '../registry.ts';
import type { ModelManifest } from '../manifest.ts';
import { nms, type Box } from '../boxes.ts';
import { decode, type Candidate } from './decode.ts';
import { detectorParams, isYoloLayout, type DetectorParams } from './params.ts';

export interface Detection {
  /** the model's label for the class (manifest labels; "#index" when it has none) */
  label: string;
  /** 0–1 */
  score: number;
  /** [x1, y1, x2, y2] in pixels of the original (EXIF-rotated) image */
  box: Box;
  /** manifest name of the model that produced it */
  model: string;
  classIndex: number;
  /** UltraFace-style models: every class's probability, in label order (background first) */
  probs?: number[];
}

export interface DetectOptions {
  /** default: the detector's (options, else manifest params.min_score, else 0.3; UltraFace 0.7) */
  minScore?: number;
  /** look only inside this region of the image; boxes are still in whole-image pixels */
  crop?: CropBox;
  /** keep only these labels */
  labels?: readonly string[];
}

export interface DetectorOptions {
  minScore?: number;
  nmsIou?: number;
  maxDetections?: number;
}

/** Timings of the last `detect()`, ms: pre-processing, model call (incl. worker hop), decode + NMS. */
export interface DetectTimings {
  preprocess: number;
  run: number;
  post: number;
}

export class Detector {
  readonly manifest: ModelManifest;
  readonly params: DetectorParams;
  lastTimings: DetectTimings = { preprocess: 0, run: 0, post: 0 };

  /** Checks the manifest (family, params) now; the model is loaded on first use or by `load()`. */
  constructor(
    private readonly registry: ModelRegistry,
    readonly modelName: string,
    opts: DetectorOptions = {},
  ) {
    this.manifest = registry.manifest(modelName);
    const p = detectorParams(this.manifest);
    this.params = {
      ...p,
      minScore: opts.minScore ?? p.minScore,
      nmsIou: opts.nmsIou ?? p.nmsIou,
      maxDetections: opts.maxDetections ?? p.maxDetections,
    };
  }

  /** Verifies and loads the model (throws ModelError: missing, hash-mismatch, error). */
  load(): Promise<LoadedModel> {
    return this.registry.load(this.modelName);
  }

  async detect(image: ImageInput, opts: DetectOptions = {}): Promise<Detection[]> {
    const model = await this.load();
    const t0 = performance.now();
    const t = await preprocess(model.manifest, image, { crop: opts.crop });
    const t1 = performance.now();
    const feeds = { [model.manifest.input.name]: { data: t.data, dims: t.dims } };
    const out = await model.run(feeds, { transfer: true, fetches: model.manifest.outputs.map((o) => o.name) });
    const t2 = performance.now();
    const dets = this.postprocess(model, t, out, opts);
    this.lastTimings = { preprocess: t1 - t0, run: t2 - t1, post: performance.now() - t2 };
    return dets;
  }

  /** Output tensors of one run → detections in source pixels. */
  postprocess(model: LoadedModel, t: Preprocessed, out: Record<string, { data: Float32Array; dims: number[] }>, opts: DetectOptions = {}): Detection[] {
    const minScore = opts.minScore ?? this.params.minScore;
    const [, , H, W] = t.dims;
    const m = model.manifest;
    const labels = model.labels;
    let cands: Candidate[];
    if (isYoloLayout(this.params.layout)) {
      const o = out[m.outputs[0]!.name];
      if (!o) throw new Error(`model ${m.name}: no output ${m.outputs[0]!.name}`);
      cands = decode(this.params.layout, o, {
        minScore,
        inputWidth: W,
        inputHeight: H,
        strides: this.params.strides,
        numClasses: labels?.length,
      });
    } else {
      cands = decodeUltraface(m, out, minScore, W, H);
    }
    // model input pixels → source pixels; clip to the region that was looked at
    const { region, scale } = t;
    const [rx1, ry1, rx2, ry2] = [region.left, region.top, region.left + region.width, region.top + region.height];
    const clip = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
    const mapped: Candidate[] = [];
    for (const c of cands) {
      const b: Box = [
        clip(region.left + c.box[0] / scale.x, rx1, rx2),
        clip(region.top + c.box[1] / scale.y, ry1, ry2),
        clip(region.left + c.box[2] / scale.x, rx1, rx2),
        clip(region.top + c.box[3] / scale.y, ry1, ry2),
      ];
      if (b[2] - b[0] < 1 || b[3] - b[1] < 1) continue; // entirely in the padding
      mapped.push({ ...c, box: b });
    }
    const kept = nms(mapped, { iou: this.params.nmsIou, classWise: this.params.classWise, maxDetections: Number.MAX_SAFE_INTEGER });
    const out2: Detection[] = [];
    for (const c of kept) {
      const label = labelOf(c, labels);
      if (opts.labels && !opts.labels.includes(label)) continue;
      const d: Detection = { label, score: c.score, box: c.box, model: this.modelName, classIndex: c.classIndex };
      if ('probs' in c) d.probs = (c as UltraCandidate).probs;
      out2.push(d);
      if (out2.length >= this.params.maxDetections) break;
    }
    return out2;
  }
}

function labelOf(c: Candidate, labels: readonly string[] | undefined): string {
  return labels?.[c.classIndex] ?? `#${c.classIndex}`;
}

/**
 * UltraFace: `scores` [1,N,K] softmaxed (class 0 background), `boxes` [1,N,4] corners 0–1 of
 * the input. A prior is a face when its presence, 1 − background, is ≥ minScore; the score
 * is that presence and the class the best non-background one (1 face, 2 masked_face for
 * the masked model), so NMS keeps one box per face whichever class it leans to.
 */
function decodeUltraface(m: ModelManifest, out: Record<string, { data: Float32Array; dims: number[] }>, minScore: number, W: number, H: number): UltraCandidate[] {
  const s = out.scores;
  const b = out.boxes;
  if (!s || !b) throw new Error(`model ${m.name}: UltraFace layout needs outputs "scores" and "boxes"`);
  const n = s.dims[1]!;
  const K = s.dims[2]!;
  if (b.dims[1] !== n || b.dims[2] !== 4) throw new Error(`model ${m.name}: boxes [${b.dims.join(',')}] do not match scores [${s.dims.join(',')}]`);
  const res: UltraCandidate[] = [];
  for (let i = 0; i < n; i++) {
    const base = i * K;
    const face = 1 - s.data[base]!;
    if (face < minScore) continue;
    let ci = 1;
    for (let c = 2; c < K; c++) if (s.data[base + c]! > s.data[base + ci]!) ci = c;
    const bb = i * 4;
    res.push({
      classIndex: ci,
      score: face,
      probs: Array.from(s.data.subarray(base, base + K)),
      box: [b.data[bb]! * W, b.data[bb + 1]! * H, b.data[bb + 2]! * W, b.data[bb + 3]! * H],
    });
  }
  return res;
}

/** An UltraFace candidate keeps its class probabilities (background first) for the mask check. */
export interface UltraCandidate extends Candidate {
  probs: number[];
}
