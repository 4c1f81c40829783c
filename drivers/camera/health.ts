// What every frame source reports for /readyz and /metrics.
import type { Frame } from './frame.ts';

export type SourceState = 'starting' | 'online' | 'offline' | 'stopped';

export interface SourceHealth {
  /** starting: not yet a frame since (re)start; online: frames arriving; offline: the stream
   * dropped or stalled (a restart is scheduled); stopped: stop() was called or never started */
  state: SourceState;
  /** ms timestamp the state was entered */
  since: number;
  /** ms timestamp of the last frame, null before the first */
  lastFrameAt: number | null;
  /** frames delivered since the source was created */
  frames: number;
  /** times the stream was restarted after a drop, stall or failure */
  restarts: number;
  /** why the last drop happened (ffmpeg's last error line, its exit code, a stall…), null if none */
  lastError: string | null;
  /** offline: when the next attempt starts (ms timestamp), else null */
  nextRetryAt: number | null;
  /** the delay the next restart will wait, ms (grows exponentially, reset once stable) */
  backoffMs: number;
}

/** A started/stopped source of frames: drivers/camera/file-source.ts or ffmpeg-source.ts. */
export interface FrameSource {
  start(): void;
  /** stops producing frames; resolves when nothing is running any more */
  stop(): Promise<void>;
  health(): SourceHealth;
}

export interface FrameHandlers {
  onFrame: (frame: Frame) => void;
  /** every drop or failure, with its reason (the source keeps retrying by itself) */
  onError: (err: Error) => void;
  /** state changes */
  onState?: (health: SourceHealth) => void;
}
