// The config of one camera, as a zod schema (`devices.cameras[]` in the gateway's config
// file), and the factory that turns it into a frame source. Every key is described
// (docs/config.md is generated from the descriptions); objects are strict.
import path from 'node:path';
import { z } from 'zod';
import { FfmpegFrameSource, parseInput } from './ffmpeg-source.ts';
import { FileFrameSource } from './file-source.ts';
import type { FrameHandlers, FrameSource } from './health.ts';
import { MotionGate } from './motion.ts';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_", at most 63 characters');

const ms = (min: number, max: number) => z.number().int().min(min).max(max);

export const filesSourceSchema = z.strictObject({
  type: z.literal('files').describe('image files from a directory, in name order, looped (demos and tests)'),
  path: z.string().min(1).describe('directory of JPEG/PNG/WebP/SVG images (relative to the config file)'),
});

export const ffmpegSourceSchema = z.strictObject({
  type: z.literal('ffmpeg').describe('a stream decoded by an ffmpeg child process: RTSP camera, V4L2 (USB) camera, video file'),
  url: z
    .string()
    .min(1)
    .refine((u) => {
      try {
        parseInput(u);
        return true;
      } catch {
        return false;
      }
    }, 'rtsp://…, v4l2:///dev/videoN, a video file path, or an ffmpeg URL')
    .describe('rtsp://user:pass@host:554/path, v4l2:///dev/video0, a video file (relative to the config file), or another ffmpeg URL (http://, tcp://, srt://…)'),
  loop: z.boolean().default(false).describe('files: start again at the end (-stream_loop -1); otherwise the end of the file counts as a drop and is restarted with backoff'),
  realtime: z.boolean().default(true).describe('files: read at the file\'s own frame rate (-re), as a camera delivers'),
  rtsp_transport: z.enum(['tcp', 'udp']).default('tcp').describe('rtsp: RTP over the RTSP TCP connection (default) or over UDP'),
  input_format: z.string().regex(/^[a-z0-9_]+$/).optional().describe('v4l2: pixel format asked of the camera (-input_format), e.g. mjpeg or yuyv422'),
  input_size: z.string().regex(/^\d+x\d+$/, 'WIDTHxHEIGHT, e.g. 1280x720').optional().describe('v4l2: capture size asked of the camera (-video_size), e.g. 1280x720'),
  fit: z.enum(['contain', 'stretch']).default('contain').describe('contain: keep the aspect ratio, black bars; stretch: scale to width × height exactly'),
  stall_timeout_ms: ms(500, 600_000).default(10_000).describe('no frame for this long → ffmpeg is killed and started again'),
  backoff: z
    .strictObject({
      min_ms: ms(10, 600_000).default(1000).describe('first restart delay'),
      max_ms: ms(10, 3_600_000).default(30_000).describe('longest restart delay (the delay doubles per failed attempt)'),
      stable_ms: ms(0, 3_600_000).default(10_000).describe('online this long → the next drop starts again from min_ms'),
    })
    .prefault({})
    .describe('restarts after a drop: exponential backoff'),
  ffmpeg: z.string().min(1).default('ffmpeg').describe('the ffmpeg executable (PATH is searched)'),
});

export const cameraSourceSchema = z.discriminatedUnion('type', [filesSourceSchema, ffmpegSourceSchema]).describe('where frames come from');

export const motionSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('run the detectors only on frames where something changed'),
    pixel_threshold: z.number().int().min(1).max(255).default(12).describe('a pixel of the 64×36 grey thumbnail changed when it differs by more than this (0–255)'),
    min_changed_ratio: z.number().min(0).max(1).default(0.01).describe('share of changed thumbnail pixels that counts as motion'),
    hold_ms: ms(0, 600_000).default(2000).describe('keep running the detectors this long after the last motion'),
    max_idle_ms: ms(0, 86_400_000).default(30_000).describe('run them at least this often on a still scene (0: never)'),
  })
  .prefault({})
  .describe('motion gating: skip inference on an idle scene');

export const cameraConfigSchema = z.strictObject({
  id: id.describe('unique camera id'),
  source: cameraSourceSchema,
  fps: z.number().positive().max(30).default(1).describe('frames per second'),
  width: z.number().int().min(16).max(4096).default(640).describe('frame width in pixels (frames are resized to fit)'),
  height: z.number().int().min(16).max(4096).default(360).describe('frame height in pixels'),
  required: z.boolean().default(false).describe('when true, /readyz answers 503 while this camera is not online'),
  motion: motionSchema,
});

export type CameraConfig = z.output<typeof cameraConfigSchema>;
export type CameraConfigInput = z.input<typeof cameraConfigSchema>;

/**
 * Relative paths of a camera config resolved against `dir` (the config file's directory):
 * a files source's directory, an ffmpeg source's file path. URLs are left as they are.
 */
export function resolveCameraPaths(cfg: CameraConfig, dir: string): CameraConfig {
  const s = cfg.source;
  if (s.type === 'files') return { ...cfg, source: { ...s, path: path.resolve(dir, s.path) } };
  const input = parseInput(s.url);
  if (input.kind === 'file' && !/^file:\/\//i.test(s.url)) return { ...cfg, source: { ...s, url: path.resolve(dir, s.url) } };
  return cfg;
}

/** The frame source a camera config describes (not started). */
export function createFrameSource(cfg: CameraConfig, handlers: FrameHandlers): FrameSource {
  const s = cfg.source;
  if (s.type === 'files') {
    return new FileFrameSource({ dir: s.path, fps: cfg.fps, width: cfg.width, height: cfg.height, ...handlers });
  }
  return new FfmpegFrameSource({
    url: s.url,
    fps: cfg.fps,
    width: cfg.width,
    height: cfg.height,
    loop: s.loop,
    realtime: s.realtime,
    rtspTransport: s.rtsp_transport,
    inputFormat: s.input_format,
    inputSize: s.input_size,
    fit: s.fit,
    ffmpegPath: s.ffmpeg,
    backoff: { initialMs: s.backoff.min_ms, maxMs: s.backoff.max_ms },
    stableMs: s.backoff.stable_ms,
    stallTimeoutMs: s.stall_timeout_ms,
    ...handlers,
  });
}

/** The motion gate a camera config describes, or undefined when gating is off. */
export function createMotionGate(cfg: CameraConfig): MotionGate | undefined {
  const m = cfg.motion;
  if (!m.enabled) return undefined;
  return new MotionGate({ pixelThreshold: m.pixel_threshold, minChangedRatio: m.min_changed_ratio, holdMs: m.hold_ms, maxIdleMs: m.max_idle_ms });
}
