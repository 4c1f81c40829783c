// Moves one uplink's streams out of the outbox: the next batch of each stream in
// order, marked delivered only after the receiver acknowledged it. Failures back
// off exponentially with jitter up to a cap; a batch refused as malformed goes to
// the dead-letter table instead of being retried forever.
import { BatchRejected, type Uplink } from '../uplink/uplink.ts';
import type { Outbox, StoredRecord } from './outbox.ts';
import type { Stream } from './streams.ts';

export type LinkState = 'online' | 'backing-off' | 'offline';

export interface LinkStatus {
  uplink: string;
  state: LinkState;
  since: number;
  lastError: string | null;
  /** epoch ms of the next try while backing off */
  retryAt: number | null;
  lastSendMs: number | null;
}

export interface ForwarderOptions {
  batchSize: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** failing this long in a row counts as offline */
  offlineAfterMs: number;
  onSent?: (stream: Stream, records: number, ms: number) => void;
  onState?: (s: LinkStatus) => void;
  onError?: (err: Error) => void;
}

export class Forwarder {
  private status: LinkStatus;
  private running = false;
  private wake: ((force?: boolean) => void) | undefined;
  private loop: Promise<void> | undefined;
  private failures = 0;
  private failingSince = 0;
  private backfills: { stream: Stream; fromSeq: number; toSeq: number }[] = [];
  private readonly onAppended = () => this.wake?.();
  private readonly abort = new AbortController();

  constructor(
    private readonly outbox: Outbox,
    private readonly uplink: Uplink,
    private readonly opts: ForwarderOptions,
  ) {
    this.status = { uplink: uplink.id, state: 'online', since: Date.now(), lastError: null, retryAt: null, lastSendMs: null };
    uplink.onReady?.(() => this.wake?.(true)); // the link is back: no need to sit out the backoff
  }

  get link(): LinkStatus {
    return { ...this.status };
  }

  start(): void {
    this.running = true;
    this.outbox.on('appended', this.onAppended);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.outbox.off('appended', this.onAppended);
    this.abort.abort();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sentSomething = false;
      try {
        sentSomething = await this.sendBackfill();
        for (const stream of this.uplink.streams) {
          if (!this.running) break;
          if (await this.sendNext(stream)) sentSomething = true;
        }
        if (sentSomething) {
          this.succeeded();
          await this.outbox.reportDrops();
        }
      } catch (err) {
        if (!this.running) break;
        await this.failed(err as Error);
        continue;
      }
      if (!sentSomething) await this.sleep(1000);
    }
  }

  /** Sends the stream's next batch; false when there was nothing to send. */
  private async sendNext(stream: Stream): Promise<boolean> {
    const batch = this.outbox.nextBatch(this.uplink.id, stream, this.opts.batchSize);
    if (!batch.length) return false;
    const last = batch.at(-1)!;
    const batchId = `${this.uplink.id}:${stream}:${batch[0]!.seq}-${last.seq}`;
    const t0 = Date.now();
    try {
      const result = await this.uplink.send(stream, batch, batchId, this.abort.signal);
      if (!this.running) return false; // shutting down: leave the batch for next time
      const rejected = (result.rejected ?? []).flatMap((r) => {
        const record = batch.find((b) => b.id === r.id);
        return record ? [{ record, reason: r.reason }] : [];
      });
      this.outbox.acknowledge(this.uplink.id, stream, last.seq, rejected);
      this.backfills.push(...(result.backfill ?? []));
    } catch (err) {
      if (!(err instanceof BatchRejected)) throw err;
      this.outbox.acknowledge(this.uplink.id, stream, last.seq, batch.map((record) => ({ record, reason: `batch ${batchId} rejected: ${err.message}` })));
      this.opts.onError?.(err);
    }
    const ms = Date.now() - t0;
    this.status.lastSendMs = ms;
    this.opts.onSent?.(stream, batch.length, ms);
    return true;
  }

  /** Re-sends ranges a receiver asked for, from what the outbox still holds. */
  private async sendBackfill(): Promise<boolean> {
    const req = this.backfills[0];
    if (!req) return false;
    const records: StoredRecord[] = this.outbox.range(req.stream, req.fromSeq, req.toSeq, this.opts.batchSize);
    if (records.length) {
      await this.uplink.send(req.stream, records, `${this.uplink.id}:${req.stream}:backfill:${records[0]!.seq}-${records.at(-1)!.seq}`, this.abort.signal);
    }
    const done = !records.length || records.at(-1)!.seq >= req.toSeq;
    if (done) this.backfills.shift();
    else req.fromSeq = records.at(-1)!.seq + 1;
    return records.length > 0;
  }

  private succeeded(): void {
    this.failures = 0;
    this.setState('online', null, null);
  }

  private async failed(err: Error): Promise<void> {
    const now = Date.now();
    if (this.failures === 0) this.failingSince = now;
    this.failures += 1;
    this.opts.onError?.(err);
    const cap = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** (this.failures - 1));
    const delay = Math.round(cap / 2 + (Math.random() * cap) / 2); // "equal jitter": never less than half the step
    const state: LinkState = now - this.failingSince >= this.opts.offlineAfterMs ? 'offline' : 'backing-off';
    this.setState(state, err.message, now + delay);
    await this.sleep(delay, false);
  }

  private setState(state: LinkState, error: string | null, retryAt: number | null): void {
    const changed = state !== this.status.state;
    const since = changed ? (state === 'offline' ? this.failingSince : Date.now()) : this.status.since;
    this.status = { ...this.status, state, since, lastError: error ?? (state === 'online' ? null : this.status.lastError), retryAt };
    if (changed) this.opts.onState?.(this.link);
  }

  /** Waits `ms`, or until new records arrive when `wakeOnAppend`. */
  private sleep(ms: number, wakeOnAppend = true): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = (force) => {
        if (force || wakeOnAppend || !this.running) done();
      };
    });
  }
}
