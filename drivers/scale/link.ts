// The line to one scale indicator: a serial port or a TCP socket (the scale's own
// Ethernet port, or a transparent serial-to-Ethernet converter). Splits what
// arrives into text frames at CR and/or LF, answers requests with the first frame
// a protocol accepts, and reopens the line with backoff when it goes away (a USB
// adapter unplugged, a pty gone, a TCP peer closing) until stopped.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { BusLock } from '../bus-lock.ts';
import { SerialByteStream, TcpByteStream, type ByteStream, type Parity } from '../serial/byte-stream.ts';

export type ScaleTransport =
  | { type: 'serial'; path: string; baudRate: number; dataBits: 7 | 8; parity: Parity; stopBits: 1 | 2 }
  | { type: 'tcp'; host: string; port: number };

export interface LinkOptions {
  /** first retry after this long, doubling up to maxBackoffMs */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** a longer frame is dropped and reported as over-long */
  maxFrameBytes?: number;
  connectTimeoutMs?: number;
  /** serial: how often to check that the device node still exists (0: never) */
  presenceCheckMs?: number;
}

export interface LinkEvents {
  /** the line is open (again) */
  up: [];
  /** the line could not be opened or went away; retried with backoff */
  down: [reason: string];
  /** a frame no pending request accepted */
  frame: [frame: string];
  /** bytes dropped: an over-long frame, or a partial frame when the line closed */
  dropped: [why: 'overlong' | 'truncated', bytes: number];
}

/** The request got no accepted reply in time. */
export class ReplyTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no reply within ${timeoutMs} ms`);
  }
}

/** The line is not open (or closed while waiting). */
export class LinkDown extends Error {}

export function openByteStream(t: ScaleTransport, connectTimeoutMs?: number): ByteStream {
  return t.type === 'serial'
    ? new SerialByteStream({ path: t.path, baudRate: t.baudRate, dataBits: t.dataBits, parity: t.parity, stopBits: t.stopBits })
    : new TcpByteStream(t.host, t.port, connectTimeoutMs);
}

interface Pending {
  accept: (frame: string) => boolean;
  resolve: (frame: string) => void;
  reject: (err: Error) => void;
}

export class ScaleLink extends EventEmitter<LinkEvents> {
  readonly stream: ByteStream;
  private readonly lock = new BusLock();
  private buffer = '';
  private pending: Pending | undefined;
  private up = false;
  private running = false;
  private backoffMs: number;
  private retry: NodeJS.Timeout | undefined;
  private opening: Promise<void> | undefined;
  private presence: NodeJS.Timeout | undefined;
  private closeReason: string | undefined;

  constructor(
    readonly transport: ScaleTransport,
    private readonly opts: LinkOptions = {},
  ) {
    super();
    this.backoffMs = opts.minBackoffMs ?? 250;
    this.stream = openByteStream(transport, opts.connectTimeoutMs);
    this.stream.on('data', (chunk) => this.receive(chunk));
    this.stream.on('close', (reason) => this.closed(reason));
  }

  get description(): string {
    return this.stream.description;
  }

  get isUp(): boolean {
    return this.up;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.open();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.retry);
    clearInterval(this.presence);
    await this.opening?.catch(() => undefined);
    this.up = false;
    this.pending?.reject(new LinkDown(`${this.description} closed`));
    this.pending = undefined;
    await this.stream.close().catch(() => undefined);
  }

  /** Writes without waiting for anything (continuous indicators' commands). */
  async write(data: string | Buffer): Promise<void> {
    if (!this.up) throw new LinkDown(`${this.description} is not open`);
    await this.stream.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Sends `data` and resolves with the first frame `accept` takes; one request at a time. */
  request(data: string, accept: (frame: string) => boolean, timeoutMs: number): Promise<string> {
    return this.lock.run(async () => {
      if (!this.up) throw new LinkDown(`${this.description} is not open`);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending = undefined;
          reject(new ReplyTimeout(timeoutMs));
        }, timeoutMs);
        this.pending = {
          accept,
          resolve: (f) => {
            clearTimeout(timer);
            this.pending = undefined;
            resolve(f);
          },
          reject: (e) => {
            clearTimeout(timer);
            this.pending = undefined;
            reject(e);
          },
        };
        this.stream.write(Buffer.from(data, 'latin1')).catch((err: Error) => this.pending?.reject(new LinkDown(err.message)));
      });
    });
  }

  private async open(): Promise<void> {
    if (!this.running || this.up) return;
    this.opening = this.stream.open();
    try {
      await this.opening;
    } catch (err) {
      this.opening = undefined;
      if (!this.running) return;
      this.emit('down', (err as Error).message);
      this.scheduleRetry();
      return;
    }
    this.opening = undefined;
    if (!this.running) {
      await this.stream.close().catch(() => undefined);
      return;
    }
    this.up = true;
    this.buffer = '';
    this.backoffMs = this.opts.minBackoffMs ?? 250;
    this.watchPresence();
    this.emit('up');
  }

  private scheduleRetry(): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.open(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, this.opts.maxBackoffMs ?? 5000);
  }

  /**
   * A pty whose other end is gone (and some USB adapters) can leave the port
   * open and silent instead of closing it: a serial line is also checked for its
   * device node, and closed when the node disappears.
   */
  private watchPresence(): void {
    clearInterval(this.presence);
    const t = this.transport;
    const every = this.opts.presenceCheckMs ?? 500;
    if (t.type !== 'serial' || every <= 0) return;
    this.presence = setInterval(() => {
      if (!this.up || existsSync(t.path)) return;
      this.closeReason = `${t.path} vanished (unplugged)`;
      void this.stream.close().catch(() => undefined);
      // serialport reports nothing on a close it was asked for: report it here
      this.closed(this.closeReason);
    }, every);
    this.presence.unref?.();
  }

  private closed(reason: string): void {
    if (!this.up) return; // a failed open also closes its socket: already reported
    clearInterval(this.presence);
    reason = this.closeReason ?? reason;
    this.closeReason = undefined;
    this.up = false;
    if (this.buffer.length) this.emit('dropped', 'truncated', this.buffer.length);
    this.buffer = '';
    this.pending?.reject(new LinkDown(reason));
    if (!this.running) return;
    this.emit('down', reason);
    this.scheduleRetry();
  }

  private receive(chunk: Buffer): void {
    this.buffer += chunk.toString('latin1');
    const frames = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = frames.pop() ?? '';
    const max = this.opts.maxFrameBytes ?? 256;
    for (const frame of frames) {
      if (!frame.length) continue;
      if (frame.length > max) {
        this.emit('dropped', 'overlong', frame.length);
        continue;
      }
      if (this.pending?.accept(frame)) this.pending.resolve(frame);
      else this.emit('frame', frame);
    }
    if (this.buffer.length > max) {
      this.emit('dropped', 'overlong', this.buffer.length);
      this.buffer = '';
    }
  }
}
