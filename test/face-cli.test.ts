// `canteen-edge face detect|compare|liveness|calibrate` through the real command, with the
// real models and photos of ../shared: JSON shapes and exit codes of shared/CLI.md.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_MODELS, photo, requireShared, SHARED_MODELS_DIR } from '../bench/face/photos.ts';
import { cli } from './helpers/cli.ts';

const M = ['--models-dir', SHARED_MODELS_DIR];
const dir = mkdtempSync(path.join(os.tmpdir(), 'ce-face-cli-'));

beforeAll(() => requireShared(FACE_MODELS));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const point = expect.arrayContaining([expect.any(Number)]);

describe('canteen-edge face detect', () => {
  it('five faces in compreface_000_5.jpg: box, score, 5 landmarks in pixels of the photo', () => {
    const r = cli(['face', 'detect', '--image', photo('compreface_000_5.jpg'), ...M]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(Object.keys(doc)).toEqual(['faces']);
    expect(doc.faces).toHaveLength(5);
    for (const f of doc.faces) {
      expect(Object.keys(f)).toEqual(['box', 'score', 'landmarks']);
      expect(f.box).toHaveLength(4);
      const [x1, y1, x2, y2] = f.box;
      expect(0 <= x1 && x1 < x2 && x2 <= 819 && 0 <= y1 && y1 < y2 && y2 <= 546).toBe(true);
      expect(f.score).toBeGreaterThan(0.9);
      expect(f.score).toBeLessThanOrEqual(1);
      expect(f.landmarks).toHaveLength(5);
      for (const p of f.landmarks) expect(p).toEqual([expect.any(Number), expect.any(Number)]);
    }
    expect(doc.faces[0].landmarks[0]).toEqual(point);
  });

  it('no face in skimage_coffee.png: exit 0, {"faces": []}', () => {
    const r = cli(['face', 'detect', '--image', photo('skimage_coffee.png'), ...M]);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({ faces: [] });
  });

  it('EXIF orientation 6 (minivision_image_T1.jpg, stored 640×480): coordinates of the upright 480×640 image', () => {
    const r = cli(['face', 'detect', '--image', photo('minivision_image_T1.jpg'), ...M]);
    expect(r.code).toBe(0);
    const [f] = r.json().faces;
    expect(f.box[2]).toBeLessThanOrEqual(480);
    expect(f.box[3] - f.box[1]).toBeGreaterThan(f.box[2] - f.box[0]);
  });

  it('the models dir from CANTEEN_EDGE_MODELS_DIR when the config gives none', () => {
    const cfg = path.join(dir, 'no-models.yaml');
    writeFileSync(cfg, 'log: { level: warn }\n');
    const r = cli(['face', 'detect', '--image', photo('skimage_astronaut.png'), '--config', cfg], { CANTEEN_EDGE_MODELS_DIR: SHARED_MODELS_DIR });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().faces).toHaveLength(1);
  });

  it('usage errors exit 2 naming the flag; a missing model file exits 1 with the registry\'s message', () => {
    const none = cli(['face', 'detect', ...M]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--image is required');
    expect(none.stderr).toContain('usage: canteen-edge face detect');
    const unknown = cli(['face', 'detect', '--image', photo('skimage_astronaut.png'), '--bogus', ...M]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("'--bogus'");
    const badDetector = cli(['face', 'detect', '--image', photo('skimage_astronaut.png'), '--detector', 'MobileFaceNet', ...M]);
    expect(badDetector.code).toBe(2);
    expect(badDetector.stderr).toContain('--detector "MobileFaceNet"');

    const empty = path.join(dir, 'empty-models');
    mkdirSync(empty, { recursive: true });
    const missing = cli(['face', 'detect', '--image', photo('skimage_astronaut.png'), '--models-dir', empty]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`model yunet_n_dynamic: file ${path.join(empty, 'yunet_n_dynamic.onnx')} not found in models dir ${empty}`);
    expect(missing.stdout).toBe('');

    const noFile = cli(['face', 'detect', '--image', path.join(dir, 'nope.jpg'), ...M]);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toContain('nope.jpg: file not found');
  });
});

describe('canteen-edge face compare', () => {
  it("person A's two photos: a match", () => {
    const r = cli(['face', 'compare', '--image', photo('compreface_001_A.jpg'), '--image', photo('compreface_002_A.jpg'), ...M]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(Object.keys(doc)).toEqual(['similarity', 'threshold', 'match']);
    expect(doc.similarity).toBeGreaterThan(0.7);
    expect(doc.match).toBe(true);
    expect(doc.threshold).toBe(0.55);
  });

  for (const other of ['compreface_007_B.jpg', 'compreface_009_C.jpg']) {
    it(`A vs ${other}: no match`, () => {
      const r = cli(['face', 'compare', '--image', photo('compreface_001_A.jpg'), '--image', photo(other), ...M]);
      expect(r.code).toBe(0);
      expect(r.json()).toMatchObject({ match: false, threshold: 0.55 });
      expect(r.json().similarity).toBeLessThan(0.25);
    });
  }

  it('a photo without a face: exit 1, nothing on stdout', () => {
    const r = cli(['face', 'compare', '--image', photo('compreface_001_A.jpg'), '--image', photo('skimage_coffee.png'), ...M]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('skimage_coffee.png: no face found');
  });

  it('needs exactly two --image; --threshold is checked', () => {
    const one = cli(['face', 'compare', '--image', photo('compreface_001_A.jpg'), ...M]);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('--image twice');
    const bad = cli(['face', 'compare', '--image', 'a.jpg', '--image', 'b.jpg', '--threshold', 'high', ...M]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--threshold "high"');
  });
});

describe('canteen-edge face liveness', () => {
  it('minivision_image_T1.jpg (EXIF-rotated) is live', () => {
    const r = cli(['face', 'liveness', '--image', photo('minivision_image_T1.jpg'), ...M]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(Object.keys(doc)).toEqual(['live', 'score', 'threshold']);
    expect(doc).toMatchObject({ live: true, threshold: 0.8 });
    expect(doc.score).toBeGreaterThan(0.95);
  });

  for (const spoof of ['minivision_image_F1.jpg', 'minivision_image_F2.jpg']) {
    it(`${spoof} (a face shown to the camera) is not`, () => {
      const r = cli(['face', 'liveness', '--image', photo(spoof), ...M]);
      expect(r.code).toBe(0);
      expect(r.json()).toMatchObject({ live: false, threshold: 0.8 });
      expect(r.json().score).toBeLessThan(0.3);
    });
  }

  it('no face: exit 1', () => {
    const r = cli(['face', 'liveness', '--image', photo('skimage_coffee.png'), ...M]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no face found');
  });
});

describe('canteen-edge face calibrate', () => {
  it('live T1 vs spoofs F1, F2 (a directory): the distributions and the separating threshold', () => {
    const spoofDir = path.join(dir, 'spoof');
    mkdirSync(spoofDir, { recursive: true });
    for (const f of ['minivision_image_F1.jpg', 'minivision_image_F2.jpg']) symlinkSync(photo(f), path.join(spoofDir, f));
    const r = cli(['face', 'calibrate', '--live', photo('minivision_image_T1.jpg'), '--spoof', spoofDir, ...M]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.live).toMatchObject({ n: 1 });
    expect(doc.spoof).toMatchObject({ n: 2 });
    expect(doc.spoof.max).toBeLessThan(0.3);
    expect(doc.separable).toBe(true);
    expect(doc.threshold).toBeCloseTo((doc.live.min + doc.spoof.max) / 2, 3);
    expect(doc.far_threshold).toMatchObject({ far: 0.01, resolvable: false, spoof_accepted: 0, live_rejected: 0 });
    expect(doc.advice).toContain('do not overlap');
    expect(doc.scores).toHaveLength(3);
  });

  it('overlapping scores (studio photos as "live"): says no threshold separates them', () => {
    const r = cli(['face', 'calibrate', '--live', photo('compreface_009_C.jpg'), '--live', photo('minivision_image_T1.jpg'), '--spoof', photo('minivision_image_F1.jpg'), ...M]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.separable).toBe(false);
    expect(doc.threshold).toBeNull();
    expect(doc.advice).toContain('no threshold separates them');
  });

  it('--people DIR: genuine and impostor similarities and the match threshold', () => {
    const people = path.join(dir, 'people');
    const add = (person: string, ...files: string[]) => {
      mkdirSync(path.join(people, person), { recursive: true });
      for (const f of files) symlinkSync(photo(f), path.join(people, person, f));
    };
    add('A', 'compreface_001_A.jpg', 'compreface_002_A.jpg');
    add('B', 'compreface_007_B.jpg');
    add('C', 'compreface_009_C.jpg');
    add('W', 'pexels_cc0_smiling-woman.jpg');
    const r = cli(['face', 'calibrate', '--people', people, '--far', '0.2', ...M]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc).toMatchObject({ people: 4, photos: 5, far: 0.2, resolvable: true, frr_at_threshold: 0 });
    expect(doc.genuine.n).toBe(1);
    expect(doc.impostor.n).toBe(9);
    expect(doc.genuine.min).toBeGreaterThan(doc.threshold);
  });

  it('usage: --live without --spoof, --people with --live, a missing path', () => {
    expect(cli(['face', 'calibrate', '--live', photo('minivision_image_T1.jpg'), ...M]).code).toBe(2);
    expect(cli(['face', 'calibrate', '--people', dir, '--live', photo('minivision_image_T1.jpg'), ...M]).code).toBe(2);
    const r = cli(['face', 'calibrate', '--live', path.join(dir, 'nope'), '--spoof', photo('minivision_image_F1.jpg'), ...M]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--live');
    expect(r.stderr).toContain('no such file or directory');
  });
});
