// Pre-processing per manifest, on the real photos and on synthetic images whose tensor
// values are known exactly.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readManifestDir, SHIPPED_MANIFESTS_DIR, type ModelManifest } from '../models/manifest.ts';
import { imageSize, preprocess } from '../models/preprocess.ts';
import { image, requireShared } from '../bench/recognition/photos.ts';

let M: Record<string, ModelManifest>;
beforeAll(async () => {
  requireShared();
  M = Object.fromEntries((await readManifestDir(SHIPPED_MANIFESTS_DIR)).map((m) => [m.name, m]));
});

const solid = (width: number, height: number, rgb: [number, number, number]) => {
  const buf = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) buf.set(rgb, i * 3);
  return { rgb: buf, width, height };
};

describe('preprocess', () => {
  it('MobileNetV2: RGB, /255, ImageNet mean/std, 1×3×224×224', async () => {
    const t = await preprocess(M['mobilenetv2-12-int8']!, solid(300, 200, [255, 128, 0]));
    expect(t.dims).toEqual([1, 3, 224, 224]);
    const n = 224 * 224;
    expect(t.data[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(t.data[n + 5000]).toBeCloseTo((128 / 255 - 0.456) / 0.224, 5);
    expect(t.data[2 * n + n - 1]).toBeCloseTo((0 - 0.406) / 0.225, 5);
    // shorter side 200 → 256, centre 224: the source square is 175 px
    expect(t.region).toEqual({ left: 63, top: 13, width: 175, height: 175 });
  });

  it('YOLOX: BGR, raw 0–255, letterbox top-left padded with 114', async () => {
    const t = await preprocess(M['yolox_nano']!, solid(832, 416, [10, 20, 30]));
    expect(t.dims).toEqual([1, 3, 416, 416]);
    const at = (c: number, y: number, x: number) => t.data[c * 416 * 416 + y * 416 + x];
    expect([at(0, 0, 0), at(1, 0, 0), at(2, 0, 0)]).toEqual([30, 20, 10]); // B, G, R
    expect([at(0, 207, 415), at(0, 208, 0), at(2, 415, 415)]).toEqual([30, 114, 114]);
    expect(t.scale).toEqual({ x: 0.5, y: 0.5 });
  });

  it('UltraFace: (x − 127) / 128, stretched', async () => {
    const t = await preprocess(M['ultraface-RFB-320']!, solid(100, 100, [255, 127, 0]));
    expect(t.dims).toEqual([1, 3, 240, 320]);
    expect([t.data[0], t.data[240 * 320], t.data[2 * 240 * 320]]).toEqual([1, 0, -127 / 128]);
  });

  it('dynamic YuNet: default size from the manifest, other sizes must be multiples of 32', async () => {
    const m = M['yunet_n_dynamic']!;
    expect((await preprocess(m, solid(64, 48, [1, 2, 3]))).dims).toEqual([1, 3, 480, 640]);
    expect((await preprocess(m, solid(64, 48, [1, 2, 3]), { size: { width: 320, height: 256 } })).dims).toEqual([1, 3, 256, 320]);
    await expect(preprocess(m, solid(64, 48, [1, 2, 3]), { size: { width: 300, height: 256 } })).rejects.toThrow(/multiple of 32/);
  });

  it('a file path, its encoded bytes and its packed RGB give the same tensor', async () => {
    const file = image('skimage_coffee.png');
    const m = M['mobilenetv2-12-int8']!;
    const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const a = await preprocess(m, file);
    const b = await preprocess(m, readFileSync(file));
    const c = await preprocess(m, { rgb: data, width: info.width, height: info.height });
    expect(b.data).toEqual(a.data);
    let maxDiff = 0;
    for (let i = 0; i < a.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.data[i]! - c.data[i]!));
    expect(maxDiff).toBeLessThan(0.05); // raw vs PNG decode: same pixels, resampling may differ by a level
  });

  it('honours EXIF orientation (minivision T1 is stored 640×480, orientation 6)', async () => {
    const file = image('minivision_image_T1.jpg');
    expect(await imageSize(file)).toEqual({ width: 480, height: 640 });
    const t = await preprocess(M['yolox_nano']!, file);
    expect(t.source).toEqual({ width: 480, height: 640 });
    expect(t.scale.x).toBeCloseTo(416 / 640, 6); // the long side is the height
  });

  it('crops in source pixels, clamped; refuses an empty crop and wrong packed RGB', async () => {
    const m = M['mobilenetv2-12-int8']!;
    const t = await preprocess(m, image('skimage_coffee.png'), { crop: { left: 500, top: -20, width: 300, height: 200 } });
    expect(t.region.left).toBeGreaterThanOrEqual(500);
    expect(t.region.left + t.region.width).toBeLessThanOrEqual(600);
    expect(t.region.top).toBeGreaterThanOrEqual(0);
    await expect(preprocess(m, image('skimage_coffee.png'), { crop: { left: 700, top: 0, width: 10, height: 10 } })).rejects.toThrow(/empty/);
    await expect(preprocess(m, { rgb: Buffer.alloc(10), width: 4, height: 4 })).rejects.toThrow(/10 bytes for 4×4/);
  });

  it('a broken file is a clear error', async () => {
    await expect(preprocess(M['mobilenetv2-12-int8']!, path.join(SHIPPED_MANIFESTS_DIR, 'yolox_nano.json'))).rejects.toThrow(/cannot read image/);
  });
});
