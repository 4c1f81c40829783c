// Alignment maths, checked numerically without models: the Umeyama similarity recovers a
// known transform, the bilinear warp samples exactly where the transform says (a linear
// image is reproduced to rounding, also through the anti-aliasing reduction), and the
// YuNet/UltraFace decoders and NMS on hand-made outputs.
import { describe, expect, it } from 'vitest';
import { affineScale, alignFace, applyAffine, ARCFACE_TEMPLATE, invertAffine, residual, umeyama, warpAffine, type Affine } from '../models/face/align.ts';
import { nms } from '../models/boxes.ts';
import { decodeUltraface, decodeYunet, iou, type Box, type Point } from '../models/face/detect.ts';
import { livenessCrop } from '../models/face/liveness.ts';
import { laplacianVariance, poseFromLandmarks } from '../models/face/quality.ts';

/** A similarity: scale s, angle a (rad), translation. */
function sim(s: number, a: number, tx: number, ty: number): Affine {
  return [s * Math.cos(a), -s * Math.sin(a), tx, s * Math.sin(a), s * Math.cos(a), ty];
}

/** Three linear functions of (x, y), within 0–255 on the image: bilinear interpolation reproduces them exactly. */
function linearImage(w: number, h: number) {
  const rgb = new Uint8Array(w * h * 3);
  const k = 200 / (w + h);
  const f = (x: number, y: number) => [k * (x + y) + 10, k * (1.2 * x - 0.2 * y) + 40, k * 0.5 * (x + y) + 20];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.set(f(x, y).map(Math.round), (y * w + x) * 3);
  return { img: { rgb, width: w, height: h }, f };
}

describe('umeyama (least-squares similarity)', () => {
  it('recovers a known similarity from the 5 template points exactly', () => {
    const truth = sim(2.7, 0.4, 300, -50);
    const src = ARCFACE_TEMPLATE.map((p) => applyAffine(truth, p));
    const m = umeyama(src, ARCFACE_TEMPLATE);
    const back = invertAffine(truth);
    m.forEach((v, i) => expect(v).toBeCloseTo(back[i]!, 9));
    expect(residual(m, src, ARCFACE_TEMPLATE)).toBeLessThan(1e-9);
    expect(affineScale(m)).toBeCloseTo(1 / 2.7, 9);
  });

  it('is the least-squares optimum with noise: no small perturbation of it fits better', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 4;
    const src = ARCFACE_TEMPLATE.map((p) => applyAffine(sim(1.8, -0.2, 40, 60), p)).map(([x, y]) => [x + rnd(), y + rnd()] as Point);
    const m = umeyama(src, ARCFACE_TEMPLATE);
    const r0 = residual(m, src, ARCFACE_TEMPLATE);
    expect(r0).toBeGreaterThan(0.1);
    // perturb the similarity's 4 parameters (a, b, tx, ty)
    for (const [da, db, dx, dy] of [[1e-3, 0, 0, 0], [-1e-3, 0, 0, 0], [0, 1e-3, 0, 0], [0, -1e-3, 0, 0], [0, 0, 0.05, 0], [0, 0, -0.05, 0], [0, 0, 0, 0.05], [0, 0, 0, -0.05]]) {
      const p: Affine = [m[0] + da!, m[1] - db!, m[2] + dx!, m[3] + db!, m[4] + da!, m[5] + dy!];
      expect(residual(p, src, ARCFACE_TEMPLATE)).toBeGreaterThan(r0);
    }
  });

  it('refuses coincident points', () => {
    expect(() => umeyama([[1, 1], [1, 1]], [[0, 0], [1, 1]])).toThrow(/coincide/);
  });
});

