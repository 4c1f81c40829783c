// The latest value of everything live, for pages that connect mid-way: the last
// reading of each meter, weight of each scale and frame of each camera.
import sharp from 'sharp';
import type { EventBus } from './bus/event-bus.ts';
import type { CameraFrame, CameraFrameMsg, MeterReadingMsg, ScaleWeightMsg } from './wire/devices.ts';

export class LiveState {
  readonly readings = new Map<string, MeterReadingMsg>();
  readonly weights = new Map<string, ScaleWeightMsg>();
  private readonly frames = new Map<string, CameraFrame>();
  private readonly jpegs = new Map<string, { seq: number; jpeg: Promise<Buffer> }>();

  constructor(bus: EventBus) {
    bus.on('meter:reading', (m) => this.readings.set(m.deviceId, m));
    bus.on('scale:weight', (m) => this.weights.set(m.deviceId, m));
    bus.on('camera:frame', (f) => this.frames.set(f.deviceId, f));
  }

  /** The camera's latest frame as packed RGB, for models. */
  latestFrame(cameraId: string): CameraFrame | undefined {
    return this.frames.get(cameraId);
  }

  frameMessages(): CameraFrameMsg[] {
    return [...this.frames.values()].map(frameMessage);
  }

  /** The camera's latest frame as JPEG, encoded once per frame and only when asked for. */
  latestJpeg(cameraId: string): Promise<Buffer> | undefined {
    const frame = this.frames.get(cameraId);
    if (!frame) return undefined;
    const cached = this.jpegs.get(cameraId);
    if (cached?.seq === frame.seq) return cached.jpeg;
    const jpeg = sharp(frame.rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
    this.jpegs.set(cameraId, { seq: frame.seq, jpeg });
    return jpeg;
  }
}

export function frameMessage({ deviceId, at, seq, width, height }: CameraFrame): CameraFrameMsg {
  return { deviceId, at, seq, width, height, url: `/api/cameras/${encodeURIComponent(deviceId)}/latest.jpg?seq=${seq}` };
}
