// One shared line (an RS-485 bus behind a serial port or a transparent TCP
// converter) used by any number of devices and protocols: one transaction at a
// time, a quiet gap between transactions, and a per-protocol frame scanner that
// finds the reply in whatever bytes arrive. Garbage is counted and skipped, so
// the bus resynchronises by itself.
import { BusLock } from '../bus-lock.ts';
import type { ByteStream } from './byte-stream.ts';

/** What a protocol's scanner makes of the bytes received so far. */
export type FrameScan =
  | { need: 'more' }
  /** a complete frame at the start of the bytes */
  | { frame: Buffer }
  /** drop this many leading bytes (noise, an echo, a frame for someone else) and scan again */
  | { skip: number; reason: string };

export type FrameScanner = (rx: Buffer) => FrameScan;

export class BusTimeout extends Error {
  constructor(readonly timeoutMs: number, readonly partial: number) {
    super(`no reply within ${timeoutMs} ms${partial ? ` (${partial} bytes of an incomplete frame)` : ''}`);
  }
}

export interface BusCounters {
  requests: number;
  replies: number;
  timeouts: number;
  bytesOut: number;
  bytesIn: number;
  /** skipped input bytes by reason: crc or checksum, echo, wrong-unit, garbage, preamble, late, truncated … */
  skipped: Record<string, number>;
  /** ms spent inside transactions: utilisation = busyMs / elapsed */
  busyMs: number;
}

export interface SharedBusOptions {
  /** silence kept between the end of one transaction and the next request */
  interRequestDelayMs?: number;
}

export class SharedBus {
  readonly counters: BusCounters = { requests: 0, replies: 0, timeouts: 0, bytesOut: 0, bytesIn: 0, skipped: {}, busyMs: 0 };
  private readonly lock = new BusLock();
  private rx: Buffer = Buffer.alloc(0);
  private onData: (() => void) | undefined;
  private onClose: ((reason: string) => void) | undefined;
  private lastEnd = 0;
  private opening: Promise<void> | undefined;
  private closed = false;

  constructor(
    readonly stream: ByteStream,
    private readonly opts: SharedBusOptions = {},
  ) {
    stream.on('data', (chunk) => {
      this.counters.bytesIn += chunk.length;
      this.rx = this.rx.length ? Buffer.concat([this.rx, chunk]) : chunk;
      this.onData?.();
    });
    stream.on('close', (reason) => this.onClose?.(reason));
  }

  get description(): string {
    return this.stream.description;
  }

  /** Sends `request` and resolves with the first frame the scanner accepts. */
  transact(request: Buffer, scan: FrameScanner, timeoutMs: number): Promise<Buffer> {
    return this.lock.run(() => this.exchange(request, scan, timeoutMs));
  }

  /** Sends without waiting for a reply (broadcasts). */
  send(request: Buffer): Promise<void> {
    return this.lock.run(async () => {
      await this.ready();
      await this.stream.write(request);
      this.counters.bytesOut += request.length;
      this.lastEnd = performance.now();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.lock.run(() => this.stream.close());
  }

  private skip(reason: string, bytes: number): void {
    this.counters.skipped[reason] = (this.counters.skipped[reason] ?? 0) + bytes;
  }

  private async ready(): Promise<void> {
    if (this.closed) throw new Error(`${this.description} is closed`);
    if (!this.stream.isOpen) {
      this.opening ??= this.stream.open().finally(() => (this.opening = undefined));
      await this.opening;
    }
    // Timers fire in whole milliseconds and may fire early by a fraction: wait until the gap is really kept.
    for (let quiet = this.quietLeft(); quiet > 0; quiet = this.quietLeft()) await new Promise((r) => setTimeout(r, Math.ceil(quiet)));
  }

  private quietLeft(): number {
    return (this.opts.interRequestDelayMs ?? 0) - (performance.now() - this.lastEnd);
  }

  private async exchange(request: Buffer, scan: FrameScanner, timeoutMs: number): Promise<Buffer> {
    await this.ready();
    if (this.rx.length) {
      this.skip('late', this.rx.length); // an answer that came after its request timed out
      this.rx = Buffer.alloc(0);
    }
    const started = performance.now();
    this.counters.requests += 1;
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        // The timeout includes the time to transmit the request (≈ 92 ms for 20 bytes at 2400 baud).
        const timer = setTimeout(() => {
          this.onData = undefined;
          this.onClose = undefined;
          this.counters.timeouts += 1;
          const partial = this.rx.length;
          if (partial) this.skip('truncated', partial);
          this.rx = Buffer.alloc(0);
          reject(new BusTimeout(timeoutMs, partial));
        }, timeoutMs);
        const fail = (err: Error) => {
          clearTimeout(timer);
          this.onData = undefined;
          this.onClose = undefined;
          this.rx = Buffer.alloc(0);
          reject(err);
        };
        this.onClose = (reason) => fail(new Error(`${this.description}: ${reason} while waiting for a reply`));
        this.onData = () => {
          for (;;) {
            let r: FrameScan;
            try {
              r = scan(this.rx);
            } catch (err) {
              return fail(err as Error); // a scanner bug must not take the process down
            }
            if ('need' in r) return;
            if ('skip' in r) {
              const n = Math.max(1, r.skip); // always progress
              this.skip(r.reason, n);
              this.rx = this.rx.subarray(n);
              continue;
            }
            clearTimeout(timer);
            this.onData = undefined;
            this.onClose = undefined;
            this.counters.replies += 1;
            this.rx = this.rx.subarray(r.frame.length);
            resolve(r.frame);
            return;
          }
        };
        this.stream.write(request).then(
          () => {
            this.counters.bytesOut += request.length;
            if (this.rx.length) this.onData?.();
          },
          (err) => fail(err as Error),
        );
      });
    } finally {
      this.lastEnd = performance.now();
      this.counters.busyMs += this.lastEnd - started;
    }
  }
}
