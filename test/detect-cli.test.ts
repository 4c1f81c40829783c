// `canteen-edge detect` through the real command, with the real model and photos of ../shared.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { iou } from '../models/detector/decode.ts';
import { image, requireShared, SHARED_MODELS_DIR } from '../bench/recognition/photos.ts';
import { cli } from './helpers/cli.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'detect-cli-'));
const noConfig = { CANTEEN_EDGE_CONFIG: path.join(tmp, 'absent.yaml'), CANTEEN_EDGE_MODELS_DIR: '' };

beforeAll(() => requireShared(['yolox_nano.onnx', 'coco.names']));

describe('canteen-edge detect', () => {
  it('darknet_dog.jpg → dog, bicycle, car, boxes in pixels of the 768×576 photo', () => {
    const r = cli(['detect', '--image', image('darknet_dog.jpg'), '--models-dir', SHARED_MODELS_DIR]);
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json();
    expect(doc.model).toBe('yolox_nano');
    const labels = doc.detections.map((d: { label: string }) => d.label);
    expect(labels).toEqual(expect.arrayContaining(['dog', 'bicycle', 'car']));
    for (const d of doc.detections) {
      expect(Object.keys(d).sort()).toEqual(['box', 'label', 'score']);
      expect(d.score).toBeGreaterThanOrEqual(0.3);
      expect(d.box[0]).toBeGreaterThanOrEqual(0);
      expect(d.box[2]).toBeLessThanOrEqual(768);
      expect(d.box[3]).toBeLessThanOrEqual(576);
    }
    const car = doc.detections.find((d: { label: string }) => d.label === 'car');
    expect(iou(car.box, [466, 78, 690, 172])).toBeGreaterThan(0.85);
    expect(r.stderr).toMatch(/yolox_nano on .*darknet_dog\.jpg: \d+ detection/);
  });

  it('--min-score filters; the masked-face model gives face labels the same way', () => {
    const r = cli(['detect', '--image', image('darknet_dog.jpg'), '--models-dir', SHARED_MODELS_DIR, '--min-score', '0.8']);
    expect(r.code, r.stderr).toBe(0);
    const scores = r.json().detections.map((d: { score: number }) => d.score);
    expect(scores.length).toBeGreaterThan(0);
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(0.8);

    const f = cli(['detect', '--image', image('pexels_cc0_smiling-woman.jpg'), '--models-dir', SHARED_MODELS_DIR, '--model', 'ultraface-RFB-640-masked_face-v2']);
    expect(f.code, f.stderr).toBe(0);
    expect(f.json().detections.map((d: { label: string }) => d.label)).toEqual(['face']);
  });

  it('--models-dir defaults to the configured models dir, else CANTEEN_EDGE_MODELS_DIR', () => {
    const cfg = path.join(tmp, 'gateway.yaml');
    writeFileSync(cfg, `paths:\n  data_dir: ${JSON.stringify(path.join(tmp, 'data'))}\n  models_dir: ${JSON.stringify(SHARED_MODELS_DIR)}\n`);
    const viaConfig = cli(['detect', '--image', image('skimage_coffee.png')], { ...noConfig, CANTEEN_EDGE_CONFIG: cfg });
    expect(viaConfig.code, viaConfig.stderr).toBe(0);
    expect(viaConfig.json().detections.map((d: { label: string }) => d.label)).toContain('cup');

    const viaEnv = cli(['detect', '--image', image('skimage_coffee.png')], { ...noConfig, CANTEEN_EDGE_MODELS_DIR: SHARED_MODELS_DIR });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);

    const none = cli(['detect', '--image', image('skimage_coffee.png')], noConfig);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--models-dir is required/);
  });

  it('exit 1 when the model file is missing, naming the file and the models dir', () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'detect-cli-empty-'));
    const r = cli(['detect', '--image', image('darknet_dog.jpg'), '--models-dir', empty]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`yolox_nano.onnx not found in models dir ${empty}`);
  });

  it('exit 1 when the image cannot be read', () => {
    const r = cli(['detect', '--image', path.join(tmp, 'nope.jpg'), '--models-dir', SHARED_MODELS_DIR]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--image .*nope\.jpg: file not found/);
  });

  it('exit 2 on usage errors, naming the flag', () => {
    const cases: [string[], RegExp][] = [
      [['detect', '--models-dir', SHARED_MODELS_DIR], /--image is required/],
      [['detect', '--image', image('darknet_dog.jpg'), '--models-dir', SHARED_MODELS_DIR, '--min-score', '1.5'], /--min-score "1\.5": expected a number from 0 to 1/],
      [['detect', '--image', image('darknet_dog.jpg'), '--models-dir', SHARED_MODELS_DIR, '--min-score', 'high'], /--min-score "high"/],
      [['detect', '--image', image('darknet_dog.jpg'), '--models-dir', SHARED_MODELS_DIR, '--model', 'yolo_huge'], /--model "yolo_huge": no such model; detectors: .*yolox_nano/],
      [['detect', '--image', image('darknet_dog.jpg'), '--models-dir', SHARED_MODELS_DIR, '--model', 'MobileFaceNet'], /--model "MobileFaceNet": .*not a detector/],
      [['detect', '--image', image('darknet_dog.jpg'), '--frobnicate'], /Unknown option '--frobnicate'/],
      [['detect', '--image', image('darknet_dog.jpg'), '--config', path.join(tmp, 'absent.yaml')], /--config .*absent\.yaml: .*cannot read config file/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(args, noConfig);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    }
  });

  it('--help', () => {
    const r = cli(['detect', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('canteen-edge detect --image FILE [--model NAME] [--models-dir DIR] [--min-score S]');
  });
});
