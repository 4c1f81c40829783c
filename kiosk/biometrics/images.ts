/** Uploads can be large photos or PNGs: re-encode as JPEG no wider than this, so five fit the 2 MB enrolment body. */
const MAX_WIDTH = 1024;

/** Any image file → a JPEG blob (EXIF orientation applied by the browser's decoder). */
export async function toJpeg(file: Blob, maxWidth = MAX_WIDTH): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, maxWidth / bitmap.width);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d')!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
  if (!blob) throw new Error('could not encode the image as JPEG');
  return blob;
}
