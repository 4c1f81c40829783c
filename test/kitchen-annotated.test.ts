// The camera wall's annotated frame on the real gateway, the real YOLOX-nano and two real
// photos that alternate on every frame (a person, a dog): every annotated JPEG served must
// carry the boxes of the very frame it shows — each box the model finds on that frame has
// its outline drawn, and no box of the other photo is drawn on it. Drawing the latest
// detections on the newest frame (the old one-frame lag) puts the dog's boxes on the person.
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeToRgb } from '../drivers/camera/file-source.ts';
import { iou, type Box } from '../models/detector/decode.ts';
import { Detector } from '../models/detector/detector.ts';
import { createModelRegistry, type ModelRegistry } from '../models/registry.ts';
import { image, requireShared, SHARED_MODELS_DIR } from '../bench/recognition/photos.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

const W = 640;
const H = 360;
const dir = mkdtempSync(path.join(os.tmpdir(), 'kitchen-annotated-'));
const scenes = path.join(dir, 'camera');
const PHOTOS = ['darknet_person.jpg', 'darknet_dog.jpg'];

let gw: RunningGateway;
let registry: ModelRegistry;
const frames: { name: string; rgb: Buffer; boxes: Box[] }[] = [];

beforeAll(async () => {
  requireShared(['yolox_nano.onnx', 'coco.names']);
  mkdirSync(scenes, { recursive: true });
  PHOTOS.forEach((p, i) => symlinkSync(image(p), path.join(scenes, `${i}-${p}`)));
  // the frames exactly as the camera source decodes them, and what the same model finds on each
  registry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR });
  const yolox = new Detector(registry, 'yolox_nano');
  for (const p of PHOTOS) {
    const rgb = await decodeToRgb(image(p), W, H);
    const dets = await yolox.detect({ rgb, width: W, height: H }, { minScore: 0.4 });
    frames.push({ name: p, rgb, boxes: dets.map((d) => d.box) });
  }
  const base = (await simulatorConfig()) as { devices: Record<string, unknown> };
  gw = await startGateway({
    config: {
      ...base,
      devices: { ...base.devices, cameras: [{ id: 'kitchen-line', source: { type: 'files', path: scenes }, fps: 4, width: W, height: H }] },
      kitchen: { cameras: [{ camera: 'kitchen-line', rules: [{ id: 'person', alert: 'person_in_zone', when: { label: 'person' }, min_duration_ms: 60_000 }] }] },
    },
    env: { CANTEEN_EDGE_MODELS_DIR: SHARED_MODELS_DIR },
  });
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await registry?.close();
});

const meanDiff = (a: Buffer, b: Buffer) => {
  let s = 0;
  for (let i = 0; i < a.length; i += 7) s += Math.abs(a[i]! - b[i]!);
  return s / (a.length / 7);
};

/**
 * Whether the outline of the box is drawn: at the middle of each of its four edges a pixel
 * of the 2-pixel line differs strongly from the clean frame (JPEG chroma subsampling blurs
 * the exact red and blue of a thin line, so the change is measured, not the colour).
 */
function outlined(rgb: Buffer, clean: Buffer, box: Box): boolean {
  const [x1, y1, x2, y2] = box.map(Math.round) as Box;
  const mx = Math.round((x1 + x2) / 2);
  const my = Math.round((y1 + y2) / 2);
  const change = (x: number, y: number) => {
    const i = (Math.min(H - 1, Math.max(0, y)) * W + Math.min(W - 1, Math.max(0, x))) * 3;
    return Math.abs(rgb[i]! - clean[i]!) + Math.abs(rgb[i + 1]! - clean[i + 1]!) + Math.abs(rgb[i + 2]! - clean[i + 2]!);
  };
  const edges: [number, number, number, number][] = [[mx, y1, 0, 1], [mx, y2 - 2, 0, 1], [x1, my, 1, 0], [x2 - 2, my, 1, 0]];
  return edges.every(([x, y, dx, dy]) => Math.max(change(x, y), change(x + dx, y + dy)) > 120);
}

it('every annotated frame carries the boxes of that frame, never those of the frame before', async () => {
  expect(frames[0]!.boxes.length).toBeGreaterThan(0);
  expect(frames[1]!.boxes.length).toBeGreaterThan(0);
  const headers = (await gw.loginAs('supervisor')).headers;
  const seen = [0, 0];
  const deadline = Date.now() + 90_000;
  while ((seen[0]! < 6 || seen[1]! < 6) && Date.now() < deadline) {
    const res = await fetch(`${gw.url}/api/kitchen/cameras/kitchen-line/annotated.jpg`, { headers });
    if (res.status !== 200) continue;
    const rgb = await sharp(Buffer.from(await res.arrayBuffer())).removeAlpha().raw().toBuffer();
    const diffs = frames.map((f) => meanDiff(rgb, f.rgb));
    const shown = diffs[0]! < diffs[1]! ? 0 : 1;
    const own = frames[shown]!;
    const other = frames[1 - shown]!;
    const anyDrawn = frames.some((f) => f.boxes.some((b) => outlined(rgb, own.rgb, b)));
    if (!anyDrawn && seen[0]! + seen[1]! === 0) continue; // detection has not run on any frame yet
    seen[shown]!++;
    for (const b of own.boxes) expect(outlined(rgb, own.rgb, b), `${own.name}: its box ${b.map(Math.round).join(',')} drawn`).toBe(true);
    for (const b of other.boxes.filter((o) => own.boxes.every((m) => iou(m, o) < 0.3))) {
      expect(outlined(rgb, own.rgb, b), `${own.name}: a box of ${other.name} (${b.map(Math.round).join(',')}) drawn on it`).toBe(false);
    }
    await new Promise((r) => setTimeout(r, 150)); // pacing only: the next frame
  }
  expect(seen).toEqual([expect.any(Number), expect.any(Number)]);
  expect(Math.min(...seen)).toBeGreaterThanOrEqual(6);
}, 150_000);
