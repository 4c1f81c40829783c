// An image's size from its header, before anything decodes it: a 97 KB PNG can say
// 10000 × 10000 and take 300 MB of RGB to decode (issue 11, hole 7). Every route that
// takes an image from outside checks this first and refuses a too-large one unread.
import sharp from 'sharp';

export interface ImageHeader {
  width: number;
  height: number;
  pixels: number;
  format: string;
}

/** Width × height as the image's header states it (sharp reads the header only); null when it is not an image sharp knows. */
export async function readImageHeader(image: Buffer): Promise<ImageHeader | null> {
  try {
    const m = await sharp(image).metadata();
    if (!m.width || !m.height) return null;
    return { width: m.width, height: m.height, pixels: m.width * m.height, format: m.format ?? 'unknown' };
  } catch {
    return null;
  }
}

/** Why an image of this header is refused (null: it may be decoded). */
export function tooManyPixels(h: ImageHeader, maxPixels: number, what: string): string | null {
  if (h.pixels <= maxPixels) return null;
  return `${what}: ${h.width} × ${h.height} px (${(h.pixels / 1e6).toFixed(1)} Mpx); expected at most ${(maxPixels / 1e6).toFixed(1)} Mpx — send a smaller image`;
}
