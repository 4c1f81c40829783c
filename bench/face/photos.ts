// The face photos of ../shared/images (never copied into the project) and who is in them,
// for the face tests, the threshold derivation and the bench.
//
// Identities: person A (two photos), B, C, the five people of compreface_000_5.jpg, the
// smiling woman, the astronaut, and the woman of minivision_image_T1.jpg. F1 and F2 are
// spoofs (a print, a tablet screen): F2 shows the T1 woman again (they match at 0.58),
// F1 someone unknown — they are kept out of the impostor pairs.
import { image } from '../recognition/photos.ts';

export { image, requireShared, SHARED_IMAGES_DIR, SHARED_MODELS_DIR } from '../recognition/photos.ts';

export const FACE_MODELS = ['yunet_n_dynamic.onnx', 'MobileFaceNet.onnx', 'MiniFASNetV2_2.7_80x80.onnx', 'MiniFASNetV1SE_4.0_80x80.onnx'];

/** One face per photo (the largest central one), with its identity. */
export const SINGLE_FACES: { file: string; person: string }[] = [
  { file: 'compreface_001_A.jpg', person: 'A' },
  { file: 'compreface_002_A.jpg', person: 'A' },
  { file: 'compreface_007_B.jpg', person: 'B' },
  { file: 'compreface_009_C.jpg', person: 'C' },
  { file: 'pexels_cc0_smiling-woman.jpg', person: 'smiling-woman' },
  { file: 'skimage_astronaut.png', person: 'astronaut' },
  { file: 'minivision_image_T1.jpg', person: 'T1-woman' },
];

/** Five different people in one photo. */
export const GROUP_PHOTO = 'compreface_000_5.jpg';

export const SPOOFS = ['minivision_image_F1.jpg', 'minivision_image_F2.jpg'];
export const LIVE = ['minivision_image_T1.jpg'];

/** Photos with no human face. */
export const NO_FACE = ['skimage_coffee.png', 'skimage_chelsea.png', 'pexels_cc0_healthy-salad.jpg', 'darknet_dog.jpg'];

export const photo = image;
