// The 1:N gallery, the threshold maths, the liveness tracker and calibration — pure code,
// checked against brute force and hand-computed values.
import { describe, expect, it } from 'vitest';
import { calibrateMatch } from '../models/face/calibrate.ts';
import { FaceGallery } from '../models/face/gallery.ts';
import { calibrateLiveness, LivenessTracker } from '../models/face/liveness.ts';
import { farAt, frrAt, gaussianThresholdForFar, normalQuantile, perComparisonFar, scoreSummary, thresholdForFar } from '../models/face/threshold.ts';

/** mulberry32: a small seeded PRNG with 32-bit state (integer arithmetic, no float overflow). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** Random unit vectors (Gaussian components). */
function randomUnit(dim: number, rnd: () => number): Float32Array {
  const v = new Float32Array(dim);
  let s = 0;
  for (let i = 0; i < dim; i++) {
    const g = Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
    v[i] = g;
    s += g * g;
  }
  return v.map((x) => x / Math.sqrt(s));
}
/** `base` moved towards a random direction so that cos(base, result) ≈ c. */
function near(base: Float32Array, c: number, rnd: () => number): Float32Array {
  const r = randomUnit(base.length, rnd);
  let d = 0;
  for (let i = 0; i < base.length; i++) d += r[i]! * base[i]!;
  const o = r.map((x, i) => x - d * base[i]!);
  const n = Math.hypot(...o);
  return base.map((x, i) => c * x + Math.sqrt(1 - c * c) * (o[i]! / n));
}

describe('FaceGallery', () => {
  it('matches by threshold and margin, and says why not', () => {
    const rnd = rng(1);
    const a = randomUnit(128, rnd), b = randomUnit(128, rnd);
    const g = new FaceGallery({ threshold: 0.55, minMargin: 0.1 });
    g.add('alice', a);
    g.add('bob', b);
    const m = g.match(near(a, 0.8, rnd));
    expect(m).toMatchObject({ matched: true, personId: 'alice', candidate: 'alice', threshold: 0.55, minMargin: 0.1 });
    expect(m.similarity).toBeCloseTo(0.8, 5);
    expect(m.secondBest!.personId).toBe('bob');
    expect(m.margin!).toBeCloseTo(m.similarity - m.secondBest!.similarity, 9);
    expect(m.reason).toBeUndefined();

    const low = g.match(near(a, 0.5, rnd));
    expect(low).toMatchObject({ matched: false, personId: null, candidate: 'alice', reason: 'below-threshold' });
    expect(low.message).toMatch(/best similarity 0\.50\d < threshold 0\.55/);

    // a near-twin of alice enrolled: the query is close to both → refused as ambiguous
    const twin = near(a, 0.97, rnd);
    g.add('alice-twin', twin);
    const amb = g.match(a);
    expect(amb).toMatchObject({ matched: false, personId: null, reason: 'ambiguous' });
    expect(amb.margin!).toBeLessThan(0.1);
    expect(amb.message).toMatch(/alice.* and alice.* are within 0\.0\d+ < margin 0\.1/);
    // per call: a smaller margin lets it through
    expect(g.match(a, { minMargin: 0 })).toMatchObject({ matched: true, personId: 'alice' });
  });

  it('an empty gallery, one person only (no margin to check), unnormalised inputs', () => {
    const rnd = rng(2);
    const g = new FaceGallery();
    expect(g.match(randomUnit(128, rnd))).toMatchObject({ matched: false, reason: 'empty-gallery', similarity: -1, secondBest: null, margin: null });
    const a = randomUnit(128, rnd);
    g.add('solo', a.map((x) => x * 7)); // stored normalised
    const m = g.match(a.map((x) => x * 0.01));
    expect(m).toMatchObject({ matched: true, personId: 'solo', secondBest: null, margin: null });
    expect(m.similarity).toBeCloseTo(1, 5);
    expect(() => g.add('x', new Float32Array(64))).toThrow(/64 values, expected 128/);
    expect(() => g.add('x', new Float32Array(128))).toThrow(/zero embedding/);
    expect(() => g.match(new Float32Array(128).fill(NaN))).toThrow(/not finite/);
  });

  it('a person scores their best template; maxPerPerson drops the oldest; remove() forgets', () => {
    const rnd = rng(3);
    const a1 = randomUnit(128, rnd), a2 = randomUnit(128, rnd), b = randomUnit(128, rnd);
    const g = new FaceGallery({ maxPerPerson: 2 });
    g.add('a', a1, a2);
    g.add('b', b);
    expect(g.match(a2)).toMatchObject({ personId: 'a' });
    expect(g.match(a2).similarity).toBeCloseTo(1, 5);
    const a3 = randomUnit(128, rnd);
    expect(g.add('a', a3)).toBe(2); // a1 dropped
    expect(g.people()).toEqual([{ personId: 'a', templates: 2 }, { personId: 'b', templates: 1 }]);
    expect(g.search(a1, 5).find((c) => c.personId === 'a')!.similarity).toBeLessThan(0.5);
    expect(g.remove('a')).toBe(true);
    expect(g.remove('a')).toBe(false);
    expect(g.size).toBe(1);
    expect(g.match(b)).toMatchObject({ matched: true, personId: 'b' });
    expect([...g.templates()].map((t) => t.personId)).toEqual(['b']);
  });

  it('100 000 templates: best and second-best person equal a brute-force search', () => {
    const rnd = rng(4);
    const g = new FaceGallery();
    const people = 20_000;
    const all: { p: string; e: Float32Array }[] = [];
    for (let i = 0; i < 100_000; i++) {
      const p = `p${i % people}`;
      const e = randomUnit(128, rnd);
      all.push({ p, e });
      g.add(p, e);
    }
    expect(g.size).toBe(100_000);
    for (let q = 0; q < 5; q++) {
      const target = all[Math.floor(rnd() * all.length)]!;
      const query = q % 2 ? near(target.e, 0.75, rnd) : randomUnit(128, rnd);
      const best = new Map<string, number>();
      for (const { p, e } of all) {
        let s = 0;
        for (let i = 0; i < 128; i++) s += query[i]! * e[i]!;
        best.set(p, Math.max(best.get(p) ?? -Infinity, s));
      }
      const ranked = [...best].sort((x, y) => y[1] - x[1]);
      const m = g.match(query);
      expect(m.candidate).toBe(ranked[0]![0]);
      expect(m.similarity).toBeCloseTo(ranked[0]![1], 5);
      expect(m.secondBest!.personId).toBe(ranked[1]![0]);
      expect(m.secondBest!.similarity).toBeCloseTo(ranked[1]![1], 5);
      expect(g.search(query, 2).map((c) => c.personId)).toEqual([ranked[0]![0], ranked[1]![0]]);
      if (q % 2) expect(m).toMatchObject({ matched: true, personId: target.p });
    }
  });
});

