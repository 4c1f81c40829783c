// The mask check: UltraFace RFB-640 trained on faces and masked faces (3 classes:
// background, face, masked_face). On the whole image, or — given person boxes from an
// object detector — on the head region of each person, which makes small faces in a
// wide kitchen view big enough for the model.
import type { CropBox, ImageInput } from '../preprocess.ts';
import { imageSize } from '../preprocess.ts';
import type { ModelRegistry } from '../registry.ts';
import { nms, type Box } from '../boxes.ts';
import { Detector, type Detection } from './detector.ts';

export const MASK_MODEL = 'ultraface-RFB-640-masked_face-v2';

export interface MaskFace {
  /** [x1, y1, x2, y2], pixels of the original image */
  box: Box;
  /** how sure the model is there is a face: 1 − p(background) */
  score: number;
  /** the masked_face class outweighs the face class */
  masked: boolean;
  /** p(masked_face) / (p(face) + p(masked_face)): 0 bare, 1 masked */
  maskedScore: number;
  model: string;
  /** index of the person box it was found in (when person boxes were given) */
  person?: number;
}

export interface MaskCheckOptions {
  /** face presence threshold, default the model's (0.7) */
  minScore?: number;
  /** at most this many person boxes are examined, largest first (default 8) */
  maxPersons?: number;
  /** masked when maskedScore ≥ this (default 0.5) */
  maskedThreshold?: number;
}

/** Anything with a box, or a bare box: detector output can be passed as it is. */
export type PersonBox = Box | { box: Box };

export class MaskChecker {
  readonly detector: Detector;

  constructor(
    registry: ModelRegistry,
    readonly modelName: string = MASK_MODEL,
  ) {
    this.detector = new Detector(registry, modelName);
    const labels = this.detector.manifest.labels;
    if (Array.isArray(labels) && !labels.includes('masked_face')) {
      throw new Error(`model ${modelName}: a mask check needs a "masked_face" label (labels: ${labels.join(', ')})`);
    }
  }

  /**
   * Faces with `masked`. Without person boxes the whole image is looked at; with them,
   * the head region of each person (an empty list → no faces, no inference).
   */
  async checkMasks(image: ImageInput, personBoxes?: readonly PersonBox[], opts: MaskCheckOptions = {}): Promise<MaskFace[]> {
    const model = await this.detector.load();
    const labels = model.labels ?? [];
    const maskedIdx = labels.indexOf('masked_face');
    const faceIdx = labels.indexOf('face');
    if (maskedIdx < 0 || faceIdx < 0) throw new Error(`model ${this.modelName}: labels must include "face" and "masked_face"`);
    const threshold = opts.maskedThreshold ?? 0.5;
    const toFace = (d: Detection, person?: number): MaskFace => {
      const p = d.probs ?? [];
      const pf = p[faceIdx] ?? 0;
      const pm = p[maskedIdx] ?? 0;
      const maskedScore = pf + pm > 0 ? pm / (pf + pm) : 0;
      return { box: d.box, score: d.score, masked: maskedScore >= threshold, maskedScore, model: this.modelName, ...(person !== undefined ? { person } : {}) };
    };

    if (!personBoxes) {
      return (await this.detector.detect(image, { minScore: opts.minScore })).map((d) => toFace(d));
    }
    const size = await imageSize(image);
    const boxes = personBoxes
      .map((p, i) => ({ i, box: Array.isArray(p) ? (p as Box) : (p as { box: Box }).box }))
      .filter(({ box }) => box[2] - box[0] >= 8 && box[3] - box[1] >= 8)
      .sort((a, b) => (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]) - (a.box[2] - a.box[0]) * (a.box[3] - a.box[1]))
      .slice(0, opts.maxPersons ?? 8);
    const faces: (MaskFace & { classIndex: number })[] = [];
    for (const { i, box } of boxes) {
      const crop = headRegion(box, size.width, size.height, this.aspect());
      for (const d of await this.detector.detect(image, { crop, minScore: opts.minScore })) faces.push({ ...toFace(d, i), classIndex: 0 });
    }
    // a face seen from two overlapping person crops is one face
    return nms(faces, { iou: this.detector.params.nmsIou, classWise: false }).map(({ classIndex: _, ...f }) => f);
  }

  /** width / height of the model input (640×480 → 4/3) */
  private aspect(): number {
    const [, , h, w] = this.detector.manifest.input.shape;
    return typeof w === 'number' && typeof h === 'number' ? w / h : 4 / 3;
  }
}

/**
 * The part of a person box where the head is, widened to the model's aspect (the model
 * stretches its input): the top of the box, as tall as half the person or its
 * width, whichever is more; 10 % margin; clamped to the image.
 */
export function headRegion(box: Box, imageWidth: number, imageHeight: number, aspect = 4 / 3): CropBox {
  const [x1, y1, x2, y2] = box;
  const w = x2 - x1;
  const h = y2 - y1;
  let rh = Math.min(h, Math.max(0.5 * h, w));
  let rw = w;
  if (rw / rh < aspect) rw = rh * aspect;
  else rh = rw / aspect;
  rw *= 1.1;
  rh *= 1.1;
  const cx = (x1 + x2) / 2;
  let left = cx - rw / 2;
  let top = y1 - 0.05 * rh;
  // shift inside the image before clamping, so the region keeps its size where it can
  left = Math.max(0, Math.min(left, imageWidth - rw));
  top = Math.max(0, Math.min(top, imageHeight - rh));
  const right = Math.min(imageWidth, left + rw);
  const bottom = Math.min(imageHeight, top + rh);
  return { left: Math.round(left), top: Math.round(top), width: Math.max(1, Math.round(right - left)), height: Math.max(1, Math.round(bottom - top)) };
}
