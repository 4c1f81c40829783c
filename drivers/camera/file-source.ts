// Frames from image files: every file of a directory in name order, looped, at a
// set rate, decoded and fitted to width × height as packed RGB. For demos and
// tests; live cameras come through ffmpeg with the same frame shape.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Frame } from './frame.ts';
import type { FrameSource, SourceHealth, SourceState } from './health.ts';

export type { Frame } from './frame.ts';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.svg'];

export interface FileSourceOptions {
  dir: string;
  fps: number;
  width: number;
  height: number;
  onFrame: (frame: Frame) => void;
  onError: (err: Error) => void;
  /** state changes (online after a decoded frame, offline after a failure) */
  onState?: (health: SourceHealth) => void;
}

export async function decodeToRgb(file: string, width: number, height: number): Promise<Buffer> {
  return sharp(file)
    .rotate() // honour EXIF orientation
    .resize(width, height, { fit: 'contain', background: { r: 0, g: 0, b: 0 } })
    .removeAlpha()
    .raw()
    .toBuffer();
}

export class FileFrameSource implements FrameSource {
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private index = 0;
  private busy = false;
  private stopped = true;
  private state: SourceState = 'stopped';
  private since = Date.now();
  private lastFrameAt: number | null = null;
  private lastError: string | null = null;

  constructor(private readonly opts: FileSourceOptions) {}

  /** Same shape as the ffmpeg source's; a directory is retried every tick, so no restarts or backoff. */
  health(): SourceHealth {
    return { state: this.state, since: this.since, lastFrameAt: this.lastFrameAt, frames: this.seq, restarts: 0, lastError: this.lastError, nextRetryAt: null, backoffMs: 0 };
  }

  private setState(s: SourceState): void {
    if (s === this.state) return;
    this.state = s;
    this.since = Date.now();
    this.opts.onState?.(this.health());
  }

  start(): void {
    this.stopped = false;
    this.setState('starting');
    const period = 1000 / this.opts.fps;
    void this.next();
    this.timer = setInterval(() => void this.next(), period);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    this.setState('stopped');
  }

  private async next(): Promise<void> {
    if (this.busy || this.stopped) return; // a slow decode skips a tick rather than queueing
    this.busy = true;
    try {
      const files = (await readdir(this.opts.dir)).filter((f) => IMAGE_EXTENSIONS.includes(path.extname(f).toLowerCase())).sort();
      if (!files.length) throw new Error(`no images (${IMAGE_EXTENSIONS.join(' ')}) in ${this.opts.dir}`);
      const file = path.join(this.opts.dir, files[this.index++ % files.length]!);
      const rgb = await decodeToRgb(file, this.opts.width, this.opts.height);
      if (!this.stopped) {
        this.seq += 1;
        this.lastFrameAt = Date.now();
        this.setState('online');
        this.opts.onFrame({ seq: this.seq, at: this.lastFrameAt, width: this.opts.width, height: this.opts.height, rgb, source: file });
      }
    } catch (err) {
      if (!this.stopped) {
        this.lastError = (err as Error).message;
        this.setState('offline');
        this.opts.onError(err as Error);
      }
    } finally {
      this.busy = false;
    }
  }
}