describe('thresholds', () => {
  it('thresholdForFar: the empirical quantile, just above the score it must refuse', () => {
    const imp = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
    // far 0: above every impostor
    const t0 = thresholdForFar(imp, 0);
    expect(t0).toBeGreaterThan(0.95);
    expect(t0 - 0.95).toBeLessThan(1e-15);
    expect(farAt(imp, t0)).toBe(0);
    // far 0.2 of 10: two may pass → just above the third highest (0.8)
    const t = thresholdForFar(imp, 0.2);
    expect(t).toBeGreaterThan(0.8);
    expect(t).toBeLessThan(0.81);
    expect(farAt(imp, t)).toBe(0.2);
    expect(farAt(imp, 0.8)).toBe(0.3);
    // far·n < 1: no better than "above the highest"
    expect(thresholdForFar(imp, 0.05)).toBe(t0);
    // ties
    expect(farAt([0.5, 0.5, 0.5, 0.1], thresholdForFar([0.5, 0.5, 0.5, 0.1], 0.5))).toBe(0);
    expect(() => thresholdForFar([], 0.1)).toThrow(/no impostor/);
    expect(() => thresholdForFar([0.1], 1)).toThrow(/far/);
    expect(frrAt([0.6, 0.7, 0.8, 0.9], 0.75)).toBe(0.5);
  });

  it('matches a Gaussian: on 200 000 N(0.05, 0.1) scores the empirical and parametric thresholds agree', () => {
    const rnd = rng(5);
    const s = Array.from({ length: 200_000 }, () => 0.05 + 0.1 * Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd()));
    for (const far of [0.01, 0.001]) {
      expect(thresholdForFar(s, far)).toBeCloseTo(gaussianThresholdForFar(s, far), 2);
      expect(Math.abs(farAt(s, thresholdForFar(s, far)) - far)).toBeLessThan(far * 0.01 + 1e-5);
    }
    expect(normalQuantile(0.999)).toBeCloseTo(3.0902, 4);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.7534, 3);
    expect(perComparisonFar(1e-3, 1000)).toBeCloseTo(1.0005e-6, 9);
    expect(scoreSummary([3, 1, 2, 4])).toMatchObject({ n: 4, min: 1, median: 2.5, max: 4, mean: 2.5 });
  });

  it('calibrateMatch: genuine and impostor pairs of a site\'s photos, threshold for a FAR', () => {
    const rnd = rng(6);
    const items: { person: string; embedding: Float32Array }[] = [];
    for (let p = 0; p < 30; p++) {
      const base = randomUnit(128, rnd);
      for (let k = 0; k < 3; k++) items.push({ person: `p${p}`, embedding: near(base, 0.85, rnd) });
    }
    const c = calibrateMatch(items, 0.001);
    expect(c.people).toBe(30);
    expect(c.genuine.n).toBe(30 * 3);
    expect(c.impostor.n).toBe((90 * 89) / 2 - 90);
    expect(c.resolvable).toBe(true);
    expect(c.farAtThreshold).toBeLessThanOrEqual(0.001);
    expect(c.genuine.median).toBeGreaterThan(0.6);
    expect(c.frrAtThreshold).toBe(0);
    expect(c.advice).toContain('refusing 0.0 % of 90 genuine pairs');
  });
});

