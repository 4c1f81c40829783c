// On-device models: what the gateway imports. See models/README.md.
export { createModelRegistry, DEFAULT_SESSION_OPTIONS, ModelError, ModelRegistry } from './registry.ts';
export type { LoadedModel, ModelState, ModelStatus, RegistryOptions } from './registry.ts';
export { FAMILIES, ManifestError, manifestSchema, parseManifest, SHIPPED_MANIFESTS_DIR } from './manifest.ts';
export type { ModelFamily, ModelManifest } from './manifest.ts';
export { imageSize, preprocess, toTensor } from './preprocess.ts';
export type { CropBox, ImageInput, Preprocessed, PreprocessOptions, RgbImage } from './preprocess.ts';
export { Classifier, softmax, topK } from './classifier/classify.ts';
export type { ClassScore, ClassifyOptions } from './classifier/classify.ts';
export { createDishGallery, decide, DEFAULT_THRESHOLD, DishGallery } from './dish/gallery.ts';
export type { Decision, DishGalleryOptions, DishMatch, RecogniseOptions } from './dish/gallery.ts';
export { DEFAULT_EMBEDDING, DishEmbedder, EMBEDDING_KINDS, toEmbedding } from './dish/embedder.ts';
export type { DishImage, EmbeddingKind, EmbeddingSpace } from './dish/embedder.ts';
export type { RuntimeKind, SessionOptions, TensorData } from './runtime/runtime.ts';
export * from './detector/index.ts';