describe('warpAffine (bilinear, OpenCV geometry)', () => {
  it('samples the source at M⁻¹·(u, v): a linear image comes out as the linear function, ±1', () => {
    const { img, f } = linearImage(200, 160);
    const m = sim(0.9, 0.3, -20, 15); // scale ≥ ½: plain bilinear
    const out = warpAffine(img, m, 112, 112);
    const inv = invertAffine(m);
    let checked = 0;
    for (let v = 0; v < 112; v += 7) {
      for (let u = 0; u < 112; u += 7) {
        const [x, y] = applyAffine(inv, [u, v]);
        if (x < 1 || y < 1 || x > 198 || y > 158) continue;
        const want = f(x, y);
        for (let c = 0; c < 3; c++) expect(Math.abs(out[(v * 112 + u) * 3 + c]! - want[c]!)).toBeLessThanOrEqual(1);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('through the box reduction for a large face (scale ¼) the geometry is unchanged, ±1', () => {
    const { img, f } = linearImage(900, 900);
    const m0 = sim(0.24, -0.5, 0, 0);
    const [cu, cv] = applyAffine(m0, [450, 450]); // the source centre → the output centre
    const m: Affine = [m0[0], m0[1], 56 - cu, m0[3], m0[4], 56 - cv];
    expect(Math.floor(1 / affineScale(m))).toBe(4);
    const out = warpAffine(img, m, 112, 112);
    const plain = warpAffine(img, m, 112, 112, { antialias: false });
    const inv = invertAffine(m);
    let checked = 0;
    for (let v = 4; v < 108; v += 5) {
      for (let u = 4; u < 108; u += 5) {
        const [x, y] = applyAffine(inv, [u, v]);
        if (x < 8 || y < 8 || x > 890 || y > 890) continue;
        const want = f(x, y);
        for (let c = 0; c < 3; c++) {
          expect(Math.abs(out[(v * 112 + u) * 3 + c]! - want[c]!)).toBeLessThanOrEqual(1);
          expect(Math.abs(plain[(v * 112 + u) * 3 + c]! - want[c]!)).toBeLessThanOrEqual(1);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('averages instead of point-sampling: a 1-px checkerboard at scale ¼ becomes flat grey', () => {
    const w = 800;
    const rgb = new Uint8Array(w * w * 3);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) rgb.fill((x + y) % 2 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const m = sim(0.25, 0, 0, 0);
    const out = warpAffine({ rgb, width: w, height: w }, m, 112, 112);
    const plain = warpAffine({ rgb, width: w, height: w }, m, 112, 112, { antialias: false });
    // the interior (the outermost output pixels sample half outside the image, as in OpenCV)
    const interior = (a: Uint8Array) => {
      const v: number[] = [];
      for (let y = 2; y < 50; y++) for (let x = 2; x < 110; x++) v.push(a[(y * 112 + x) * 3]!);
      return { min: Math.min(...v), max: Math.max(...v) };
    };
    const aa = interior(out);
    expect(aa.min).toBeGreaterThanOrEqual(126);
    expect(aa.max).toBeLessThanOrEqual(129);
    expect(interior(plain)).toEqual({ min: 0, max: 0 }); // aliased: every sample lands on a black square
  });

  it('is black outside the source', () => {
    const { img } = linearImage(50, 50);
    const out = warpAffine(img, sim(1, 0, 100, 100), 112, 112);
    expect([...out.subarray(0, 30)]).toEqual(new Array(30).fill(0));
  });

  it('alignFace: markers drawn at 5 landmarks land on the template', () => {
    const w = 400;
    const rgb = new Uint8Array(w * w * 3);
    const truth = sim(3.1, 0.35, 80, 20); // template → image
    const lms = ARCFACE_TEMPLATE.map((p) => applyAffine(truth, p));
    // a bright 5×5 blob at each landmark (rounded)
    for (const [x, y] of lms) for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) rgb.fill(255, ((Math.round(y) + dy) * w + Math.round(x) + dx) * 3, ((Math.round(y) + dy) * w + Math.round(x) + dx) * 3 + 3);
    const a = alignFace({ rgb, width: w, height: w }, lms);
    expect(a.residual).toBeLessThan(1e-9);
    for (const [tx, ty] of ARCFACE_TEMPLATE) {
      // the brightest pixel near each template point is within 1 px of it
      let best = -1, bx = 0, by = 0;
      for (let v = Math.floor(ty) - 3; v <= Math.ceil(ty) + 3; v++) {
        for (let u = Math.floor(tx) - 3; u <= Math.ceil(tx) + 3; u++) {
          const g = a.rgb[(v * 112 + u) * 3]!;
          if (g > best) [best, bx, by] = [g, u, v];
        }
      }
      expect(best).toBeGreaterThan(100);
      expect(Math.hypot(bx - tx, by - ty)).toBeLessThanOrEqual(1.5);
    }
  });
});

describe('pose and blur measures', () => {
  it('roll from the eye line, yaw from the nose offset, pitch from the nose height', () => {
    const frontal: Point[] = [[38.3, 51.7], [73.5, 51.5], [56, 71.7], [41.5, 92.4], [70.7, 92.2]];
    const p = poseFromLandmarks(frontal);
    expect(Math.abs(p.roll)).toBeLessThan(0.5);
    expect(Math.abs(p.yaw)).toBeLessThan(0.02);
    expect(p.pitch).toBeCloseTo(0.5, 1);
    const rotated = frontal.map((q) => applyAffine(sim(2, (25 * Math.PI) / 180, 10, 10), q));
    const r = poseFromLandmarks(rotated);
    expect(r.roll).toBeCloseTo(25 - 0.3, 0);
    expect(Math.abs(r.yaw)).toBeLessThan(0.02); // roll removed before yaw
    const turned: Point[] = frontal.map(([x, y], k) => (k === 2 ? [x + 12, y] : [x, y]));
    expect(poseFromLandmarks(turned).yaw).toBeCloseTo(12 / 35.2, 1);
  });

  it('Laplacian variance: 0 on a flat or linear image, large on a checkerboard', () => {
    const n = 20;
    expect(laplacianVariance(new Float32Array(n * n).fill(80), n, n)).toBe(0);
    expect(laplacianVariance(Float32Array.from({ length: n * n }, (_, i) => (i % n) * 3 + Math.floor(i / n)), n, n)).toBeCloseTo(0, 6);
    expect(laplacianVariance(Float32Array.from({ length: n * n }, (_, i) => ((i % n) + Math.floor(i / n)) % 2 ? 255 : 0), n, n)).toBeGreaterThan(1e5);
  });
});

describe('liveness crops (Silent-Face-Anti-Spoofing geometry)', () => {
  it('scales the box about its centre, and shifts it inside the image rather than cutting it', () => {
    expect(livenessCrop([100, 100, 200, 200], 1000, 1000, 2.7)).toEqual({ left: 15, top: 15, width: 271, height: 271 });
    // near the left edge: shifted right, same size
    const c = livenessCrop([0, 400, 100, 500], 1000, 1000, 4);
    expect(c).toMatchObject({ left: 0, width: 401, height: 401 });
    // larger than the image allows: the scale shrinks to fit
    const big = livenessCrop([100, 100, 400, 500], 480, 640, 4);
    expect(big.left).toBe(0);
    expect(big.top + big.height).toBeLessThanOrEqual(640);
    expect(big.width).toBeLessThanOrEqual(480);
  });
});

describe('decoders', () => {
  it('YuNet: score √(cls·obj), centre ((c+dx)s, (r+dy)s), size e^dw·s, landmarks ((kx+c)s, (ky+r)s), mapped to the source', () => {
    const W = 64, H = 32;
    const outputs: Record<string, { data: Float32Array; dims: number[] }> = {};
    for (const s of [8, 16, 32]) {
      const n = (W / s) * (H / s);
      outputs[`cls_${s}`] = { data: new Float32Array(n), dims: [1, n, 1] };
      outputs[`obj_${s}`] = { data: new Float32Array(n), dims: [1, n, 1] };
      outputs[`bbox_${s}`] = { data: new Float32Array(n * 4), dims: [1, n, 4] };
      outputs[`kps_${s}`] = { data: new Float32Array(n * 10), dims: [1, n, 10] };
    }
    // stride 16, grid 4×2: cell r=1, c=2 → index 6
    const i = 1 * 4 + 2;
    outputs['cls_16']!.data[i] = 0.81;
    outputs['obj_16']!.data[i] = 1;
    outputs['bbox_16']!.data.set([0.5, 0.25, Math.log(2), 0], i * 4);
    outputs['kps_16']!.data.set([0, 0, 1, 0, 0.5, 0.5, 0, 1, 1, 1], i * 10);
    // the source was scaled by ½ into the input, from region origin (10, 20)
    const pre = { region: { left: 10, top: 20, width: 128, height: 64 }, scale: { x: 0.5, y: 0.5 }, source: { width: 200, height: 100 } };
    const [d, ...rest] = decodeYunet(outputs, W, H, pre, { minScore: 0.5, nmsIou: 0.3 });
    expect(rest).toEqual([]);
    expect(d!.score).toBeCloseTo(0.9, 6);
    // centre (2.5·16, 1.25·16) = (40, 20), size (32, 16) → input box [24, 12, 56, 28] → source ×2 + (10, 20)
    d!.box.forEach((v, k) => expect(v).toBeCloseTo([58, 44, 122, 76][k]!, 5));
    const want = [[2, 1], [3, 1], [2.5, 1.5], [2, 2], [3, 2]].map(([x, y]) => [10 + x! * 16 * 2, 20 + y! * 16 * 2]);
    d!.landmarks!.forEach((p, k) => p.forEach((v, c) => expect(v).toBeCloseTo(want[k]![c]!, 5)));
  });

  it('UltraFace: face-class score and corner boxes in 0–1 of the input, NMS at 0.3', () => {
    const scores = { data: Float32Array.from([0.1, 0.9, 0.2, 0.8, 0.9, 0.1]), dims: [1, 3, 2] };
    const boxes = { data: Float32Array.from([0.1, 0.1, 0.5, 0.5, 0.12, 0.1, 0.52, 0.5, 0.6, 0.6, 0.9, 0.9]), dims: [1, 3, 4] };
    const pre = { region: { left: 0, top: 0, width: 640, height: 480 }, scale: { x: 0.5, y: 0.5 }, source: { width: 640, height: 480 } };
    const d = decodeUltraface({ scores, boxes }, 320, 240, pre, { minScore: 0.7, nmsIou: 0.3 });
    expect(d).toHaveLength(1); // the second overlaps the first; the third is background
    d[0]!.box.forEach((v, k) => expect(v).toBeCloseTo([64, 48, 320, 240][k]!, 4));
    expect(d[0]!.landmarks).toBeUndefined();
  });

  it('NMS keeps the best of overlapping boxes and every separate one', () => {
    const b = (x: number, score: number) => ({ box: [x, 0, x + 10, 10] as Box, score });
    expect(nms([b(0, 0.5), b(1, 0.9), b(30, 0.6)], { iou: 0.3 }).map((d) => d.score)).toEqual([0.9, 0.6]);
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(1 / 3, 9);
  });
});
