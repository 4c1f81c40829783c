// Decoding once: every face step (detection, alignment, blur, liveness crops) works on
// the same packed-RGB pixels of the EXIF-rotated image, so coordinates agree everywhere
// and a JPEG is decoded one time per frame, not once per model.
import sharp from 'sharp';
import { isRgbImage, type ImageInput, type RgbImage } from '../preprocess.ts';

/** Packed RGB of an image, EXIF orientation applied (camera frames pass through). */
export async function decodeImage(image: ImageInput): Promise<RgbImage> {
  if (isRgbImage(image)) {
    const { rgb, width, height } = image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new Error(`packed RGB image: bad size ${width}×${height}`);
    if (rgb.length !== width * height * 3) throw new Error(`packed RGB image: ${rgb.length} bytes for ${width}×${height} (expected ${width * height * 3})`);
    return image;
  }
  try {
    const { data, info } = await sharp(image, { failOn: 'error', limitInputPixels: 100_000_000 })
      .autoOrient()
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`${info.channels} channels after decoding`);
    return { rgb: data, width: info.width, height: info.height };
  } catch (err) {
    const what = typeof image === 'string' ? image : `(${image.length} bytes)`;
    throw Object.assign(new Error(`cannot read image ${what}: ${(err as Error).message}`), { code: (err as NodeJS.ErrnoException).code });
  }
}
