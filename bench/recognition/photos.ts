// The real models and photos of the test fixtures (test/fixtures: fetched into the cache
// from ../shared or their sources, never committed to the project), and the
// views of them that the dish-recognition tests and benches enrol and query.
//
// There are no licensed photos of canteen dishes here, so "dishes" are the food photos
// we have — a salad bowl, tomatoes, a cup of coffee — plus a cat as a non-food
// distractor. Enrolment uses 3 views per photo (whole, mirrored, centre 80 %); the
// queries are DIFFERENT views: shifted and rescaled crops, a mirrored shifted crop, and
// the whole photo downscaled to a third and re-encoded as a low-quality JPEG.
import { existsSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { CropBox, ImageInput, RgbImage } from '../../models/preprocess.ts';
import { imageSize } from '../../models/preprocess.ts';
import type { DishImage } from '../../models/dish/embedder.ts';
import { FETCH_COMMAND, FIXTURE_IMAGES_DIR, FIXTURE_MODELS_DIR } from '../../test/fixtures/fixtures.ts';

/** CANTEEN_EDGE_MODELS_DIR, else the fixture cache's models (test/fixtures/fixtures.ts). */
export const SHARED_MODELS_DIR = path.resolve(process.env.CANTEEN_EDGE_MODELS_DIR || FIXTURE_MODELS_DIR);
/** CANTEEN_EDGE_IMAGES_DIR, else the fixture cache's photos. */
export const SHARED_IMAGES_DIR = path.resolve(process.env.CANTEEN_EDGE_IMAGES_DIR || FIXTURE_IMAGES_DIR);

export const image = (name: string) => path.join(SHARED_IMAGES_DIR, name);

/** Throws a clear error when the models or photos are not there (the fixtures were not fetched). */
export function requireShared(files: string[] = ['mobilenetv2-12-int8.onnx']): void {
  for (const f of files) {
    const p = path.join(SHARED_MODELS_DIR, f);
    if (!existsSync(p)) throw new Error(`${p} not found: these tests use the real models; fetch them with ${FETCH_COMMAND} (or set CANTEEN_EDGE_MODELS_DIR)`);
  }
  if (!existsSync(image('skimage_coffee.png'))) throw new Error(`${SHARED_IMAGES_DIR} has no photos: fetch them with ${FETCH_COMMAND} (or set CANTEEN_EDGE_IMAGES_DIR)`);
}

export const DISH_PHOTOS: Record<string, string> = {
  沙拉: 'pexels_cc0_healthy-salad.jpg',
  番茄: 'pexels_cc0_sharing-tomatoes.jpg',
  咖啡: 'skimage_coffee.png',
  猫: 'skimage_chelsea.png', // the non-food distractor
};

/** Photos of nothing on the menu, to set the threshold. darknet_dog.jpg is the one the tests use. */
export const UNRELATED_PHOTOS = [
  'darknet_dog.jpg',
  'darknet_person.jpg',
  'skimage_astronaut.png',
  'pexels_cc0_smiling-woman.jpg',
  'compreface_007_B.jpg',
  'minivision_image_T1.jpg',
];

export function fracCrop(size: { width: number; height: number }, left: number, top: number, width: number, height: number): CropBox {
  return {
    left: Math.round(size.width * left),
    top: Math.round(size.height * top),
    width: Math.round(size.width * width),
    height: Math.round(size.height * height),
  };
}

/** The photo mirrored left–right, as packed RGB (the camera-frame input path). */
export async function mirrored(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file).autoOrient().flop().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgb: data, width: info.width, height: info.height };
}

/** The photo at a third of its size, re-encoded as JPEG quality 60 (the encoded-buffer input path). */
export async function downscaledJpeg(file: string): Promise<Buffer> {
  const { width } = await imageSize(file);
  return sharp(file).autoOrient().resize(Math.round(width / 3)).jpeg({ quality: 60 }).toBuffer();
}

export interface View {
  name: string;
  image: DishImage;
}

/** 3 enrolment views of a photo: whole, mirrored, centre 80 %. */
export async function enrolViews(file: string): Promise<View[]> {
  const size = await imageSize(file);
  return [
    { name: 'whole', image: file },
    { name: 'mirrored', image: await mirrored(file) },
    { name: 'centre-80%', image: { image: file, crop: fracCrop(size, 0.1, 0.1, 0.8, 0.8) } },
  ];
}

/** Query views, none of them an enrolment view. */
export async function queryViews(file: string): Promise<View[]> {
  const size = await imageSize(file);
  const m = await mirrored(file);
  return [
    { name: 'shifted 72×78% @(12,8)', image: { image: file, crop: fracCrop(size, 0.12, 0.08, 0.72, 0.78) } },
    { name: 'zoomed 60% @(5,15)', image: { image: file, crop: fracCrop(size, 0.05, 0.15, 0.6, 0.6) } },
    { name: 'shifted 70×75% @(25,20)', image: { image: file, crop: fracCrop(size, 0.25, 0.2, 0.7, 0.75) } },
    { name: 'mirrored, shifted 75% @(0,10)', image: { image: m, crop: fracCrop(size, 0, 0.1, 0.75, 0.75) } },
    { name: 'downscaled ⅓, JPEG q60', image: await downscaledJpeg(file) },
  ];
}

/** The view the tests recognise: a shifted and rescaled crop. */
export async function testQuery(file: string): Promise<{ image: ImageInput; crop: CropBox }> {
  const size = await imageSize(file);
  return { image: file, crop: fracCrop(size, 0.12, 0.08, 0.72, 0.78) };
}
