// The classifier on the real MobileNetV2 int8 and a real photo.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Classifier, softmax, topK } from '../models/classifier/classify.ts';
import { createModelRegistry, type ModelRegistry } from '../models/registry.ts';
import { image, requireShared, SHARED_MODELS_DIR } from '../bench/recognition/photos.ts';

let registry: ModelRegistry;
beforeAll(async () => {
  requireShared();
  registry = await createModelRegistry({ modelsDir: SHARED_MODELS_DIR });
});
afterAll(() => registry?.close());

describe('classifier post-processing', () => {
  it('softmax is stable and sums to 1', () => {
    const p = softmax([1000, 1000, 999]);
    expect(p[0]).toBeCloseTo(p[1]!, 7);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('top-k: highest first, with labels, ties by index', () => {
    expect(topK([0.1, 0.5, 0.2, 0.5, 0.05], 3, ['a', 'b', 'c', 'd', 'e'])).toEqual([
      { index: 1, label: 'b', score: 0.5 },
      { index: 3, label: 'd', score: 0.5 },
      { index: 2, label: 'c', score: 0.2 },
    ]);
    expect(topK([3, 1], 5).map((x) => x.label)).toEqual(['#0', '#1']);
  });
});

describe('MobileNetV2 int8', () => {
  it('skimage_coffee.png → espresso, > 0.9', async () => {
    const c = new Classifier(registry, 'mobilenetv2-12-int8');
    const [top] = await c.classify(image('skimage_coffee.png'), { topK: 3 });
    expect(top!.label).toBe('espresso');
    expect(top!.score).toBeGreaterThan(0.9);
  });

  it('a cat and a dog land in their ImageNet families', async () => {
    const c = new Classifier(registry, 'mobilenetv2-12-int8');
    expect((await c.classify(image('skimage_chelsea.png')))[0]!.label).toMatch(/cat|tabby/);
    expect((await c.classify(image('darknet_dog.jpg')))[0]!.label).toMatch(/malamute|husky|Eskimo dog/);
  });

  it('refuses a model of another family', () => {
    expect(() => new Classifier(registry, 'yolox_nano')).toThrow('model yolox_nano is a detector, not a classifier');
  });
});
