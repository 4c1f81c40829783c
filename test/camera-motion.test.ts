// The motion gate on frames made from a real photo (../shared/images) and on synthetic
// changes: identical and noisy-still frames are skipped, a moving object passes, hold and
// idle refresh, slow drift adds up.
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeToRgb } from '../drivers/camera/file-source.ts';
import { changedRatio, downscaleGrey, MotionGate } from '../drivers/camera/motion.ts';
import { image } from '../bench/recognition/photos.ts';

const W = 640;
const H = 360;
let scene: Buffer;
beforeAll(async () => {
  scene = await decodeToRgb(image('darknet_person.jpg'), W, H);
});

const frame = (rgb: Buffer, at: number) => ({ rgb, width: W, height: H, at });

/** the scene with a 60×120 dark box (someone walking) at x */
function withBox(x: number): Buffer {
  const out = Buffer.from(scene);
  for (let y = 150; y < 270; y++) out.fill(20, (y * W + x) * 3, (y * W + x + 60) * 3);
  return out;
}

/** deterministic sensor noise of ±amp on every byte */
function noisy(src: Buffer, amp: number, seed: number): Buffer {
  const out = Buffer.from(src);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = Math.max(0, Math.min(255, out[i]! + ((s >>> 16) % (2 * amp + 1)) - amp));
  }
  return out;
}

describe('downscaleGrey', () => {
  it('block means of 0.299 R + 0.587 G + 0.114 B', () => {
    const rgb = new Uint8Array(4 * 2 * 3);
    // left 2×2 block pure red (255,0,0), right block white
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 4; x++) {
        const i = (y * 4 + x) * 3;
        if (x < 2) rgb.set([255, 0, 0], i);
        else rgb.set([255, 255, 255], i);
      }
    }
    expect([...downscaleGrey(rgb, 4, 2, 2, 1)]).toEqual([77, 255]);
    expect(() => downscaleGrey(rgb, 5, 2, 2, 1)).toThrow('24 bytes for 5×2 RGB');
  });

  it('changedRatio counts positions over the threshold', () => {
    expect(changedRatio(Uint8Array.from([0, 10, 20, 30]), Uint8Array.from([0, 25, 20, 60]), 12)).toBe(0.5);
  });
});

describe('MotionGate', () => {
  it('skips identical frames, passes a changed one', () => {
    const gate = new MotionGate();
    expect(gate.check(frame(scene, 0))).toMatchObject({ run: true, reason: 'first' });
    for (let i = 1; i <= 5; i++) expect(gate.check(frame(Buffer.from(scene), i * 200))).toMatchObject({ run: false, ratio: 0, reason: 'still' });
    const d = gate.check(frame(withBox(300), 1200));
    expect(d).toMatchObject({ run: true, reason: 'motion' });
    expect(d.ratio).toBeGreaterThan(0.01);
    expect(d.ratio).toBeLessThan(0.1); // a 60×120 box is ~3 % of the frame
    expect(gate.stats).toMatchObject({ frames: 7, passed: 2, skipped: 5 });
  });

  it('sensor noise on a still scene is not motion', () => {
    const gate = new MotionGate();
    gate.check(frame(noisy(scene, 8, 1), 0));
    for (let i = 1; i <= 10; i++) expect(gate.check(frame(noisy(scene, 8, i + 1), i * 200)).run).toBe(false);
  });

  it('someone walking across passes every frame', () => {
    const gate = new MotionGate();
    gate.check(frame(scene, 0));
    for (let i = 1; i <= 8; i++) expect(gate.check(frame(withBox(40 + i * 60), i * 200)).run, `step ${i}`).toBe(true);
  });

  it('holdMs: keeps passing after the motion stops; maxIdleMs: refreshes a still scene', () => {
    const gate = new MotionGate({ holdMs: 1000, maxIdleMs: 5000 });
    gate.check(frame(scene, 0));
    const box = withBox(300);
    expect(gate.check(frame(box, 200)).reason).toBe('motion');
    expect(gate.check(frame(box, 600)).reason).toBe('hold');
    expect(gate.check(frame(box, 1100)).reason).toBe('hold');
    expect(gate.check(frame(box, 1300)).reason).toBe('still');
    expect(gate.check(frame(box, 5000)).reason).toBe('still');
    expect(gate.check(frame(box, 6200)).reason).toBe('idle-refresh'); // 5 s after the last pass at 1100
    expect(gate.check(frame(box, 6400)).reason).toBe('still');
  });

  it('slow change adds up against the last frame that passed', () => {
    const gate = new MotionGate();
    gate.check(frame(scene, 0));
    // the scene darkens by 4 grey levels a frame: each step is under the threshold, the sum is not
    const reasons: string[] = [];
    for (let i = 1; i <= 6; i++) {
      const dim = Buffer.from(scene.map((v) => Math.max(0, v - 4 * i)));
      reasons.push(gate.check(frame(dim, i * 200)).reason);
    }
    expect(reasons.slice(0, 3)).toEqual(['still', 'still', 'still']);
    expect(reasons).toContain('motion');
  });

  it('a new frame size starts over', () => {
    const gate = new MotionGate();
    gate.check(frame(scene, 0));
    expect(gate.check({ rgb: Buffer.alloc(320 * 180 * 3), width: 320, height: 180, at: 200 }).reason).toBe('first');
  });

  it('is cheap: well under a frame period at 640×360', () => {
    const gate = new MotionGate();
    const frames = [scene, withBox(100), withBox(200), withBox(300)];
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) gate.check(frame(frames[i % 4]!, i * 200));
    const perFrame = (performance.now() - t0) / 100;
    expect(perFrame).toBeLessThan(10); // measured ≈ 0.6 ms; generous for a loaded CI box
  });
});
