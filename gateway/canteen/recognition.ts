// Dish recognition at a checkout station: the station camera's latest frame,
// matched against the dishes enrolled from photos taken at the same station.
// The gallery is kept in the data directory and saved after every change.
import type { Classifier, DishGallery, RgbImage } from '../../models/index.ts';
import type { Logger } from '../log.ts';
import { CanteenError } from './errors.ts';
import type { DishRecognizer } from './session.ts';

export const ENROL_PHOTOS = { min: 3, max: 5 } as const;
const FRAME_WAIT_MS = 5000;

export interface StationCameras {
  /** the camera that looks at a station's scale, if any */
  cameraOf(stationId: string): string | undefined;
  /** the camera's latest frame and its sequence number */
  latestFrame(cameraId: string): (RgbImage & { seq: number }) | undefined;
}

/**
 * How frames become dishes: the few-shot gallery of photos taken at the station
 * (enrolment possible), or a site's fixed classifier whose labels are dish ids.
 */
export type DishMatcher =
  | { kind: 'gallery'; gallery: DishGallery; file: string }
  | { kind: 'classifier'; classifier: Classifier };

export class StationRecognition implements DishRecognizer {
  constructor(
    private readonly matcher: DishMatcher,
    private readonly cameras: StationCameras,
    private readonly logger: Logger,
  ) {}

  async recognise(stationId: string): Promise<{ dishId: string; score: number }[]> {
    const camera = this.cameras.cameraOf(stationId);
    const frame = camera && this.cameras.latestFrame(camera);
    if (!frame) return [];
    if (this.matcher.kind === 'gallery') return this.matcher.gallery.recognise(frame, { topK: 3 });
    return (await this.matcher.classifier.classify(frame, { topK: 3 })).map((c) => ({ dishId: c.label, score: c.score }));
  }

  private get gallery(): { gallery: DishGallery; file: string } {
    if (this.matcher.kind !== 'gallery') throw new CanteenError(409, 'this station recognises dishes with a fixed classifier: there is nothing to enrol');
    return this.matcher;
  }

  /** Takes `count` consecutive frames from the station camera and enrols them as the dish. */
  async enrolFromStation(dishId: string, stationId: string, count: number): Promise<{ photos: number }> {
    const { gallery, file } = this.gallery;
    if (!Number.isInteger(count) || count < ENROL_PHOTOS.min || count > ENROL_PHOTOS.max) {
      throw new CanteenError(400, `photos: got ${count}; expected ${ENROL_PHOTOS.min} to ${ENROL_PHOTOS.max}`);
    }
    const camera = this.cameras.cameraOf(stationId);
    if (!camera) throw new CanteenError(409, `station "${stationId}" has no camera configured`);
    const frames: RgbImage[] = [];
    let lastSeq = -1;
    const deadline = Date.now() + FRAME_WAIT_MS * count;
    while (frames.length < count) {
      const frame = this.cameras.latestFrame(camera);
      if (frame && frame.seq !== lastSeq) {
        frames.push(frame);
        lastSeq = frame.seq;
      } else if (Date.now() > deadline) {
        throw new CanteenError(409, `camera "${camera}" gave ${frames.length} of ${count} frames in time`);
      } else await new Promise((r) => setTimeout(r, 50));
    }
    await gallery.enrol(dishId, frames);
    await gallery.save(file);
    this.logger.info({ dish: dishId, station: stationId, photos: count }, 'dish enrolled for recognition');
    return { photos: count };
  }

  async forget(dishId: string): Promise<void> {
    const { gallery, file } = this.gallery;
    gallery.remove(dishId);
    await gallery.save(file);
  }

  enrolled(): { dishId: string; count: number }[] {
    return this.matcher.kind === 'gallery' ? this.matcher.gallery.dishes() : [];
  }
}
