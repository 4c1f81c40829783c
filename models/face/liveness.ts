// Liveness (anti-spoofing) with MiniFASNet V2 (face box ×2.7) and V1SE (×4.0) from
// minivision-ai/Silent-Face-Anti-Spoofing: each sees an 80×80 BGR 0–255 crop around the
// face, softmax of its 3 logits, the two averaged; class 1 is "real".
//
// One frame decides nothing at the kiosk: `LivenessTracker` takes the scores of
// consecutive frames of the same face and says live only when the mean of the last N
// reaches the camera's threshold and none of them is below a floor. Thresholds are per
// camera and come from `calibrateLiveness` on that camera's own live and spoof captures.
import { softmax } from '../classifier/classify.ts';
import { preprocess, type RgbImage } from '../preprocess.ts';
import type { ModelRegistry } from '../registry.ts';
import type { Box } from './detect.ts';
import { scoreSummary, thresholdForFar, type ScoreSummary } from './threshold.ts';

export const LIVENESS_MODELS = ['MiniFASNetV2_2.7_80x80', 'MiniFASNetV1SE_4.0_80x80'] as const;

/**
 * Single-frame default, for the CLI and an uncalibrated camera: see models/face/README.md
 * ("Liveness threshold"). On the shared photos the one real capture scores 0.999, the two
 * spoofs 0.130 and 0.000, studio portraits 0.093–0.977 — so this is a placeholder, on the
 * refusing side, until `face calibrate` has been run on the kiosk's own camera.
 */
export const DEFAULT_LIVENESS_THRESHOLD = 0.8;

/**
 * The crop of Silent-Face-Anti-Spoofing (`CropImage._get_new_box`): the face box scaled
 * by `scale` about its centre — the scale reduced so it fits the image — then shifted,
 * not cut, to lie inside it. Integer pixels.
 */
