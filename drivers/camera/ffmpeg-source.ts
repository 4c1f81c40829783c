// Frames from anything ffmpeg reads — RTSP cameras, V4L2 devices (USB cameras), video
// files (looped or not), other ffmpeg URLs — through an `ffmpeg` child process that
// decodes to packed RGB24 at the configured rate and size:
//
//   ffmpeg [input options] -i INPUT -an -sn -dn
//          -vf fps=N,scale=W:H[,pad…] -f rawvideo -pix_fmt rgb24 -
//
// stdout is cut into exact W·H·3-byte frames. When the stream drops — ffmpeg exits, fails
// to start, or sends nothing for `stallTimeoutMs` — the child is killed if still there
// and started again after a delay that doubles from `backoff.initialMs` up to
// `backoff.maxMs`; it goes back to the initial delay once the stream has been online for
// `stableMs`. `health()` says online/offline, the last frame time, restarts, frames.
// `stop()` kills the child (SIGTERM, then SIGKILL after `killTimeoutMs`) and resolves when
// it has exited.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Frame } from './frame.ts';
import type { FrameHandlers, FrameSource, SourceHealth, SourceState } from './health.ts';

export type FfmpegInput =
  | { kind: 'rtsp'; url: string }
  | { kind: 'v4l2'; device: string }
  | { kind: 'file'; path: string }
  | { kind: 'url'; url: string };

export interface FfmpegSourceOptions extends FrameHandlers {
  /** rtsp://…, v4l2:///dev/video0, a file path (or file://…), or another ffmpeg URL (http://, tcp://, srt://…) */
  url: string;
  fps: number;
  width: number;
  height: number;
  /** files: start again at the end (-stream_loop -1); default false */
  loop?: boolean;
  /** files: read at the file's own rate (-re), as a camera delivers; default true */
  realtime?: boolean;
  /** rtsp: default tcp (interleaved; survives NAT and lossy Wi-Fi better than udp) */
  rtspTransport?: 'tcp' | 'udp';
  /** v4l2: -input_format, e.g. mjpeg */
  inputFormat?: string;
  /** v4l2: -video_size, e.g. 1280x720 */
  inputSize?: string;
  /** contain (default): keep the aspect, black bars; stretch: scale=W:H exactly */
  fit?: 'contain' | 'stretch';
  /** more input options, before -i */
  extraInputArgs?: string[];
  /** the ffmpeg executable; default "ffmpeg" (PATH) */
  ffmpegPath?: string;
  backoff?: { initialMs?: number; maxMs?: number; factor?: number };
  /** online this long → the next drop restarts after backoff.initialMs again; default 10 s */
  stableMs?: number;
  /** no frame this long (from the start or the last frame) → restart; default max(10 s, 5 frame periods) */
  stallTimeoutMs?: number;
  /** stop(): SIGKILL when SIGTERM did not end ffmpeg within this; default 3 s */
  killTimeoutMs?: number;
}

