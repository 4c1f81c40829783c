// 5-point face alignment: the least-squares similarity transform (Umeyama 1991) from the
// detector's landmarks onto the standard 112×112 ArcFace template, and a bilinear warp of
// packed RGB with it.
//
// Geometry follows OpenCV's warpAffine, which the template and every ArcFace-style model
// were made with: pixel (x, y) is the sample at integer coordinates (x, y); the output
// pixel (u, v) takes the source at M⁻¹·(u, v); outside the image is black.
//
// When the face is much larger than 112 px, point-sampling would alias (a 600 px face
// keeps one source pixel in five); the region the output covers is then first averaged
// down by an integer factor f = ⌊1/scale⌋ (box filter), and the transform is composed
// with that reduction (source x = f·x′ + (f−1)/2), so the result is the same geometry.
import type { RgbImage } from '../preprocess.ts';
import type { Point } from '../boxes.ts';

export const ALIGNED_SIZE = 112;

/** The standard ArcFace 112×112 template: eyes (image left, right), nose tip, mouth corners (left, right). */
export const ARCFACE_TEMPLATE: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

/** A 2×3 affine matrix, row-major: u = m[0]x + m[1]y + m[2], v = m[3]x + m[4]y + m[5]. */
export type Affine = [number, number, number, number, number, number];

/**
 * Least-squares similarity transform (rotation, uniform scale > 0, translation) taking
 * `src` onto `dst` — Umeyama's estimate. In 2-D with a proper rotation the SVD solution
 * reduces to the closed form used here: with centred points x̃ᵢ, ỹᵢ,
 *   a = Σ x̃ᵢ·ỹᵢ / Σ|x̃ᵢ|²,  b = Σ x̃ᵢ × ỹᵢ / Σ|x̃ᵢ|²,  M = [a −b tx; b a ty],
 * t = ȳ − [a −b; b a] x̄ (scale c = √(a²+b²), angle atan2(b, a)).
 */
export function umeyama(src: readonly Point[], dst: readonly Point[]): Affine {
  const n = src.length;
  if (n < 2 || dst.length !== n) throw new Error(`umeyama: need ≥ 2 point pairs, got ${n} and ${dst.length}`);
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i]![0];
    sy += src[i]![1];
    dx += dst[i]![0];
    dy += dst[i]![1];
  }
  sx /= n; sy /= n; dx /= n; dy /= n;
  let var_ = 0, dotp = 0, cross = 0;
  for (let i = 0; i < n; i++) {
    const x = src[i]![0] - sx, y = src[i]![1] - sy;
    const u = dst[i]![0] - dx, v = dst[i]![1] - dy;
    var_ += x * x + y * y;
    dotp += x * u + y * v;
    cross += x * v - y * u;
  }
  if (!(var_ > 1e-12)) throw new Error('umeyama: the source points coincide');
  const a = dotp / var_;
  const b = cross / var_;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

export function applyAffine(m: Affine, p: Point): Point {
  return [m[0] * p[0] + m[1] * p[1] + m[2], m[3] * p[0] + m[4] * p[1] + m[5]];
}

export function invertAffine(m: Affine): Affine {
  const det = m[0] * m[4] - m[1] * m[3];
  if (Math.abs(det) < 1e-15) throw new Error('affine transform is not invertible');
  const i0 = m[4] / det, i1 = -m[1] / det, i3 = -m[3] / det, i4 = m[0] / det;
  return [i0, i1, -(i0 * m[2] + i1 * m[5]), i3, i4, -(i3 * m[2] + i4 * m[5])];
}

/** Uniform scale of a similarity (or the geometric mean of an affine's). */
export function affineScale(m: Affine): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
}

/** RMS distance, in output pixels, between the transformed points and the targets. */
export function residual(m: Affine, src: readonly Point[], dst: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < src.length; i++) {
    const [u, v] = applyAffine(m, src[i]!);
    s += (u - dst[i]![0]) ** 2 + (v - dst[i]![1]) ** 2;
  }
  return Math.sqrt(s / src.length);
}

/**
 * Warps packed RGB with `m` (source → output) into an `outW`×`outH` packed RGB image,
 * bilinear, black outside the source. `antialias` (default true): box-average the covered
 * region first when the scale is below ½.
 */
