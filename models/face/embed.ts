// Face embedding: MobileFaceNet (or a site's model of the face-embedder family) on the
// 112×112 face aligned onto the ArcFace template; RGB, /255, ImageNet mean/std (from the
// manifest), output L2-normalised, compared by cosine.
import { l2normalise } from '../dish/embedder.ts';
import { toTensor } from '../preprocess.ts';
import type { ModelRegistry } from '../registry.ts';
import type { AlignedFace } from './align.ts';

export const DEFAULT_FACE_EMBEDDER = 'MobileFaceNet';

export class FaceEmbedder {
  readonly model: string;
  /** the input side the aligned face must have (112 for MobileFaceNet) */
  readonly size: number;
  readonly dim: number;

  constructor(
    readonly registry: ModelRegistry,
    model = DEFAULT_FACE_EMBEDDER,
  ) {
    this.model = model;
    const m = registry.manifest(model);
    if (m.family !== 'face-embedder') throw new Error(`model ${model} is a ${m.family}, not a face-embedder`);
    const [, , h, w] = m.input.shape;
    if (typeof h !== 'number' || h !== w) throw new Error(`model ${model}: a square fixed input expected, got [${m.input.shape.join(',')}]`);
    this.size = h;
    const d = m.outputs[0]!.shape?.at(-1);
    this.dim = typeof d === 'number' ? d : 128;
  }

  /** The unit-length embedding of an aligned face. */
  async embed(aligned: Pick<AlignedFace, 'rgb' | 'width' | 'height'>): Promise<Float32Array> {
    if (aligned.width !== this.size || aligned.height !== this.size) {
      throw new Error(`${this.model}: aligned face ${aligned.width}×${aligned.height}, expected ${this.size}×${this.size}`);
    }
    const model = await this.registry.load(this.model);
    const m = model.manifest;
    const data = toTensor(m, aligned.rgb, this.size, this.size);
    const out = await model.run({ [m.input.name]: { data, dims: [1, 3, this.size, this.size] } }, { transfer: true });
    return l2normalise(Float32Array.from(out[m.outputs[0]!.name]!.data));
  }
}

/** Cosine similarity of two embeddings (normalises both). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cosine: lengths ${a.length} and ${b.length}`);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}
