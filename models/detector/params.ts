// The `params` of a detector manifest, validated. Unknown keys are kept (a manifest may
// carry notes such as `decode`), known ones must be right.
import { z } from 'zod';
import type { ModelManifest } from '../manifest.ts';
import { LAYOUTS, type Layout } from './decode.ts';

export const DETECTOR_LAYOUTS = [...LAYOUTS, 'ultraface'] as const;
export type DetectorLayout = (typeof DETECTOR_LAYOUTS)[number];

export const DEFAULT_MIN_SCORE = 0.3;
export const DEFAULT_NMS_IOU = 0.45;
export const DEFAULT_MAX_DETECTIONS = 100;
/** UltraFace: its demo's threshold and NMS IoU. */
export const ULTRAFACE_MIN_SCORE = 0.7;
export const ULTRAFACE_NMS_IOU = 0.3;

export const detectorParamsSchema = z.looseObject({
  layout: z.enum(DETECTOR_LAYOUTS).optional().describe('output layout; default yolox when `strides` is given, ultraface for a face-detector with outputs scores + boxes'),
  strides: z.array(z.number().int().positive()).min(1).optional().describe('yolox: strides of the output grids, default [8, 16, 32]'),
  nms_iou: z.number().min(0).max(1).optional().describe('NMS IoU'),
  nms: z.enum(['class-wise', 'class-agnostic']).optional().describe('class-wise (default): boxes of different classes never suppress each other'),
  min_score: z.number().min(0).max(1).optional().describe('default score threshold'),
  max_detections: z.number().int().positive().optional().describe('at most this many detections per image'),
});

export interface DetectorParams {
  layout: DetectorLayout;
  strides: number[];
  nmsIou: number;
  classWise: boolean;
  minScore: number;
  maxDetections: number;
}

/** The decoding parameters of a manifest; throws naming the manifest and the key. */
export function detectorParams(m: ModelManifest): DetectorParams {
  const r = detectorParamsSchema.safeParse(m.params);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`model ${m.name}: params.${i.path.join('.')}: ${i.message}`);
  }
  const p = r.data;
  if (m.family !== 'detector' && m.family !== 'face-detector') throw new Error(`model ${m.name} is a ${m.family}, not a detector`);
  let layout = p.layout;
  if (!layout) {
    const names = m.outputs.map((o) => o.name);
    if (m.family === 'face-detector') {
      if (!(names.includes('scores') && names.includes('boxes'))) {
        throw new Error(`model ${m.name}: this face-detector's outputs (${names.join(', ')}) are not UltraFace's scores + boxes; the detector runtime does not decode it`);
      }
      layout = 'ultraface';
    } else if (p.strides) layout = 'yolox';
    else throw new Error(`model ${m.name}: params.layout is required: one of ${DETECTOR_LAYOUTS.join(', ')}`);
  }
  if (m.family !== 'detector' && layout !== 'ultraface') {
    throw new Error(`model ${m.name} is a ${m.family}: a YOLO layout needs family "detector"`);
  }
  const ultra = layout === 'ultraface';
  return {
    layout,
    strides: p.strides ?? [8, 16, 32],
    nmsIou: p.nms_iou ?? (ultra ? ULTRAFACE_NMS_IOU : DEFAULT_NMS_IOU),
    classWise: ultra ? false : p.nms !== 'class-agnostic',
    minScore: p.min_score ?? (ultra ? ULTRAFACE_MIN_SCORE : DEFAULT_MIN_SCORE),
    maxDetections: p.max_detections ?? DEFAULT_MAX_DETECTIONS,
  };
}

export function isYoloLayout(l: DetectorLayout): l is Layout {
  return l !== 'ultraface';
}
