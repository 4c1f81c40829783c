// A timing-faithful simulated RS-485 line with Modbus RTU meters on it, as a
// ByteStream (drivers/serial/byte-stream.ts) for the real SharedBus/RtuClient.
//
// For each request written: write() resolves once the request's bytes have left
// (like a serial port's drain); the addressed meter, after the request's t3.5
// end-of-frame silence and its turnaround, sends its reply, delivered when the
// reply's last byte has arrived:
//     request × char + t3.5 + turnaround + reply × char
// The second t3.5 of a transaction is the master's to keep before its next
// request; a request sent sooner is counted as a gap violation, one sent while a
// reply is still on the wire as a collision. Units not on the line stay silent.
import { EventEmitter } from 'node:events';
import type { ByteStream, ByteStreamEvents } from '../../drivers/serial/byte-stream.ts';
import { charMs, crc16, readReplyBytes, t35Ms, withCrc, type Line } from './wire.ts';

export interface SimStats {
  requests: number;
  replies: number;
  badFrames: number;
  gapViolations: number;
  collisions: number;
  /** shortest silence seen between a reply's end and the next request, ms */
  shortestGapMs: number;
  /** how late this process ran the line's own deadlines (write done, reply in), summed, ms: time lost to the machine, not the client */
  lateMs: number;
}

export class SimulatedRtuLine extends EventEmitter<ByteStreamEvents> implements ByteStream {
  readonly stats: SimStats = { requests: 0, replies: 0, badFrames: 0, gapViolations: 0, collisions: 0, shortestGapMs: Infinity, lateMs: 0 };
  private opened = false;
  /** when the last reply's last byte arrived */
  private lastReplyEnd = -Infinity;

  /** `units`: unit id → its input registers (2 bytes each, big-endian, from address 0) */
  constructor(
    readonly line: Line,
    private readonly units: Map<number, Buffer>,
  ) {
    super();
  }

  get description(): string {
    return `simulated RS-485 ${this.line.baudRate} baud, ${this.line.bitsPerChar} bits/char, ${this.units.size} meters`;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  async open(): Promise<void> {
    this.opened = true;
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  write(data: Buffer): Promise<void> {
    const now = performance.now();
    const ch = charMs(this.line);
    const gap = t35Ms(this.line);
    this.stats.shortestGapMs = Math.min(this.stats.shortestGapMs, now - this.lastReplyEnd);
    if (now < this.lastReplyEnd) this.stats.collisions += 1;
    else if (now < this.lastReplyEnd + gap) this.stats.gapViolations += 1;
    const requestEnd = now + data.length * ch;
    const reply = this.answer(Buffer.from(data));
    if (reply) {
      const at = requestEnd + gap + this.line.turnaroundMs + reply.length * ch;
      this.lastReplyEnd = at;
      atTime(at, (late) => {
        this.stats.lateMs += late;
        this.stats.replies += 1;
        if (this.opened) this.emit('data', reply);
      });
    }
    return new Promise((resolve) =>
      atTime(requestEnd, (late) => {
        this.stats.lateMs += late;
        resolve();
      }),
    );
  }

  /** The addressed meter's reply to a read request, or undefined if it stays silent. */
  private answer(req: Buffer): Buffer | undefined {
    this.stats.requests += 1;
    if (req.length !== 8 || crc16(req.subarray(0, 6)) !== req.readUInt16LE(6)) {
      this.stats.badFrames += 1;
      return undefined;
    }
    const regs = this.units.get(req[0]!);
    if (!regs) return undefined;
    const fc = req[1]!;
    const start = req.readUInt16BE(2);
    const count = req.readUInt16BE(4);
    if (fc !== 4) return withCrc(Buffer.from([req[0]!, fc | 0x80, 1])); // illegal function
    if (count < 1 || count > 125 || (start + count) * 2 > regs.length) return withCrc(Buffer.from([req[0]!, fc | 0x80, 2])); // illegal data address
    const body = Buffer.alloc(readReplyBytes(count) - 2);
    body[0] = req[0]!;
    body[1] = fc;
    body[2] = count * 2;
    regs.copy(body, 3, start * 2, (start + count) * 2);
    return withCrc(body);
  }
}

/**
 * Runs `fn(lateMs)` at performance.now() ≥ t, to a fraction of a millisecond: a timer
 * to ~1.5 ms before, then polling the clock between event-loop turns. lateMs is how
 * far past t it ran (a busy machine delays the process).
 */
function atTime(t: number, fn: (lateMs: number) => void): void {
  const now = performance.now();
  const wait = t - now;
  if (wait > 2) setTimeout(() => atTime(t, fn), wait - 1.5);
  else if (wait > 0) setImmediate(() => atTime(t, fn));
  else fn(now - t);
}
