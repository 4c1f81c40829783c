// Is this face good enough to pay with? Size, sharpness and pose, each with a reason when
// it fails. Values are measured on what the embedder sees where that makes them
// comparable between cameras: blur on the aligned 112×112 face (so a large face is not
// "sharper" for being large), pose from the five landmarks.
import type { Box, Point } from './detect.ts';

export interface QualityThresholds {
  /** shorter side of the face box, source pixels (default 64) */
  minFaceSize: number;
  /** variance of the 4-neighbour Laplacian of the aligned face's luma (default 30) */
  minBlurVariance: number;
  /** |eye-line angle|, degrees (default 30) */
  maxRoll: number;
  /** |nose offset from the eye midpoint ÷ eye distance|, roll removed (default 0.3, ≈ 35°) */
  maxYaw: number;
  /** nose height between the eye line and the mouth line, allowed range (default 0.3–0.8) */
  pitchRange: [number, number];
}

/** How each default was set: models/face/README.md ("Quality gates"). */
export const DEFAULT_QUALITY: QualityThresholds = {
  minFaceSize: 64,
  minBlurVariance: 30,
  maxRoll: 30,
  maxYaw: 0.3,
  pitchRange: [0.3, 0.8],
};

export interface Pose {
  /** degrees, positive when the eye line descends to the image's right */
  roll: number;
  /** nose x offset from the eye midpoint ÷ eye distance, after removing roll; 0 = frontal */
  yaw: number;
  /** (nose y − eye line) ÷ (mouth line − eye line), after removing roll; ≈ 0.5 frontal */
  pitch: number;
  /** eye distance, source pixels */
  eyeDistance: number;
}

export function poseFromLandmarks(l: readonly Point[]): Pose {
  const [le, re, nose, lm, rm] = l as [Point, Point, Point, Point, Point];
  const ex = re[0] - le[0], ey = re[1] - le[1];
  const eyeDistance = Math.hypot(ex, ey);
  const roll = (Math.atan2(ey, ex) * 180) / Math.PI;
  // rotate into the eye-line frame: origin at the eye midpoint, x along the eyes
  const c = ex / (eyeDistance || 1), s = ey / (eyeDistance || 1);
  const mid: Point = [(le[0] + re[0]) / 2, (le[1] + re[1]) / 2];
  const local = (p: Point): Point => {
    const x = p[0] - mid[0], y = p[1] - mid[1];
    return [x * c + y * s, -x * s + y * c];
  };
  const n = local(nose);
  const mouthY = (local(lm)[1] + local(rm)[1]) / 2;
  return { roll, yaw: n[0] / (eyeDistance || 1), pitch: mouthY > 0 ? n[1] / mouthY : NaN, eyeDistance };
}

/** Variance of the 4-neighbour Laplacian over the interior of a gray image. */
export function laplacianVariance(gray: Float32Array, width: number, height: number): number {
  let sum = 0, sum2 = 0, n = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const l = gray[i - 1]! + gray[i + 1]! + gray[i - width]! + gray[i + width]! - 4 * gray[i]!;
      sum += l;
      sum2 += l * l;
      n++;
    }
  }
  if (!n) return 0;
  const mean = sum / n;
  return sum2 / n - mean * mean;
}

/** Luma of packed RGB. */
export function toGray(rgb: Uint8Array, width: number, height: number): Float32Array {
  const g = new Float32Array(width * height);
  for (let i = 0, s = 0; i < g.length; i++, s += 3) g[i] = 0.299 * rgb[s]! + 0.587 * rgb[s + 1]! + 0.114 * rgb[s + 2]!;
  return g;
}

/**
 * Blur measure of an aligned face: the Laplacian variance of its central part (x 16–96,
 * y 24–112 of the 112×112 face: eyes, nose and mouth, not the background corners).
 */
export function faceBlur(aligned: { rgb: Uint8Array; width: number; height: number }): number {
  const k = aligned.width / 112;
  const x0 = Math.round(16 * k), x1 = Math.round(96 * k), y0 = Math.round(24 * k), y1 = Math.round(112 * k);
  const w = x1 - x0, h = y1 - y0;
  const gray = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = ((y0 + y) * aligned.width + x0 + x) * 3;
      gray[y * w + x] = 0.299 * aligned.rgb[s]! + 0.587 * aligned.rgb[s + 1]! + 0.114 * aligned.rgb[s + 2]!;
    }
  }
  return laplacianVariance(gray, w, h);
}

export type QualityCheck = 'size' | 'blur' | 'roll' | 'yaw' | 'pitch' | 'landmarks';

export interface Quality {
  ok: boolean;
  /** one line per failed gate, e.g. "face too small: 48 px < 64 px" */
  reasons: string[];
  failed: QualityCheck[];
  size: number;
  blur: number | undefined;
  pose: Pose | undefined;
}

export function assessQuality(
  face: { box: Box; landmarks?: readonly Point[]; landmarksEstimated?: boolean },
  blur: number | undefined,
  t: QualityThresholds = DEFAULT_QUALITY,
): Quality {
  const reasons: string[] = [];
  const failed: QualityCheck[] = [];
  const fail = (c: QualityCheck, why: string) => {
    failed.push(c);
    reasons.push(why);
  };
  const size = Math.min(face.box[2] - face.box[0], face.box[3] - face.box[1]);
  if (size < t.minFaceSize) fail('size', `face too small: ${Math.round(size)} px < ${t.minFaceSize} px (come closer)`);
  if (blur !== undefined && blur < t.minBlurVariance) fail('blur', `face blurred: Laplacian variance ${blur.toFixed(0)} < ${t.minBlurVariance} (hold still, check focus and light)`);
  let pose: Pose | undefined;
  if (!face.landmarks || face.landmarksEstimated) {
    fail('landmarks', 'no landmarks from the detector: pose not checked, and an alignment estimated from the box is too coarse to identify anyone (use YuNet)');
  } else {
    pose = poseFromLandmarks(face.landmarks);
    if (Math.abs(pose.roll) > t.maxRoll) fail('roll', `head tilted: roll ${pose.roll.toFixed(0)}° beyond ±${t.maxRoll}°`);
    if (Math.abs(pose.yaw) > t.maxYaw) fail('yaw', `head turned: yaw ${pose.yaw.toFixed(2)} beyond ±${t.maxYaw} (look at the camera)`);
    if (!(pose.pitch >= t.pitchRange[0] && pose.pitch <= t.pitchRange[1])) {
      fail('pitch', `head tipped ${pose.pitch < t.pitchRange[0] ? 'back' : 'down'}: pitch ${Number.isFinite(pose.pitch) ? pose.pitch.toFixed(2) : 'undefined'} outside ${t.pitchRange[0]}–${t.pitchRange[1]}`);
    }
  }
  return { ok: failed.length === 0, reasons, failed, size, blur, pose };
}
