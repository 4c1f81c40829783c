// Model manifests: data shipped in the project (models/manifests/<name>.json, and
// a site's own in <models_dir>/manifests/), describing a weights file that lives in
// the models directory: its sha256, the input tensor and how an image becomes that
// tensor, the outputs to use, labels, family-specific parameters, licence and source.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const FAMILIES = ['classifier', 'embedder', 'detector', 'face-detector', 'face-embedder', 'liveness'] as const;
export type ModelFamily = (typeof FAMILIES)[number];

/** What a model is for, as the box's users name it (models/install/features.ts has the Chinese names). */
export const FEATURES = ['face-pay', 'liveness', 'dish-recognition', 'kitchen-detection'] as const;
export type ModelFeature = (typeof FEATURES)[number];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'the full sha256, 64 lower-case hex digits');
/** Where a file can be downloaded: URLs pinned to a commit or release (never a moving branch), tried in order. */
const urls = z.array(z.string().url('an http(s) URL')).default([]).describe('upstream download URLs pinned to a commit or release, tried in order');

/** Where the project's own manifests are. */
export const SHIPPED_MANIFESTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'manifests');

const dim = z.union([z.number().int().positive(), z.string().min(1)]).describe('a fixed size, or a name for a dynamic dimension');
const byte = z.number().min(0).max(255);

/** A number, or a fraction written "1/255" for readability. */
const scaleValue = z.union([
  z.number().positive(),
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*\/\s*\d+(\.\d+)?\s*$/, 'a number or a fraction such as "1/255"')
    .transform((s) => {
      const [a, b] = s.split('/').map(Number) as [number, number];
      return a / b;
    })
    .refine((v) => Number.isFinite(v) && v > 0, 'a positive finite fraction'),
]);

const perChannel = z.union([z.number(), z.tuple([z.number(), z.number(), z.number()])]);

const kernel = z.enum(['nearest', 'linear', 'cubic', 'mitchell', 'lanczos3']);

const resizeSchema = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('shorter-side-then-center-crop').describe('resize the shorter side to `shorter_side`, then take the centre `crop`×`crop`'),
    shorter_side: z.number().int().positive(),
    crop: z.number().int().positive(),
    kernel: kernel.default('linear'),
  }),
  z.strictObject({
    mode: z.literal('stretch').describe('resize to the input size, ignoring the aspect ratio'),
    kernel: kernel.default('linear'),
  }),
  z.strictObject({
    mode: z.literal('letterbox-top-left').describe('fit inside the input size keeping the aspect ratio, image at the top-left, pad right and bottom'),
    pad: byte.default(0).describe('value of the padding, 0–255, every channel'),
    multiple_of: z.number().int().positive().optional().describe('dynamic inputs: width and height must be multiples of this'),
    size: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional().describe('dynamic inputs: default [width, height]'),
    kernel: kernel.default('linear'),
  }),
]);

const outputSchema = z.strictObject({
  name: z.string().min(1),
  shape: z.array(dim).optional(),
  meaning: z.string().optional().describe('what the numbers are: logits, probabilities, boxes…'),
});

export const manifestSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, ".", "_" or "-"'),
    family: z.enum(FAMILIES),
    description: z.string().optional(),
    file: z
      .string()
      .min(1)
      .refine((f) => !path.isAbsolute(f) && !f.split(/[\\/]/).includes('..'), 'a file name inside the models dir'),
    sha256: sha256Hex,
    bytes: z.number().int().positive().optional().describe('size of the weights file; checked with the sha256 when it is downloaded'),
    urls,
    feature: z.enum(FEATURES).optional().describe('the feature it serves: face-pay 刷脸支付, liveness 活体检测, dish-recognition 菜品识别, kitchen-detection 后厨识别'),
    input: z.strictObject({
      name: z.string().min(1),
      shape: z.tuple([dim, dim, dim, dim]).describe('NCHW'),
      type: z.literal('float32').default('float32'),
    }),
    preprocess: z.strictObject({
      channel_order: z.enum(['RGB', 'BGR']),
      scale: scaleValue.describe('pixel 0–255 × scale, before mean/std'),
      mean: perChannel.default(0).describe('subtracted after scaling, per tensor channel (in channel_order)'),
      std: perChannel.default(1).describe('divided by after the mean, per tensor channel'),
      resize: resizeSchema,
    }),
    outputs: z.array(outputSchema).min(1),
    labels: z
      .union([
        z.array(z.string()).min(1),
        z.strictObject({ file: z.string().min(1), sha256: sha256Hex.optional(), bytes: z.number().int().positive().optional(), urls }),
      ])
      .optional()
      .describe('inline, or a file in the models dir: .tsv → last column (first is an id), else one label a line'),
    params: z.record(z.string(), z.unknown()).default({}).describe('family-specific: thresholds, NMS IoU, strides, crop scale…'),
    licence: z.string().min(1),
    source: z.string().min(1),
  })
  .superRefine((m, ctx) => {
    const [, c, h, w] = m.input.shape;
    if (c !== 3) ctx.addIssue({ code: 'custom', path: ['input', 'shape', 1], message: 'NCHW with 3 channels expected' });
    const r = m.preprocess.resize;
    if (r.mode === 'shorter-side-then-center-crop') {
      if (r.crop > r.shorter_side) ctx.addIssue({ code: 'custom', path: ['preprocess', 'resize', 'crop'], message: 'crop larger than shorter_side' });
      for (const [d, i] of [[h, 2], [w, 3]] as const) {
        if (typeof d === 'number' && d !== r.crop) {
          ctx.addIssue({ code: 'custom', path: ['input', 'shape', i], message: `input is ${d} but the crop is ${r.crop}` });
        }
      }
    }
    if (r.mode === 'stretch' && (typeof h !== 'number' || typeof w !== 'number')) {
      ctx.addIssue({ code: 'custom', path: ['preprocess', 'resize'], message: 'stretch needs a fixed input height and width' });
    }
    if (r.mode === 'letterbox-top-left' && (typeof h !== 'number' || typeof w !== 'number') && !r.size) {
      ctx.addIssue({ code: 'custom', path: ['preprocess', 'resize', 'size'], message: 'a dynamic input needs a default size [width, height]' });
    }
    for (const v of [m.preprocess.std].flat()) {
      if (v === 0) ctx.addIssue({ code: 'custom', path: ['preprocess', 'std'], message: 'std must not be 0' });
    }
  });

export type ModelManifest = z.output<typeof manifestSchema>;
export type ResizeSpec = ModelManifest['preprocess']['resize'];

export class ManifestError extends Error {
  override name = 'ManifestError';
}

/** Validates a parsed manifest; `where` names it in errors. */
export function parseManifest(raw: unknown, where: string): ModelManifest {
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ManifestError(`invalid model manifest ${where}: ${issues}`);
  }
  return r.data;
}

/** Reads every *.json of a directory as a manifest; the name must match the file name. */
export async function readManifestDir(dir: string): Promise<ModelManifest[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  const out: ModelManifest[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new ManifestError(`invalid model manifest ${file}: ${(err as Error).message}`);
    }
    const m = parseManifest(raw, file);
    if (`${m.name}.json` !== f) throw new ManifestError(`invalid model manifest ${file}: name "${m.name}" does not match the file name`);
    out.push(m);
  }
  return out;
}
