// Few-shot dish recognition: the day's dishes are enrolled from 3–5 photos each taken
// at the station; a plate is recognised by cosine similarity of its embedding to each
// dish's photos (a dish scores the best of its photos). Above the threshold the kiosk
// shows the dish; below it, the top three to tap.
import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import type { CropBox, ImageInput } from '../preprocess.ts';
import type { ModelRegistry } from '../registry.ts';
import { DishEmbedder, dot, type DishEmbedderOptions, type DishImage, type EmbeddingSpace } from './embedder.ts';

export interface DishMatch {
  dishId: string;
  /** cosine similarity, −1…1 */
  score: number;
}

export type Decision = { dishId: string; score: number } | { candidates: DishMatch[] };

/**
 * The kiosk's rule: the top dish when its score reaches `threshold` (and, if given, beats
 * the runner-up by `margin`); otherwise the top three for the diner to tap.
 */
export function decide(results: readonly DishMatch[], threshold: number, margin?: number): Decision {
  const [first, second] = results;
  if (first && first.score >= threshold && (margin === undefined || !second || first.score - second.score >= margin)) {
    return { dishId: first.dishId, score: first.score };
  }
  return { candidates: results.slice(0, 3) };
}

export interface DishGalleryOptions extends DishEmbedderOptions {
  /** most photos kept per dish; enrolling more drops the oldest (default 10) */
  maxPerDish?: number;
  /** default for `decide()`: the manifest's params.dish_threshold, else DEFAULT_THRESHOLD */
  threshold?: number;
  /** default for `decide()`: the manifest's params.dish_margin, else none */
  margin?: number;
}

/** Chosen on the real photos: see models/dish/README.md. */
export const DEFAULT_THRESHOLD = 0.72;

export interface RecogniseOptions {
  crop?: CropBox;
  topK?: number;
}

const FORMAT = 'canteen-edge.dish-gallery';

interface GalleryFile {
  format: typeof FORMAT;
  version: 1;
  model: string;
  model_sha256: string;
  embedding: string;
  dim: number;
  saved_at: string;
  /** every embedding: little-endian float32, base64 */
  dishes: { id: string; embeddings: string[] }[];
}

export class DishGallery {
  readonly embedder: DishEmbedder;
  readonly threshold: number;
  readonly margin: number | undefined;
  private readonly maxPerDish: number;
  private readonly byDish = new Map<string, Float32Array[]>();

  constructor(registry: ModelRegistry, opts: DishGalleryOptions = {}) {
    this.embedder = new DishEmbedder(registry, opts);
    const params = registry.manifest(this.embedder.space.model).params;
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    this.threshold = opts.threshold ?? num(params['dish_threshold']) ?? DEFAULT_THRESHOLD;
    this.margin = opts.margin ?? num(params['dish_margin']);
    this.maxPerDish = opts.maxPerDish ?? 10;
  }

  get space(): EmbeddingSpace {
    return this.embedder.space;
  }

  /** Adds photos of a dish (appends; `replace` forgets its earlier photos). */
  async enrol(dishId: string, images: DishImage[], opts: { replace?: boolean } = {}): Promise<{ dishId: string; count: number }> {
    checkId(dishId);
    if (!images.length) throw new Error(`enrol ${dishId}: no images`);
    const embs = await this.embedder.embedMany(images);
    return this.addEmbeddings(dishId, embs, opts);
  }

  /** Adds ready-made embeddings (unit-length, this gallery's space). */
  addEmbeddings(dishId: string, embs: Float32Array[], opts: { replace?: boolean } = {}): { dishId: string; count: number } {
    checkId(dishId);
    for (const e of embs) {
      if (this.space.dim && e.length !== this.space.dim) throw new Error(`enrol ${dishId}: embedding of ${e.length} values, expected ${this.space.dim}`);
    }
    const list = opts.replace ? [] : [...(this.byDish.get(dishId) ?? [])];
    list.push(...embs);
    const kept = list.slice(-this.maxPerDish);
    this.byDish.set(dishId, kept);
    return { dishId, count: kept.length };
  }

  remove(dishId: string): boolean {
    return this.byDish.delete(dishId);
  }

  clear(): void {
    this.byDish.clear();
  }