export function livenessCrop(box: Box, width: number, height: number, scale: number): { left: number; top: number; width: number; height: number } {
  const bw = Math.max(1, box[2] - box[0]);
  const bh = Math.max(1, box[3] - box[1]);
  const s = Math.min((height - 1) / bh, (width - 1) / bw, scale);
  const nw = bw * s, nh = bh * s;
  const cx = box[0] + bw / 2, cy = box[1] + bh / 2;
  let x1 = cx - nw / 2, y1 = cy - nh / 2, x2 = cx + nw / 2, y2 = cy + nh / 2;
  if (x1 < 0) { x2 -= x1; x1 = 0; }
  if (y1 < 0) { y2 -= y1; y1 = 0; }
  if (x2 > width - 1) { x1 -= x2 - width + 1; x2 = width - 1; }
  if (y2 > height - 1) { y1 -= y2 - height + 1; y2 = height - 1; }
  const left = Math.max(0, Math.floor(x1)), top = Math.max(0, Math.floor(y1));
  const right = Math.min(width, Math.floor(x2) + 1), bottom = Math.min(height, Math.floor(y2) + 1);
  return { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
}

export interface LivenessResult {
  /** P(real), the average of the models' softmaxes, 0–1 */
  score: number;
  /** per model: its P(real) */
  models: { model: string; score: number; crop: { left: number; top: number; width: number; height: number } }[];
}

export interface LivenessModelOptions {
  /** registry names; default both MiniFASNets */
  models?: readonly string[];
}

export class LivenessModel {
  readonly models: readonly string[];

  constructor(
    readonly registry: ModelRegistry,
    opts: LivenessModelOptions = {},
  ) {
    this.models = opts.models ?? LIVENESS_MODELS;
    for (const name of this.models) {
      const m = registry.manifest(name);
      if (m.family !== 'liveness') throw new Error(`model ${name} is a ${m.family}, not a liveness model`);
      if (typeof m.params['crop_scale'] !== 'number') throw new Error(`model ${name}: params.crop_scale (the face box scale of its crop) missing`);
    }
  }

  async score(img: RgbImage, box: Box): Promise<LivenessResult> {
    const per = await Promise.all(
      this.models.map(async (name) => {
        const model = await this.registry.load(name);
        const m = model.manifest;
        const crop = livenessCrop(box, img.width, img.height, m.params['crop_scale'] as number);
        const pre = await preprocess(m, img, { crop });
        const out = await model.run({ [m.input.name]: { data: pre.data, dims: pre.dims } }, { transfer: true });
        const logits = out[m.outputs[0]!.name]!.data;
        const real = typeof m.params['real_class'] === 'number' ? (m.params['real_class'] as number) : 1;
        return { model: name, score: softmax(logits)[real]!, crop };
      }),
    );
    return { score: per.reduce((s, p) => s + p.score, 0) / per.length, models: per };
  }
}

// ------------------------------------------------------------------ over frames

export interface LivenessTrackerOptions {
  /** mean of the last `frames` scores must reach this (per camera, from calibration) */
  threshold?: number;
  /** and no one of them may be below this (default threshold − 0.3, at least 0) */
  floor?: number;
  /** how many consecutive frames decide (default 5) */
  frames?: number;
  /** a gap longer than this between frames starts over (ms, default 1500) */
  maxGapMs?: number;
}

export type LivenessVerdict =
  | { state: 'pending'; frames: number; needed: number }
  | { state: 'live'; mean: number; min: number; frames: number }
  | { state: 'spoof'; mean: number; min: number; frames: number; reason: string };

/** One per camera (and face track): feed it every frame's score; reset when the face is lost. */
export class LivenessTracker {
  readonly threshold: number;
  readonly floor: number;
  readonly frames: number;
  readonly maxGapMs: number;
  private scores: number[] = [];
  private lastAt = -Infinity;

  constructor(opts: LivenessTrackerOptions = {}) {
    this.threshold = opts.threshold ?? DEFAULT_LIVENESS_THRESHOLD;
    this.floor = opts.floor ?? Math.max(0, this.threshold - 0.3);
    this.frames = opts.frames ?? 5;
    this.maxGapMs = opts.maxGapMs ?? 1500;
    if (!(this.threshold >= 0 && this.threshold <= 1)) throw new Error(`liveness threshold ${this.threshold}: expected 0–1`);
    if (!(this.floor >= 0 && this.floor <= this.threshold)) throw new Error(`liveness floor ${this.floor}: expected 0–threshold`);
    if (!(Number.isInteger(this.frames) && this.frames >= 1)) throw new Error(`liveness frames ${this.frames}: expected an integer ≥ 1`);
  }

  /** Adds a frame's P(real); `at` is its time in ms (default now). */
  push(score: number, at: number = performance.now()): LivenessVerdict {
    if (at - this.lastAt > this.maxGapMs) this.scores = [];
    this.lastAt = at;
    this.scores.push(score);
    if (this.scores.length > this.frames) this.scores.shift();
    return this.verdict();
  }

  verdict(): LivenessVerdict {
    const n = this.scores.length;
    if (n < this.frames) return { state: 'pending', frames: n, needed: this.frames };
    const mean = this.scores.reduce((a, b) => a + b, 0) / n;
    const min = Math.min(...this.scores);
    if (min < this.floor) return { state: 'spoof', mean, min, frames: n, reason: `a frame scored ${min.toFixed(3)} < floor ${this.floor.toFixed(3)}` };
    if (mean < this.threshold) return { state: 'spoof', mean, min, frames: n, reason: `mean of the last ${n} frames ${mean.toFixed(3)} < threshold ${this.threshold.toFixed(3)}` };
    return { state: 'live', mean, min, frames: n };
  }

  /** The scores of the frames counted so far (at most `frames`), oldest first. */
  get window(): readonly number[] {
    return this.scores;
  }

  /** The face left (or another one came): start over. */
  reset(): void {
    this.scores = [];
    this.lastAt = -Infinity;
  }
}

// ------------------------------------------------------------------ calibration

export interface LivenessCalibration {
  live: ScoreSummary;
  spoof: ScoreSummary;
  /** every live score above every spoof score */
  separable: boolean;
  /** when separable: the midpoint between the highest spoof and the lowest live score */
  separatingThreshold: number | null;
  /** the lowest threshold letting at most `far` of the spoof captures through (empirical) */
  farThreshold: { far: number; threshold: number; spoofAccepted: number; liveRejected: number; resolvable: boolean } | null;
  /** what to do, in words */
  advice: string;
}

/**
 * Score distributions of a camera's live and spoof captures and the threshold that
 * separates them — or why there is none. `far`: the spoof acceptance to aim for when they
 * overlap (default 0.01).
 */
export function calibrateLiveness(live: number[], spoof: number[], far = 0.01): LivenessCalibration {
  const ls = scoreSummary(live);
  const ss = scoreSummary(spoof);
  if (!live.length || !spoof.length) {
    return { live: ls, spoof: ss, separable: false, separatingThreshold: null, farThreshold: null, advice: 'need at least one live and one spoof capture (dozens of each, on the kiosk camera, in its light)' };
  }
  const separable = ls.min > ss.max;
  const separatingThreshold = separable ? (ls.min + ss.max) / 2 : null;
  const t = Math.min(1, thresholdForFar(spoof, far));
  const spoofAccepted = spoof.filter((s) => s >= t).length / spoof.length;
  const liveRejected = live.filter((s) => s < t).length / live.length;
  const resolvable = far * spoof.length >= 1;
  const farThreshold = { far, threshold: t, spoofAccepted, liveRejected, resolvable };
  let advice: string;
  if (separable) {
    advice = `live ${ls.min.toFixed(3)}–${ls.max.toFixed(3)} and spoof ${ss.min.toFixed(3)}–${ss.max.toFixed(3)} do not overlap: threshold ${separatingThreshold!.toFixed(3)} separates them`;
  } else {
    advice = `live and spoof scores overlap (lowest live ${ls.min.toFixed(3)} ≤ highest spoof ${ss.max.toFixed(3)}): no threshold separates them; at ${t.toFixed(3)} ${(spoofAccepted * 100).toFixed(1)} % of spoofs pass and ${(liveRejected * 100).toFixed(1)} % of live captures are refused`;
  }
  if (!resolvable) advice += `; ${spoof.length} spoof captures cannot show a spoof acceptance of ${far} (need ≥ ${Math.ceil(1 / far)})`;
  return { live: ls, spoof: ss, separable, separatingThreshold, farThreshold, advice };
}
