// Dish embeddings from an ImageNet classifier's output (MobileNetV2 int8 by default).
// The kinds compared on the real photos (bench/recognition/embeddings.ts, models/dish/README.md):
//   logits          L2(logits)
//   centered-logits L2(logits − mean(logits))       (cosine = Pearson correlation of the logits)
//   softmax         L2(softmax(logits))
//   sqrt-softmax    √softmax, already unit-length   (cosine = Bhattacharyya coefficient)
// Every embedding is unit-length, so cosine similarity is a dot product.
import { softmax } from '../classifier/classify.ts';
import { preprocess, type CropBox, type ImageInput } from '../preprocess.ts';
import type { ModelRegistry } from '../registry.ts';

export const EMBEDDING_KINDS = ['logits', 'centered-logits', 'softmax', 'sqrt-softmax'] as const;
export type EmbeddingKind = (typeof EMBEDDING_KINDS)[number];

export const DEFAULT_DISH_MODEL = 'mobilenetv2-12-int8';
/** Chosen on the real photos: see models/dish/README.md. A manifest may set params.dish_embedding. */
export const DEFAULT_EMBEDDING: EmbeddingKind = 'logits';

/** An image, optionally with the region of it that holds the dish. */
export type DishImage = ImageInput | { image: ImageInput; crop?: CropBox };

export function splitDishImage(x: DishImage): { image: ImageInput; crop?: CropBox } {
  if (typeof x === 'object' && x !== null && !Buffer.isBuffer(x) && !(x instanceof Uint8Array) && 'image' in x) return x;
  return { image: x as ImageInput };
}

export function l2normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const k = s > 0 ? 1 / Math.sqrt(s) : 0;
  for (let i = 0; i < v.length; i++) v[i]! *= k;
  return v;
}

export function toEmbedding(logits: ArrayLike<number>, kind: EmbeddingKind): Float32Array {
  switch (kind) {
    case 'logits':
      return l2normalise(Float32Array.from(logits));
    case 'centered-logits': {
      const v = Float32Array.from(logits);
      let mean = 0;
      for (let i = 0; i < v.length; i++) mean += v[i]!;
      mean /= v.length;
      for (let i = 0; i < v.length; i++) v[i]! -= mean;
      return l2normalise(v);
    }
    case 'softmax':
      return l2normalise(softmax(logits));
    case 'sqrt-softmax': {
      const p = softmax(logits);
      for (let i = 0; i < p.length; i++) p[i] = Math.sqrt(p[i]!);
      return l2normalise(p);
    }
  }
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export interface DishEmbedderOptions {
  /** registry model name; default mobilenetv2-12-int8 */
  model?: string;
  /** default: the manifest's params.dish_embedding, else DEFAULT_EMBEDDING */
  embedding?: EmbeddingKind;
}

/** What an embedding was made with: a gallery only matches embeddings of the same kind. */
export interface EmbeddingSpace {
  model: string;
  sha256: string;
  embedding: EmbeddingKind;
  dim: number;
}

export class DishEmbedder {
  readonly space: EmbeddingSpace;

  constructor(
    readonly registry: ModelRegistry,
    opts: DishEmbedderOptions = {},
  ) {
    const model = opts.model ?? DEFAULT_DISH_MODEL;
    const m = registry.manifest(model);
    if (m.family !== 'classifier' && m.family !== 'embedder') throw new Error(`model ${model} is a ${m.family}; dish embeddings need a classifier or embedder`);
    const fromManifest = m.params['dish_embedding'];
    if (fromManifest !== undefined && !EMBEDDING_KINDS.includes(fromManifest as EmbeddingKind)) {
      throw new Error(`model ${model}: params.dish_embedding "${String(fromManifest)}" is not one of ${EMBEDDING_KINDS.join(', ')}`);
    }
    const embedding = opts.embedding ?? (fromManifest as EmbeddingKind | undefined) ?? DEFAULT_EMBEDDING;
    const dim = m.outputs[0]!.shape?.at(-1);
    this.space = { model, sha256: m.sha256, embedding, dim: typeof dim === 'number' ? dim : 0 };
  }

  /** The model's raw output for a batch of images (one run when the batch dimension is dynamic). */
  async rawMany(items: DishImage[]): Promise<Float32Array[]> {
    const model = await this.registry.load(this.space.model);
    const m = model.manifest;
    const out = m.outputs[0]!.name;
    const tensors = await Promise.all(items.map((x) => splitDishImage(x)).map(({ image, crop }) => preprocess(m, image, { crop })));
    if (tensors.length === 0) return [];
    const per = tensors[0]!.data.length;
    const batchable = typeof m.input.shape[0] !== 'number' && tensors.length > 1;
    if (!batchable) {
      const res: Float32Array[] = [];
      for (const t of tensors) res.push((await model.run({ [m.input.name]: { data: t.data, dims: t.dims } }, { transfer: true }))[out]!.data);
      return res;
    }
    const data = new Float32Array(per * tensors.length);
    tensors.forEach((t, i) => data.set(t.data, i * per));
    const [, c, h, w] = tensors[0]!.dims;
    const r = (await model.run({ [m.input.name]: { data, dims: [tensors.length, c, h, w] } }, { transfer: true }))[out]!;
    const d = r.data.length / tensors.length;
    return tensors.map((_, i) => r.data.slice(i * d, (i + 1) * d));
  }

  async embed(image: ImageInput, crop?: CropBox): Promise<Float32Array> {
    const [raw] = await this.rawMany([{ image, crop }]);
    return this.fromRaw(raw!);
  }

  async embedMany(items: DishImage[]): Promise<Float32Array[]> {
    return (await this.rawMany(items)).map((r) => this.fromRaw(r));
  }

  fromRaw(raw: Float32Array): Float32Array {
    const e = toEmbedding(raw, this.space.embedding);
    if (!this.space.dim) (this.space as { dim: number }).dim = e.length;
    return e;
  }
}
