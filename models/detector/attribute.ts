// A per-person attribute (a mask, a chef's hat, a uniform): a detector whose manifest
// says, in `params.attribute`, which of its labels means the person has it and which
// means they do not, and where on the person to look (the head or the whole body).
// The kitchen rules' `lacking` condition runs it on each person box; a new check is a
// manifest and a config entry, not code. The masked-face model is the first one.
import { z } from 'zod';
import { nms, type Box } from '../boxes.ts';
import type { CropBox, ImageInput } from '../preprocess.ts';
import { imageSize } from '../preprocess.ts';
import type { ModelRegistry } from '../registry.ts';
import { Detector, type Detection } from './detector.ts';
import { headRegion } from './mask.ts';

export const attributeParamsSchema = z.strictObject({
  with: z.string().min(1).describe('the label that means the person has the attribute (masked_face, chef_hat)'),
  without: z.string().min(1).describe('the label that means they do not (face, bare_head)'),
  region: z.enum(['head', 'body']).default('head').describe('where on the person box the model looks'),
  threshold: z.number().min(0).max(1).default(0.5).describe('has it when p(with) / (p(with) + p(without)) ≥ this'),
});
export type AttributeParams = z.output<typeof attributeParamsSchema>;

/** What the model decided for one person box. */
export interface PersonAttributeResult {
  /** index of the person box */
  person: number;
  has: boolean;
  /** 0 without … 1 with */
  hasScore: number;
  /** how sure the model is it saw the part at all */
  score: number;
  box: Box;
}

export class AttributeChecker {
  readonly detector: Detector;
  readonly params: AttributeParams;

  /** Throws naming the model when its manifest declares no attribute or labels it lacks. */
  constructor(registry: ModelRegistry, readonly modelName: string) {
    this.detector = new Detector(registry, modelName);
    const m = this.detector.manifest;
    const r = attributeParamsSchema.safeParse(m.params.attribute);
    if (!r.success) {
      const i = r.error.issues[0]!;
      throw new Error(`model ${modelName}: params.attribute${i.path.length ? '.' + i.path.join('.') : ''}: ${m.params.attribute === undefined ? 'missing: a per-person check needs { with, without, region }' : i.message}`);
    }
    this.params = r.data;
    const labels = m.labels;
    for (const l of [r.data.with, r.data.without]) {
      if (Array.isArray(labels) && !labels.includes(l)) throw new Error(`model ${modelName}: params.attribute names the label "${l}", which the model does not have (labels: ${labels.join(', ')})`);
    }
  }

  /** One result per person box the model found the part in (a back turned: none); at most `maxPersons`, largest first. */
  async check(image: ImageInput, persons: readonly Box[], maxPersons = 8): Promise<PersonAttributeResult[]> {
    if (!persons.length) return [];
    const model = await this.detector.load();
    const labels = model.labels ?? [];
    const wi = labels.indexOf(this.params.with);
    const wo = labels.indexOf(this.params.without);
    const size = await imageSize(image);
    const boxes = persons
      .map((box, i) => ({ i, box }))
      .filter(({ box }) => box[2] - box[0] >= 8 && box[3] - box[1] >= 8)
      .sort((a, b) => (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]) - (a.box[2] - a.box[0]) * (a.box[3] - a.box[1]))
      .slice(0, maxPersons);
    const found: (PersonAttributeResult & { classIndex: number })[] = [];
    for (const { i, box } of boxes) {
      const crop = this.params.region === 'head' ? headRegion(box, size.width, size.height, this.aspect()) : bodyRegion(box, size.width, size.height);
      for (const d of await this.detector.detect(image, { crop })) {
        const hasScore = this.hasScore(d, wi, wo);
        if (hasScore === null) continue;
        found.push({ person: i, has: hasScore >= this.params.threshold, hasScore, score: d.score, box: d.box, classIndex: 0 });
      }
    }
    // a part seen from two overlapping person crops is one part
    const kept = nms(found, { iou: this.detector.params.nmsIou, classWise: false });
    const best = new Map<number, PersonAttributeResult>();
    for (const { classIndex: _, ...f } of kept) {
      const prev = best.get(f.person);
      if (!prev || f.score > prev.score) best.set(f.person, f);
    }
    return [...best.values()];
  }

  /** Class probabilities when the model gives them (UltraFace), else the label decides; null: neither label. */
  private hasScore(d: Detection, wi: number, wo: number): number | null {
    if (d.probs && wi >= 0 && wo >= 0) {
      const pw = d.probs[wi] ?? 0;
      const po = d.probs[wo] ?? 0;
      return pw + po > 0 ? pw / (pw + po) : 0;
    }
    if (d.label === this.params.with) return 1;
    if (d.label === this.params.without) return 0;
    return null;
  }

  private aspect(): number {
    const [, , h, w] = this.detector.manifest.input.shape;
    return typeof w === 'number' && typeof h === 'number' ? w / h : 4 / 3;
  }
}

/** The person box with a 5 % margin, clamped to the image. */
function bodyRegion(box: Box, width: number, height: number): CropBox {
  const mx = 0.05 * (box[2] - box[0]);
  const my = 0.05 * (box[3] - box[1]);
  const left = Math.max(0, Math.round(box[0] - mx));
  const top = Math.max(0, Math.round(box[1] - my));
  const right = Math.min(width, Math.round(box[2] + mx));
  const bottom = Math.min(height, Math.round(box[3] + my));
  return { left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) };
}
