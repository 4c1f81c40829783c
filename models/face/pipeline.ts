// The face-payment pipeline over the model registry: decode once → detect → pick the
// kiosk's face → align → quality gates → embed → liveness → 1:N search → decision.
import type { ImageInput, RgbImage } from '../preprocess.ts';
import type { ModelRegistry } from '../registry.ts';
import { alignFace, type AlignedFace } from './align.ts';
import { FaceDetector, type Box, type Detection, type FaceDetectorOptions, type Point } from './detect.ts';
import { FaceEmbedder } from './embed.ts';
import type { FaceGallery, FaceMatch } from './gallery.ts';
import { decodeImage } from './image.ts';
import { DEFAULT_LIVENESS_THRESHOLD, LivenessModel, type LivenessModelOptions, type LivenessResult, type LivenessTracker, type LivenessVerdict } from './liveness.ts';
import { assessQuality, DEFAULT_QUALITY, faceBlur, type Quality, type QualityThresholds } from './quality.ts';

/**
 * Where the 5 landmarks sit inside a detector box, as fractions of its width and height —
 * for detectors without landmarks (UltraFace): the mean of YuNet's landmarks inside
 * UltraFace's boxes of the same 14 faces of the shared photos, mirror-averaged
 * (bench/face/thresholds.ts, section 2).
 */
export const BOX_LANDMARKS: Record<string, readonly Point[]> = {
  ultraface: [
    [0.268, 0.397],
    [0.732, 0.397],
    [0.5, 0.604],
    [0.3, 0.752],
    [0.7, 0.752],
  ],
};

export interface Face extends Detection {
  /** always 5 points: the detector's, or estimated from the box (landmarksEstimated) */
  landmarks: Point[];
  landmarksEstimated: boolean;
  /** score × area × centrality: the largest, most central face wins */
  priority: number;
  quality: Quality;
}

export interface FaceAnalysis {
  /** the decoded, EXIF-rotated frame the coordinates refer to (pass it to liveness()) */
  image: RgbImage;
  width: number;
  height: number;
  /** every face, the kiosk's pick (highest priority) first */
  faces: Face[];
  /** faces[0] */
  primary: Face | undefined;
}

export interface FacePipelineOptions {
  detector?: FaceDetectorOptions;
  /** face-embedder model (default MobileFaceNet) */
  embedder?: string;
  liveness?: LivenessModelOptions;
  quality?: Partial<QualityThresholds>;
  /** how much distance from the image centre lowers a face's priority: 1 − w·(d/d_max)² (default 0.75) */
  centreWeight?: number;
  /** single-frame liveness threshold when no tracker decides (default DEFAULT_LIVENESS_THRESHOLD) */
  livenessThreshold?: number;
  /** landmark refinement passes on the upright, rescaled face (FaceDetector.refine; default 2, 0 = off) */
  refinePasses?: number;
}

export type FrameDecisionState = 'match' | 'no-face' | 'poor-quality' | 'not-live' | 'liveness-pending' | 'no-match';

export interface FrameDecision {
  state: FrameDecisionState;
  /** the person to charge — only when state is 'match' */
  personId: string | null;
  reasons: string[];
  face: Face | null;
  liveness: (LivenessResult & { verdict: LivenessVerdict | null }) | null;
  match: FaceMatch | null;
  /** ms: decode, detect (+align, quality), embed and liveness (concurrent), search */
  timings: { decode: number; detect: number; embedLiveness: number; search: number; total: number };
}

// per-face data kept off the enumerable properties (JSON of a Face stays small)
const ALIGNED = Symbol('aligned');
type Internal = Face & { [ALIGNED]?: AlignedFace };

export function priority(d: { box: Box; score: number }, width: number, height: number, centreWeight: number): number {
  const [x1, y1, x2, y2] = d.box;
  const area = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const dx = (x1 + x2) / 2 - width / 2, dy = (y1 + y2) / 2 - height / 2;
  const r2 = (dx * dx + dy * dy) / ((width / 2) ** 2 + (height / 2) ** 2);
  return d.score * area * Math.max(0, 1 - centreWeight * r2);
}

export class FacePipeline {
  readonly detector: FaceDetector;
  readonly embedder: FaceEmbedder;
  readonly livenessModel: LivenessModel;
  readonly quality: QualityThresholds;
  readonly centreWeight: number;
  readonly livenessThreshold: number;
  readonly refinePasses: number;

  constructor(
    readonly registry: ModelRegistry,
    opts: FacePipelineOptions = {},
  ) {
    this.detector = new FaceDetector(registry, opts.detector);
    this.embedder = new FaceEmbedder(registry, opts.embedder);
    this.livenessModel = new LivenessModel(registry, opts.liveness);
    this.quality = { ...DEFAULT_QUALITY, ...opts.quality };
    this.centreWeight = opts.centreWeight ?? 0.75;
    this.livenessThreshold = opts.livenessThreshold ?? DEFAULT_LIVENESS_THRESHOLD;
    this.refinePasses = opts.refinePasses ?? 2;
  }

  /** Loads (and verifies) every model now, instead of on the first frame. */
  async warm(): Promise<void> {
    await Promise.all([this.detector.model, this.embedder.model, ...this.livenessModel.models].map((n) => this.registry.load(n)));
  }

