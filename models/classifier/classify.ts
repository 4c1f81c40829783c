// Classifier post-processing (softmax, top-k with labels) and a small classifier
// over a registry model.
import type { LoadedModel, ModelRegistry } from '../registry.ts';
import { preprocess, type CropBox, type ImageInput } from '../preprocess.ts';

export interface ClassScore {
  index: number;
  label: string;
  score: number;
}

/** Numerically stable softmax. */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < out.length; i++) out[i]! /= sum;
  return out;
}

/** The k highest scores, highest first; labels by index (or "#index"). */
export function topK(scores: ArrayLike<number>, k: number, labels?: readonly string[]): ClassScore[] {
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    // insertion into a short sorted list: O(n·k), no sort of 1000 items
    if (idx.length < k || scores[i]! > scores[idx[idx.length - 1]!]!) {
      let j = Math.min(idx.length, k - 1);
      while (j > 0 && scores[idx[j - 1]!]! < scores[i]!) j--;
      idx.splice(j, 0, i);
      if (idx.length > k) idx.pop();
    }
  }
  return idx.map((i) => ({ index: i, label: labels?.[i] ?? `#${i}`, score: scores[i]! }));
}

export interface ClassifyOptions {
  crop?: CropBox;
  topK?: number;
}

export class Classifier {
  constructor(
    private readonly registry: ModelRegistry,
    readonly modelName: string,
  ) {
    const m = registry.manifest(modelName);
    if (m.family !== 'classifier') throw new Error(`model ${modelName} is a ${m.family}, not a classifier`);
  }

  /** Logits for one image. */
  async logits(image: ImageInput, crop?: CropBox): Promise<Float32Array> {
    const model: LoadedModel = await this.registry.load(this.modelName);
    const t = await preprocess(model.manifest, image, { crop });
    const out = await model.run({ [model.manifest.input.name]: { data: t.data, dims: t.dims } }, { transfer: true });
    return out[model.manifest.outputs[0]!.name]!.data;
  }

  async classify(image: ImageInput, opts: ClassifyOptions = {}): Promise<ClassScore[]> {
    const model = await this.registry.load(this.modelName);
    const logits = await this.logits(image, opts.crop);
    return topK(softmax(logits), opts.topK ?? 5, model.labels);
  }
}