  has(dishId: string): boolean {
    return this.byDish.has(dishId);
  }

  dishes(): { dishId: string; count: number }[] {
    return [...this.byDish].map(([dishId, e]) => ({ dishId, count: e.length }));
  }

  /** Dishes by similarity to the image (the crop of it that holds the plate), best first. */
  async recognise(image: ImageInput, opts: RecogniseOptions = {}): Promise<DishMatch[]> {
    if (this.byDish.size === 0) return [];
    const e = await this.embedder.embed(image, opts.crop);
    return this.search(e, opts.topK ?? 3);
  }

  /** The matching alone, for an embedding already made. */
  search(embedding: Float32Array, topK = 3): DishMatch[] {
    const all: DishMatch[] = [];
    for (const [dishId, embs] of this.byDish) {
      let best = -Infinity;
      for (const e of embs) {
        const s = dot(embedding, e);
        if (s > best) best = s;
      }
      all.push({ dishId, score: best });
    }
    all.sort((a, b) => b.score - a.score || (a.dishId < b.dishId ? -1 : 1));
    return all.slice(0, Math.max(0, topK));
  }

  /** decide() with this gallery's threshold and margin, unless given. */
  decide(results: readonly DishMatch[], threshold = this.threshold, margin = this.margin): Decision {
    return decide(results, threshold, margin);
  }

  /** Writes the gallery to `file` atomically (temp file + rename). */
  async save(file: string): Promise<void> {
    const body: GalleryFile = {
      format: FORMAT,
      version: 1,
      model: this.space.model,
      model_sha256: this.space.sha256,
      embedding: this.space.embedding,
      dim: this.space.dim,
      saved_at: new Date().toISOString(),
      dishes: [...this.byDish].map(([id, embs]) => ({
        id,
        embeddings: embs.map((e) => Buffer.from(e.buffer, e.byteOffset, e.byteLength).toString('base64')),
      })),
    };
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify(body) + '\n', { flush: true });
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
  }

  /** Replaces the contents with a saved gallery; it must come from the same model and embedding. */
  async load(file: string): Promise<void> {
    let body: GalleryFile;
    try {
      body = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      // keeps err.code: ENOENT is the normal first start, the caller tells it apart
      throw Object.assign(new Error(`dish gallery ${file}: ${(err as Error).message}`), { code: (err as NodeJS.ErrnoException).code });
    }
    if (body?.format !== FORMAT || body.version !== 1 || !Array.isArray(body.dishes)) {
      throw new Error(`dish gallery ${file}: not a ${FORMAT} version 1 file`);
    }
    const s = this.space;
    if (body.model !== s.model || body.model_sha256 !== s.sha256 || body.embedding !== s.embedding) {
      throw new Error(
        `dish gallery ${file} was made with ${body.model} (${String(body.model_sha256).slice(0, 12)}) / ${body.embedding}; ` +
          `this recognizer uses ${s.model} (${s.sha256.slice(0, 12)}) / ${s.embedding}: enrol the dishes again`,
      );
    }
    const next = new Map<string, Float32Array[]>();
    for (const d of body.dishes) {
      checkId(d.id);
      next.set(
        d.id,
        d.embeddings.map((b64) => {
          const buf = Buffer.from(b64, 'base64');
          if (buf.length !== body.dim * 4) throw new Error(`dish gallery ${file}: dish ${d.id}: embedding of ${buf.length} bytes, expected ${body.dim * 4}`);
          const e = new Float32Array(body.dim);
          Buffer.from(e.buffer).set(buf);
          return e;
        }),
      );
    }
    if (s.dim && body.dim !== s.dim) throw new Error(`dish gallery ${file}: ${body.dim}-d embeddings, this model makes ${s.dim}`);
    this.byDish.clear();
    for (const [k, v] of next) this.byDish.set(k, v);
  }
}

function checkId(dishId: string): void {
  if (typeof dishId !== 'string' || !dishId.trim()) throw new Error('a dish id is a non-empty string');
}

/** A dish gallery over the registry's MobileNetV2 (or the model named in opts). */
export function createDishGallery(registry: ModelRegistry, opts: DishGalleryOptions = {}): DishGallery {
  return new DishGallery(registry, opts);
}