  /** Decodes an image (EXIF-rotated); camera frames pass through. */
  decode(image: ImageInput): Promise<RgbImage> {
    return decodeImage(image);
  }

  /** Faces with landmarks and quality, the kiosk's pick first. */
  async analyse(image: ImageInput): Promise<FaceAnalysis> {
    const img = await decodeImage(image);
    let found = await this.detector.detect(img);
    if (this.refinePasses > 0) found = await Promise.all(found.map((d) => this.detector.refine(img, d, { passes: this.refinePasses })));
    const faces = found.map((d) => this.toFace(img, d)).sort((a, b) => b.priority - a.priority);
    return { image: img, width: img.width, height: img.height, faces, primary: faces[0] };
  }

  private toFace(img: RgbImage, d: Detection): Face {
    let landmarks = d.landmarks;
    let landmarksEstimated = false;
    if (!landmarks) {
      const rel = BOX_LANDMARKS[this.detector.kind] ?? BOX_LANDMARKS['ultraface']!;
      const [x1, y1, x2, y2] = d.box;
      landmarks = rel.map(([fx, fy]) => [x1 + fx * (x2 - x1), y1 + fy * (y2 - y1)] as Point);
      landmarksEstimated = true;
    }
    const aligned = alignFace(img, landmarks, this.embedder.size);
    const withLm = { ...d, landmarks, landmarksEstimated };
    const face: Internal = {
      ...withLm,
      priority: priority(d, img.width, img.height, this.centreWeight),
      quality: assessQuality(withLm, faceBlur(aligned), this.quality),
    };
    Object.defineProperty(face, ALIGNED, { value: aligned, enumerable: false });
    return face;
  }

  /** The face aligned onto the ArcFace template (112×112 RGB), as analyse() made it. */
  aligned(face: Face): AlignedFace {
    const a = (face as Internal)[ALIGNED];
    if (!a) throw new Error('aligned(): pass a face returned by analyse()');
    return a;
  }

  /** The unit-length embedding of a face returned by analyse(). */
  embed(face: Face): Promise<Float32Array> {
    return this.embedder.embed(this.aligned(face));
  }

  /**
   * P(real) of a face: MiniFASNet V2 and V1SE on crops of the image around its box. Pass
   * the analysis' `image` (the decoded frame: no second decode); a file or buffer is
   * decoded again.
   */
  async liveness(image: ImageInput, face: Pick<Face, 'box'>): Promise<LivenessResult> {
    return this.livenessModel.score(await decodeImage(image), face.box);
  }

  /**
   * Frame → decision: the primary face must pass the quality gates, be live (the tracker's
   * verdict over frames when given, else this frame's score ≥ livenessThreshold) and match
   * one person of the gallery by threshold and margin.
   */
  async identify(image: ImageInput, gallery: FaceGallery, opts: { tracker?: LivenessTracker; at?: number; skipQuality?: boolean } = {}): Promise<FrameDecision> {
    const t0 = performance.now();
    const img = await decodeImage(image);
    const t1 = performance.now();
    const analysis = await this.analyse(img);
    const t2 = performance.now();
    const face = analysis.primary ?? null;
    const timings = { decode: t1 - t0, detect: t2 - t1, embedLiveness: 0, search: 0, total: 0 };
    const done = (d: Omit<FrameDecision, 'timings'>): FrameDecision => {
      timings.total = performance.now() - t0;
      return { ...d, timings };
    };
    if (!face) {
      opts.tracker?.reset();
      return done({ state: 'no-face', personId: null, reasons: ['no face found'], face: null, liveness: null, match: null });
    }
    if (!face.quality.ok && !opts.skipQuality) {
      return done({ state: 'poor-quality', personId: null, reasons: face.quality.reasons, face, liveness: null, match: null });
    }
    const [embedding, live] = await Promise.all([this.embed(face), this.livenessModel.score(img, face.box)]);
    const t3 = performance.now();
    const match = gallery.match(embedding);
    const t4 = performance.now();
    timings.embedLiveness = t3 - t2;
    timings.search = t4 - t3;
    const verdict = opts.tracker ? opts.tracker.push(live.score, opts.at) : null;
    const liveness = { ...live, verdict };
    if (verdict?.state === 'pending') {
      return done({ state: 'liveness-pending', personId: null, reasons: [`liveness: ${verdict.frames} of ${verdict.needed} frames`], face, liveness, match });
    }
    if (verdict ? verdict.state !== 'live' : live.score < this.livenessThreshold) {
      const why = verdict && verdict.state === 'spoof' ? verdict.reason : `liveness ${live.score.toFixed(3)} < ${this.livenessThreshold}`;
      return done({ state: 'not-live', personId: null, reasons: [why], face, liveness, match });
    }
    if (!match.matched) return done({ state: 'no-match', personId: null, reasons: [match.message ?? 'no match'], face, liveness, match });
    return done({ state: 'match', personId: match.personId, reasons: [], face, liveness, match });
  }
}

/** A pipeline over a registry: YuNet (dynamic) + MobileFaceNet + both MiniFASNets by default. */
export function createFacePipeline(registry: ModelRegistry, opts: FacePipelineOptions = {}): FacePipeline {
  return new FacePipeline(registry, opts);
}
