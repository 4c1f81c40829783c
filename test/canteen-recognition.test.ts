// Dish recognition at a station with a fixed classifier named in the config
// (here MobileNetV2's ImageNet classes stand in for a site-trained model whose
// labels are dish ids), on a real photo from the test fixtures (test/fixtures).
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { StationRecognition } from '../gateway/canteen/recognition.ts';
import { createLogger } from '../gateway/log.ts';
import { decodeToRgb } from '../drivers/camera/file-source.ts';
import { Classifier, createModelRegistry } from '../models/index.ts';
import { SHARED_IMAGES_DIR, SHARED_MODELS_DIR } from '../bench/recognition/photos.ts';

const registry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR });
afterAll(() => registry.close());

it('takes the classifier\'s top labels as dish ids, and has nothing to enrol', async () => {
  const rgb = await decodeToRgb(path.join(SHARED_IMAGES_DIR, 'skimage_coffee.png'), 640, 360);
  const recognition = new StationRecognition(
    { kind: 'classifier', classifier: new Classifier(registry, 'mobilenetv2-12-int8') },
    { cameraOf: (s) => (s === 'checkout-1' ? 'cam' : undefined), latestFrame: () => ({ rgb, width: 640, height: 360, seq: 1 }) },
    createLogger('silent'),
  );
  const [top] = await recognition.recognise('checkout-1');
  expect(top!.dishId).toBe('espresso');
  expect(top!.score).toBeGreaterThan(0.9);
  expect(await recognition.recognise('no-camera-station')).toEqual([]);
  expect(recognition.enrolled()).toEqual([]);
  await expect(recognition.enrolFromStation('espresso', 'checkout-1', 3)).rejects.toThrow(/fixed classifier: there is nothing to enrol/);
});