describe('LivenessTracker', () => {
  it('pending until N frames, live when the mean reaches the threshold and no frame is below the floor', () => {
    const t = new LivenessTracker({ threshold: 0.8, floor: 0.5, frames: 3 });
    expect(t.push(0.9, 0)).toEqual({ state: 'pending', frames: 1, needed: 3 });
    expect(t.push(0.95, 100)).toMatchObject({ state: 'pending', frames: 2 });
    expect(t.push(0.85, 200)).toMatchObject({ state: 'live', frames: 3 });
    // a spoofed frame in the window: below the floor
    const v = t.push(0.3, 300);
    expect(v).toMatchObject({ state: 'spoof', min: 0.3 });
    expect(v.state === 'spoof' && v.reason).toMatch(/a frame scored 0\.300 < floor 0\.500/);
    // window moves on: 0.85, 0.3, 0.99 → still contains 0.3
    expect(t.push(0.99, 400).state).toBe('spoof');
    t.push(0.99, 500);
    expect(t.push(0.99, 600).state).toBe('live');
  });

  it('a mean below the threshold is a spoof even when every frame is above the floor', () => {
    const t = new LivenessTracker({ threshold: 0.8, floor: 0.5, frames: 3 });
    [0.7, 0.75, 0.8].forEach((s, i) => t.push(s, i * 50));
    const v = t.verdict();
    expect(v).toMatchObject({ state: 'spoof' });
    expect(v.state === 'spoof' && v.reason).toMatch(/mean of the last 3 frames 0\.750 < threshold 0\.800/);
  });

  it('a gap longer than maxGapMs starts over; reset() too; per-camera thresholds are validated', () => {
    const t = new LivenessTracker({ threshold: 0.6, frames: 2, maxGapMs: 1000 });
    expect(t.floor).toBeCloseTo(0.3, 9);
    t.push(0.9, 0);
    expect(t.push(0.9, 5000)).toMatchObject({ state: 'pending', frames: 1 });
    expect(t.push(0.9, 5100).state).toBe('live');
    t.reset();
    expect(t.verdict()).toMatchObject({ state: 'pending', frames: 0 });
    expect(() => new LivenessTracker({ threshold: 1.2 })).toThrow(/threshold/);
    expect(() => new LivenessTracker({ threshold: 0.5, floor: 0.7 })).toThrow(/floor/);
    expect(() => new LivenessTracker({ frames: 0 })).toThrow(/frames/);
  });
});

describe('calibrateLiveness', () => {
  it('separable scores: the midpoint between the highest spoof and the lowest live', () => {
    const c = calibrateLiveness([0.97, 0.99, 0.92, 0.999], [0.13, 0.0, 0.4], 0.01);
    expect(c.separable).toBe(true);
    expect(c.separatingThreshold).toBeCloseTo((0.92 + 0.4) / 2, 9);
    expect(c.live).toMatchObject({ n: 4, min: 0.92, max: 0.999 });
    expect(c.spoof).toMatchObject({ n: 3, min: 0, max: 0.4 });
    expect(c.farThreshold).toMatchObject({ far: 0.01, spoofAccepted: 0, liveRejected: 0, resolvable: false });
    expect(c.advice).toContain('do not overlap: threshold 0.660 separates them');
    expect(c.advice).toContain('3 spoof captures cannot show a spoof acceptance of 0.01 (need ≥ 100)');
  });

  it('overlapping scores: says no threshold separates them, and what the FAR threshold costs', () => {
    const live = Array.from({ length: 100 }, (_, i) => 0.3 + (0.7 * i) / 99);
    const spoof = Array.from({ length: 100 }, (_, i) => (0.6 * i) / 99);
    const c = calibrateLiveness(live, spoof, 0.05);
    expect(c.separable).toBe(false);
    expect(c.separatingThreshold).toBeNull();
    expect(c.farThreshold!.spoofAccepted).toBeLessThanOrEqual(0.05);
    expect(c.farThreshold!.liveRejected).toBeGreaterThan(0.2);
    expect(c.farThreshold!.resolvable).toBe(true);
    expect(c.advice).toMatch(/overlap .*no threshold separates them; at 0\.5\d+ 5\.0 % of spoofs pass and \d+\.\d % of live captures are refused/);
  });
});
