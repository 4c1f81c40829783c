// Image → input tensor, as a manifest says: sharp decodes (honouring EXIF orientation),
// crops, resizes (stretch | shorter side then centre crop | letterbox top-left) on the
// libuv thread pool; the only work on the calling thread is the HWC uint8 → NCHW
// float32 loop (≈150k values for 224×224, well under a millisecond).
import sharp from 'sharp';
import type { ModelManifest } from './manifest.ts';

/** Packed RGB, width × height × 3 bytes: what drivers/camera frames are. */
export interface RgbImage {
  rgb: Buffer | Uint8Array;
  width: number;
  height: number;
}

/** A file path, an encoded image (JPEG/PNG/WebP…), or packed RGB. */
export type ImageInput = string | Buffer | Uint8Array | RgbImage;

/** Pixels of the (auto-rotated) image; clamped to it. */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface PreprocessOptions {
  crop?: CropBox;
  /** for inputs with dynamic height/width: the size to produce (default the manifest's) */
  size?: { width: number; height: number };
}

export interface Preprocessed {
  /** NCHW float32, batch 1 */
  data: Float32Array;
  dims: [1, 3, number, number];
  /** size of the (oriented) source image */
  source: { width: number; height: number };
  /** the region of the source that was used (crop, then the centre crop if any) */
  region: CropBox;
  /** tensor pixels per region pixel, x and y (to map outputs back: x_src = region.left + x / scale.x) */
  scale: { x: number; y: number };
}

export function isRgbImage(x: unknown): x is RgbImage {
  return typeof x === 'object' && x !== null && 'rgb' in x && 'width' in x && 'height' in x;
}

function open(image: ImageInput): sharp.Sharp {
  if (isRgbImage(image)) {
    const { rgb, width, height } = image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new Error(`packed RGB image: bad size ${width}×${height}`);
    }
    if (rgb.length !== width * height * 3) {
      throw new Error(`packed RGB image: ${rgb.length} bytes for ${width}×${height} (expected ${width * height * 3})`);
    }
    return sharp(rgb, { raw: { width, height, channels: 3 } });
  }
  return sharp(image, { failOn: 'error' }).autoOrient();
}

/** Width and height after EXIF orientation. */
export async function imageSize(image: ImageInput): Promise<{ width: number; height: number }> {
  if (isRgbImage(image)) return { width: image.width, height: image.height };
  let meta: sharp.Metadata;
  try {
    meta = await sharp(image).metadata();
  } catch (err) {
    throw new Error(`cannot read image ${typeof image === 'string' ? image : `(${image.length} bytes)`}: ${(err as Error).message}`);
  }
  const o = meta.autoOrient ?? { width: meta.width, height: meta.height };
  if (!o.width || !o.height) throw new Error('image without a size');
  return { width: o.width, height: o.height };
}

function clampCrop(c: CropBox, w: number, h: number): CropBox {
  const left = Math.max(0, Math.min(w, Math.round(c.left)));
  const top = Math.max(0, Math.min(h, Math.round(c.top)));
  const right = Math.max(left, Math.min(w, Math.round(c.left + c.width)));
  const bottom = Math.max(top, Math.min(h, Math.round(c.top + c.height)));
  if (right - left < 1 || bottom - top < 1) {
    throw new Error(`crop ${JSON.stringify(c)} is empty inside the ${w}×${h} image`);
  }
  return { left, top, width: right - left, height: bottom - top };
}

function targetSize(m: ModelManifest, opts: PreprocessOptions): { width: number; height: number } {
  const [, , h, w] = m.input.shape;
  const r = m.preprocess.resize;
  let size = typeof h === 'number' && typeof w === 'number' ? { width: w, height: h } : undefined;
  if (typeof h !== 'number' || typeof w !== 'number') {
    size = opts.size ?? (r.mode === 'letterbox-top-left' && r.size ? { width: r.size[0], height: r.size[1] } : undefined);
    if (!size) throw new Error(`model ${m.name}: the input size is dynamic; pass { size }`);
    if (r.mode === 'letterbox-top-left' && r.multiple_of && (size.width % r.multiple_of || size.height % r.multiple_of)) {
      throw new Error(`model ${m.name}: input ${size.width}×${size.height} must be a multiple of ${r.multiple_of}`);
    }
  } else if (opts.size && (opts.size.width !== w || opts.size.height !== h)) {
    throw new Error(`model ${m.name}: the input is fixed at ${w}×${h}`);
  }
  return size!;
}

/** One image → the model's input tensor (batch 1). */
export async function preprocess(m: ModelManifest, image: ImageInput, opts: PreprocessOptions = {}): Promise<Preprocessed> {
  const source = await imageSize(image);
  let region = opts.crop ? clampCrop(opts.crop, source.width, source.height) : { left: 0, top: 0, width: source.width, height: source.height };
  const { width: W, height: H } = targetSize(m, opts);
  const r = m.preprocess.resize;
  let img = open(image);
  let scale: { x: number; y: number };

  if (r.mode === 'shorter-side-then-center-crop') {
    // resize shorter side to S then take the centre C×C  ≡  take the centre side·C/S square, resize it to C×C
    const side = Math.min(region.width, region.height) * (r.crop / r.shorter_side);
    const s = Math.max(1, Math.round(side));
    region = {
      left: region.left + Math.round((region.width - s) / 2),
      top: region.top + Math.round((region.height - s) / 2),
      width: Math.min(s, region.width),
      height: Math.min(s, region.height),
    };
    img = img.extract(region).resize(W, H, { fit: 'fill', kernel: r.kernel });
    scale = { x: W / region.width, y: H / region.height };
  } else if (r.mode === 'stretch') {
    img = img.extract(region).resize(W, H, { fit: 'fill', kernel: r.kernel });
    scale = { x: W / region.width, y: H / region.height };
  } else {
    const k = Math.min(W / region.width, H / region.height);
    const nw = Math.max(1, Math.min(W, Math.round(region.width * k)));
    const nh = Math.max(1, Math.min(H, Math.round(region.height * k)));
    const pad = r.pad;
    img = img
      .extract(region)
      .resize(nw, nh, { fit: 'fill', kernel: r.kernel })
      .extend({ right: W - nw, bottom: H - nh, background: { r: pad, g: pad, b: pad, alpha: 1 } });
    scale = { x: k, y: k };
  }

  const { data: px, info } = await img.toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== W || info.height !== H || info.channels !== 3) {
    throw new Error(`preprocess: got ${info.width}×${info.height}×${info.channels}, expected ${W}×${H}×3`);
  }
  return { data: toTensor(m, px, W, H), dims: [1, 3, H, W], source, region, scale };
}

/** Packed RGB (HWC uint8) → NCHW float32 with the manifest's channel order, scale, mean and std. */
export function toTensor(m: ModelManifest, px: Uint8Array, W: number, H: number): Float32Array {
  const p = m.preprocess;
  const n = W * H;
  const out = new Float32Array(3 * n);
  const mean = typeof p.mean === 'number' ? [p.mean, p.mean, p.mean] : p.mean;
  const std = typeof p.std === 'number' ? [p.std, p.std, p.std] : p.std;
  const srcChannel = p.channel_order === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let c = 0; c < 3; c++) {
    // (v·scale − mean) / std  =  v·a + b
    const a = p.scale / std[c]!;
    const b = -mean[c]! / std[c]!;
    const sc = srcChannel[c]!;
    const base = c * n;
    for (let i = 0; i < n; i++) out[base + i] = px[i * 3 + sc]! * a + b;
  }
  return out;
}
