// Face payment on the edge box: detection, alignment, quality, embedding, liveness, 1:N
// gallery and thresholds. See models/face/README.md.
export { alignFace, ALIGNED_SIZE, applyAffine, ARCFACE_TEMPLATE, invertAffine, residual, umeyama, warpAffine } from './align.ts';
export type { Affine, AlignedFace } from './align.ts';
export { calibrateMatch } from './calibrate.ts';
export type { MatchCalibration } from './calibrate.ts';
export { decodeUltraface, decodeYunet, DETECTOR_DEFAULTS, FaceDetector, iou } from './detect.ts';
export { nms } from '../boxes.ts';
export type { Box, Detection, DetectorKind, FaceDetectorOptions, Point } from './detect.ts';
export { cosine, DEFAULT_FACE_EMBEDDER, FaceEmbedder } from './embed.ts';
export { DEFAULT_MATCH_THRESHOLD, DEFAULT_MIN_MARGIN, FaceGallery } from './gallery.ts';
export type { FaceCandidate, FaceGalleryOptions, FaceMatch, NoMatchReason } from './gallery.ts';
export { decodeImage } from './image.ts';
export { calibrateLiveness, DEFAULT_LIVENESS_THRESHOLD, LIVENESS_MODELS, livenessCrop, LivenessModel, LivenessTracker } from './liveness.ts';
export type { LivenessCalibration, LivenessResult, LivenessTrackerOptions, LivenessVerdict } from './liveness.ts';
export { BOX_LANDMARKS, createFacePipeline, FacePipeline, priority } from './pipeline.ts';
export type { Face, FaceAnalysis, FacePipelineOptions, FrameDecision, FrameDecisionState } from './pipeline.ts';
export { assessQuality, DEFAULT_QUALITY, faceBlur, laplacianVariance, poseFromLandmarks } from './quality.ts';
export type { Pose, Quality, QualityCheck, QualityThresholds } from './quality.ts';
export { farAt, frrAt, gaussianThresholdForFar, normalQuantile, perComparisonFar, scoreSummary, thresholdForFar } from './threshold.ts';
export type { ScoreSummary } from './threshold.ts';
