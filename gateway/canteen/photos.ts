// Dish photos under <data dir>/dish-photos: any common image in, a bounded JPEG out.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { CanteenError } from './errors.ts';

export const PHOTO_DIR = 'dish-photos';
export const PHOTO_NAME = /^[a-z0-9_-]+-[0-9a-f]{10}\.jpg$/;

export class Photos {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, PHOTO_DIR);
  }

  /** Stores the image as `<dishId>-<hash>.jpg`, at most 640 px a side; returns the file name. */
  async save(dishId: string, image: Buffer, maxPixels?: number): Promise<string> {
    let jpeg: Buffer;
    try {
      jpeg = await sharp(image, maxPixels ? { limitInputPixels: maxPixels } : {}).rotate().resize(640, 640, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 82 }).toBuffer();
    } catch {
      throw new CanteenError(415, 'not an image sharp can read (JPEG, PNG, WebP, …)');
    }
    const name = `${dishId}-${createHash('sha256').update(jpeg).digest('hex').slice(0, 10)}.jpg`;
    await mkdir(this.dir, { recursive: true });
    // written aside and renamed: a full disk leaves no truncated photo, not even over the same photo
    const file = path.join(this.dir, name);
    const partial = `${file}.${process.pid}.partial`;
    try {
      await writeFile(partial, jpeg);
      await rename(partial, file);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    return name;
  }

  async read(name: string): Promise<Buffer | undefined> {
    if (!PHOTO_NAME.test(name)) return undefined;
    return readFile(path.join(this.dir, name)).catch(() => undefined);
  }

  async remove(name: string | null): Promise<void> {
    if (name && PHOTO_NAME.test(name)) await rm(path.join(this.dir, name), { force: true });
  }
}
