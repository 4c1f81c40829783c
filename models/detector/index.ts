// Object detection and the mask check. See models/detector/README.md.
export { area, decode, decodeYolov5, decodeYolov8, decodeYolox, gridsFor, iou, LAYOUTS, nms } from './decode.ts';
export type { Box, Candidate, DecodeOptions, Layout, NmsOptions, OutputTensor } from './decode.ts';
export { Detector } from './detector.ts';
export type { DetectOptions, Detection, DetectorOptions, DetectTimings } from './detector.ts';
export { DEFAULT_MIN_SCORE, DEFAULT_NMS_IOU, DETECTOR_LAYOUTS, detectorParams, detectorParamsSchema } from './params.ts';
export type { DetectorLayout, DetectorParams } from './params.ts';
export { headRegion, MASK_MODEL, MaskChecker } from './mask.ts';
export type { MaskCheckOptions, MaskFace, PersonBox } from './mask.ts';
export { detectAll } from './multi.ts';
