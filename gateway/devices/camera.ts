// Runs one camera's frame source and publishes each frame.
import { FileFrameSource } from '../../drivers/camera/file-source.ts';
import type { EventBus } from '../bus/event-bus.ts';
import type { CameraConfig } from '../config/schema.ts';
import type { Device } from './device.ts';
import type { DeviceTracker } from './tracker.ts';

export class CameraDevice implements Device {
  readonly id: string;
  private readonly source: FileFrameSource;

  constructor(cfg: CameraConfig, bus: EventBus, tracker: DeviceTracker) {
    this.id = cfg.id;
    tracker.register(cfg.id, 'camera', cfg.required);
    this.source = new FileFrameSource({
      dir: cfg.source.path,
      fps: cfg.fps,
      width: cfg.width,
      height: cfg.height,
      onFrame: ({ seq, at, width, height, rgb }) => {
        tracker.ok(cfg.id, at);
        bus.emit('camera:frame', { deviceId: cfg.id, seq, at, width, height, rgb });
      },
      onError: (err) => tracker.failed(cfg.id, err.message),
    });
  }

  start(): void {
    this.source.start();
  }

  stop(): Promise<void> {
    return this.source.stop();
  }
}
