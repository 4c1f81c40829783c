// Several configured detectors on one frame: one list of detections, each naming its
// model, so a rule matches a label whichever model produced it.
import type { ImageInput } from '../preprocess.ts';
import type { Detection, Detector, DetectOptions } from './detector.ts';

/**
 * Runs the detectors one after another (they share one inference worker, so running them
 * concurrently would only queue) and concatenates their detections, each model's best first.
 */
export async function detectAll(detectors: readonly Detector[], image: ImageInput, opts: DetectOptions = {}): Promise<Detection[]> {
  const out: Detection[] = [];
  for (const d of detectors) out.push(...(await d.detect(image, opts)));
  return out;
}