export function warpAffine(img: RgbImage, m: Affine, outW: number, outH: number, opts: { antialias?: boolean } = {}): Uint8Array {
  const f = opts.antialias === false ? 1 : Math.max(1, Math.floor(1 / affineScale(m)));
  if (f === 1) return warpBilinear(img.rgb, img.width, img.height, m, outW, outH);
  // the source region the output needs (plus a margin), reduced by f
  const inv = invertAffine(m);
  const corners = [applyAffine(inv, [0, 0]), applyAffine(inv, [outW - 1, 0]), applyAffine(inv, [0, outH - 1]), applyAffine(inv, [outW - 1, outH - 1])];
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p[0])) / f) * f - f);
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p[1])) / f) * f - f);
  const x1 = Math.min(img.width, Math.ceil(Math.max(...corners.map((p) => p[0])) + 2 * f));
  const y1 = Math.min(img.height, Math.ceil(Math.max(...corners.map((p) => p[1])) + 2 * f));
  const rw = Math.floor((x1 - x0) / f);
  const rh = Math.floor((y1 - y0) / f);
  if (rw < 2 || rh < 2) return warpBilinear(img.rgb, img.width, img.height, m, outW, outH);
  const small = boxReduce(img, x0, y0, rw, rh, f);
  // source x = x0 + f·x′ + (f−1)/2  ⇒  M′ = M ∘ that
  const off = (f - 1) / 2;
  const mx: Affine = [
    m[0] * f,
    m[1] * f,
    m[2] + m[0] * (x0 + off) + m[1] * (y0 + off),
    m[3] * f,
    m[4] * f,
    m[5] + m[3] * (x0 + off) + m[4] * (y0 + off),
  ];
  return warpBilinear(small, rw, rh, mx, outW, outH);
}

/** Averages f×f blocks of the region (x0, y0, rw·f, rh·f) into an rw×rh packed RGB image. */
function boxReduce(img: RgbImage, x0: number, y0: number, rw: number, rh: number, f: number): Uint8Array {
  const out = new Uint8Array(rw * rh * 3);
  const acc = new Float64Array(rw * 3);
  const { rgb, width: W } = img;
  const norm = 1 / (f * f);
  for (let y = 0; y < rh; y++) {
    acc.fill(0);
    for (let dy = 0; dy < f; dy++) {
      let s = ((y0 + y * f + dy) * W + x0) * 3;
      for (let x = 0; x < rw; x++) {
        let r = 0, g = 0, b = 0;
        for (let dx = 0; dx < f; dx++, s += 3) {
          r += rgb[s]!;
          g += rgb[s + 1]!;
          b += rgb[s + 2]!;
        }
        acc[x * 3]! += r;
        acc[x * 3 + 1]! += g;
        acc[x * 3 + 2]! += b;
      }
    }
    const o = y * rw * 3;
    for (let i = 0; i < rw * 3; i++) out[o + i] = Math.round(acc[i]! * norm);
  }
  return out;
}

function warpBilinear(rgb: Uint8Array | Buffer, W: number, H: number, m: Affine, outW: number, outH: number): Uint8Array {
  const inv = invertAffine(m);
  const out = new Uint8Array(outW * outH * 3);
  const px = (x: number, y: number, c: number) => (x >= 0 && y >= 0 && x < W && y < H ? rgb[(y * W + x) * 3 + c]! : 0);
  for (let v = 0; v < outH; v++) {
    for (let u = 0; u < outW; u++) {
      const sx = inv[0] * u + inv[1] * v + inv[2];
      const sy = inv[3] * u + inv[4] * v + inv[5];
      const o = (v * outW + u) * 3;
      if (sx <= -1 || sy <= -1 || sx >= W || sy >= H) continue; // black
      const xf = Math.floor(sx), yf = Math.floor(sy);
      const ax = sx - xf, ay = sy - yf;
      const w00 = (1 - ax) * (1 - ay), w10 = ax * (1 - ay), w01 = (1 - ax) * ay, w11 = ax * ay;
      if (xf >= 0 && yf >= 0 && xf + 1 < W && yf + 1 < H) {
        const i00 = (yf * W + xf) * 3, i10 = i00 + 3, i01 = i00 + W * 3, i11 = i01 + 3;
        for (let c = 0; c < 3; c++) out[o + c] = Math.round(w00 * rgb[i00 + c]! + w10 * rgb[i10 + c]! + w01 * rgb[i01 + c]! + w11 * rgb[i11 + c]!);
      } else {
        for (let c = 0; c < 3; c++) out[o + c] = Math.round(w00 * px(xf, yf, c) + w10 * px(xf + 1, yf, c) + w01 * px(xf, yf + 1, c) + w11 * px(xf + 1, yf + 1, c));
      }
    }
  }
  return out;
}

export interface AlignedFace {
  /** 112×112 packed RGB */
  rgb: Uint8Array;
  width: number;
  height: number;
  /** source → aligned */
  transform: Affine;
  /** RMS distance of the landmarks from the template after the transform, aligned pixels */
  residual: number;
}

/** The face aligned onto the ArcFace template from its 5 landmarks. */
export function alignFace(img: RgbImage, landmarks: readonly Point[], size = ALIGNED_SIZE, opts: { antialias?: boolean } = {}): AlignedFace {
  if (landmarks.length !== 5) throw new Error(`alignFace: 5 landmarks expected, got ${landmarks.length}`);
  const k = size / ALIGNED_SIZE;
  const dst = ARCFACE_TEMPLATE.map(([x, y]) => [x * k, y * k] as Point);
  const m = umeyama(landmarks, dst);
  return { rgb: warpAffine(img, m, size, size, opts), width: size, height: size, transform: m, residual: residual(m, landmarks, dst) };
}