export function parseInput(url: string): FfmpegInput {
  if (/^rtsps?:\/\//i.test(url)) return { kind: 'rtsp', url };
  if (/^v4l2:\/\//i.test(url)) {
    const device = url.slice('v4l2://'.length);
    if (!device.startsWith('/')) throw new Error(`camera url ${url}: expected v4l2:///dev/videoN`);
    return { kind: 'v4l2', device };
  }
  if (/^file:\/\//i.test(url)) return { kind: 'file', path: fileURLToPath(url) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return { kind: 'url', url };
  return { kind: 'file', path: url };
}

/** The ffmpeg arguments for a source (without the executable). */
export function ffmpegArgs(o: Pick<FfmpegSourceOptions, 'url' | 'fps' | 'width' | 'height' | 'loop' | 'realtime' | 'rtspTransport' | 'inputFormat' | 'inputSize' | 'fit' | 'extraInputArgs'>): string[] {
  const input = parseInput(o.url);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  switch (input.kind) {
    case 'rtsp':
      args.push('-rtsp_transport', o.rtspTransport ?? 'tcp', ...(o.extraInputArgs ?? []), '-i', input.url);
      break;
    case 'v4l2':
      args.push('-f', 'v4l2');
      if (o.inputFormat) args.push('-input_format', o.inputFormat);
      if (o.inputSize) args.push('-video_size', o.inputSize);
      args.push(...(o.extraInputArgs ?? []), '-i', input.device);
      break;
    case 'file':
      if (o.loop) args.push('-stream_loop', '-1');
      if (o.realtime ?? true) args.push('-re');
      args.push(...(o.extraInputArgs ?? []), '-i', input.path);
      break;
    case 'url':
      args.push(...(o.extraInputArgs ?? []), '-i', input.url);
      break;
  }
  const { width: W, height: H } = o;
  const scale =
    (o.fit ?? 'contain') === 'stretch'
      ? `scale=${W}:${H}`
      : `scale=${W}:${H}:force_original_aspect_ratio=decrease,pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2:black`;
  args.push('-an', '-sn', '-dn', '-vf', `fps=${o.fps},${scale},setsar=1`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-');
  return args;
}

/** Hides a password in an RTSP/HTTP URL for logs and health. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^/@]*@/i, '$1:***@');
}

export class FfmpegFrameSource implements FrameSource {
  private child: ChildProcess | undefined;
  private childClosed: Promise<void> | undefined;
  private stopping = true;
  private seq = 0;
  private frames = 0;
  private restarts = 0;
  private state: SourceState = 'stopped';
  private since = Date.now();
  private lastFrameAt: number | null = null;
  private lastError: string | null = null;
  private nextRetryAt: number | null = null;
  private backoffMs: number;
  private spawnedAt = 0;
  private onlineAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly frameSize: number;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly factor: number;
  private readonly stableMs: number;
  private readonly stallTimeoutMs: number;
  private readonly killTimeoutMs: number;
  readonly args: string[];
  readonly label: string;

  constructor(private readonly opts: FfmpegSourceOptions) {
    for (const k of ['width', 'height'] as const) {
      if (!Number.isInteger(opts[k]) || opts[k] < 2) throw new Error(`ffmpeg source: ${k} must be an integer ≥ 2`);
    }
    if (!(opts.fps > 0)) throw new Error('ffmpeg source: fps must be > 0');
    this.frameSize = opts.width * opts.height * 3;
    this.initialBackoff = opts.backoff?.initialMs ?? 1000;
    this.maxBackoff = Math.max(this.initialBackoff, opts.backoff?.maxMs ?? 30_000);
    this.factor = opts.backoff?.factor ?? 2;
    this.backoffMs = this.initialBackoff;
    this.stableMs = opts.stableMs ?? 10_000;
    this.stallTimeoutMs = opts.stallTimeoutMs ?? Math.max(10_000, 5000 / opts.fps);
    this.killTimeoutMs = opts.killTimeoutMs ?? 3000;
    this.args = ffmpegArgs(opts);
    this.label = redactUrl(opts.url);
  }

  health(): SourceHealth {
    return {
      state: this.state,
      since: this.since,
      lastFrameAt: this.lastFrameAt,
      frames: this.frames,
      restarts: this.restarts,
      lastError: this.lastError,
      nextRetryAt: this.nextRetryAt,
      backoffMs: this.backoffMs,
    };
  }

  /** the running ffmpeg's pid, if any */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (!this.stopping) return;
    this.stopping = false;
    this.spawnChild();
    const tick = Math.max(50, Math.min(1000, this.stallTimeoutMs / 4));
    this.watchdog = setInterval(() => this.checkStall(), tick);
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchdog);
    this.nextRetryAt = null;
    await this.killChild();
    this.setState('stopped');
  }

  private setState(s: SourceState): void {
    if (s === this.state) return;
    this.state = s;
    this.since = Date.now();
    this.opts.onState?.(this.health());
  }

  private spawnChild(): void {
    this.nextRetryAt = null;
    this.setState('starting');
    this.spawnedAt = Date.now();
    let child: ChildProcess;
    try {
      child = spawn(this.opts.ffmpegPath ?? 'ffmpeg', this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      this.dropped(`cannot start ffmpeg: ${(err as Error).message}`);
      return;
    }
    this.child = child;
    let stderr = '';
    let failure: string | undefined;
    let cur = Buffer.allocUnsafe(this.frameSize);
    let filled = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(this.frameSize - filled, chunk.length - off);
        chunk.copy(cur, filled, off, off + n);
        filled += n;
        off += n;
        if (filled === this.frameSize) {
          const frame = cur;
          cur = Buffer.allocUnsafe(this.frameSize);
          filled = 0;
          if (this.child === child && !this.stopping) this.deliver(frame);
        }
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      stderr = (stderr + s).slice(-4096);
    });
    child.on('error', (err) => {
      failure = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `ffmpeg not found (${this.opts.ffmpegPath ?? 'ffmpeg'}): install ffmpeg` : `ffmpeg: ${err.message}`;
    });
    this.childClosed = new Promise<void>((resolve) => {
      child.on('close', (code, signal) => {
        resolve();
        if (this.child !== child) return;
        this.child = undefined;
        if (this.stopping) return;
        const lastLine = stderr.trim().split('\n').filter(Boolean).at(-1);
        const why = failure ?? this.killReason ?? (code === 0 ? 'the stream ended (ffmpeg exited 0)' : `ffmpeg exited ${signal ? `on ${signal}` : `with code ${code}`}`);
        this.killReason = undefined;
        this.dropped(lastLine && !failure ? `${why}: ${lastLine}` : why);
      });
    });
  }

  /** why the watchdog killed the child, for the drop's reason */
  private killReason: string | undefined;

  private deliver(rgb: Buffer): void {
    const at = Date.now();
    if (this.state !== 'online') this.onlineAt = at; // lastError stays: the last drop's reason remains visible
    this.lastFrameAt = at;
    this.frames++;
    this.seq++;
    if (this.state !== 'online') this.setState('online');
    if (at - this.onlineAt >= this.stableMs) this.backoffMs = this.initialBackoff;
    const frame: Frame = { seq: this.seq, at, width: this.opts.width, height: this.opts.height, rgb, source: this.label };
    this.opts.onFrame(frame);
  }

  /** The stream is gone: schedule the next attempt. */
  private dropped(reason: string): void {
    if (this.stopping) return;
    const wasStable = this.state === 'online' && Date.now() - this.onlineAt >= this.stableMs;
    if (wasStable) this.backoffMs = this.initialBackoff;
    this.lastError = reason;
    const delay = this.backoffMs;
    this.nextRetryAt = Date.now() + delay;
    this.setState('offline');
    this.opts.onError(new Error(`camera ${this.label}: ${reason}; restarting in ${delay} ms`));
    this.backoffMs = Math.min(this.maxBackoff, Math.round(this.backoffMs * this.factor));
    this.retryTimer = setTimeout(() => {
      if (this.stopping) return;
      this.restarts++;
      this.spawnChild();
    }, delay);
  }

  private checkStall(): void {
    if (this.stopping || !this.child) return;
    const since = this.state === 'online' && this.lastFrameAt ? this.lastFrameAt : this.spawnedAt;
    const idle = Date.now() - since;
    if (idle >= this.stallTimeoutMs) {
      this.killReason = `no frame for ${idle} ms (stall timeout ${this.stallTimeoutMs} ms)`;
      void this.killChild(false);
    }
  }

  /** SIGTERM, then SIGKILL after killTimeoutMs; resolves when the child has exited. */
  private async killChild(forget = true): Promise<void> {
    const child = this.child;
    const closed = this.childClosed;
    if (!child || !closed) return;
    if (forget) this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, this.killTimeoutMs);
    await closed;
    clearTimeout(timer);
  }
}
