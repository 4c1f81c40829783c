// Moves one uplink's streams out of the outbox: the next batch of each stream in
// order, marked delivered only after the receiver acknowledged it. Failures back
// off exponentially with jitter up to a cap; a batch refused as malformed goes to
// the dead-letter table instead of being retried forever.
//
// A watchdog keeps a hung upstream from stopping forwarding for good: a request
// outstanding past its timeout makes the link `stalled` at once (never `online`);
// one outstanding for 3 × the timeout is aborted — and the loop moves on even if
// the uplink ignores the abort — and so is a backlog that got no answer at all
// (only timeouts) for 3 × the timeout; an uplink with a long-lived connection (MQTT)
// is told to drop it and connect again. The link stays `stalled`, with the reason,
// until the upstream answers again.
import { BatchRejected, type Uplink } from '../uplink/uplink.ts';
import type { Outbox, StoredRecord } from './outbox.ts';
import type { Stream } from '../wire/streams.ts';

/** Durations (timeouts, stalls) on the monotonic clock: a wall-clock step is not a stall. */
const monotonic = () => performance.now();

export type LinkState = 'online' | 'backing-off' | 'offline' | 'stalled';
export const LINK_STATES: LinkState[] = ['online', 'backing-off', 'offline', 'stalled'];

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
  /** the uplink's own answer timeout: the watchdog's unit (default 15 s, the uplinks' default) */
  timeoutMs?: number;
  /** how often the watchdog looks, ms (default: half the timeout, at least 100 ms) */
  watchdogEveryMs?: number;
  onSent?: (stream: Stream, records: number, ms: number) => void;
  onState?: (s: LinkStatus) => void;
  onError?: (err: Error) => void;
  /** the link became stalled (the watchdog resets it) */
  onStall?: (reason: string) => void;
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
  /** the request being sent: when it started and how to abort it */
  private attempt: { since: number; controller: AbortController } | null = null;
  /** when the upstream last answered (taken, or refused with an answer), or the outbox was empty */
  private lastAnswerAt = monotonic();
  /** the last failure was a request that got no answer within the timeout */
  private lastFailureUnanswered = false;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly timeoutMs: number;
  /** when the watchdog last had the uplink drop its connection (at most once per 3 × the timeout, so a new one can come up) */
  private lastResetAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly outbox: Outbox,
    private readonly uplink: Uplink,
    private readonly opts: ForwarderOptions,
  ) {
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.status = { uplink: uplink.id, state: 'online', since: Date.now(), lastError: null, retryAt: null, lastSendMs: null };
    uplink.onReady?.(() => this.wake?.(true)); // the link is back: no need to sit out the backoff
  }

  get link(): LinkStatus {
    // never "online" while a request is outstanding past its timeout, even between two watchdog looks
    const overdue = this.overdueMs();
    if (overdue > 0 && this.status.state !== 'stalled') {
      return { ...this.status, state: 'stalled', since: Date.now() - overdue, lastError: this.outstandingReason(overdue) };
    }
    return { ...this.status };
  }

  start(): void {
    this.running = true;
    this.outbox.on('appended', this.onAppended);
    this.loop = this.run();
    this.watchdog = setInterval(() => this.watch(), this.opts.watchdogEveryMs ?? Math.max(100, Math.round(this.timeoutMs / 2)));
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.watchdog);
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
        } else this.lastAnswerAt = monotonic(); // nothing waiting: nothing can be stalled
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
    const t0 = monotonic();
    try {
      const result = await this.send(stream, batch, batchId);
      if (!this.running) return false; // shutting down: leave the batch for next time
      const rejected = (result.rejected ?? []).flatMap((r) => {
        const record = batch.find((b) => b.id === r.id);
        return record ? [{ record, reason: r.reason }] : [];
      });
      // an uplink that acknowledges report by report may have taken only a prefix: commit what was acknowledged
      this.outbox.acknowledge(this.uplink.id, stream, result.upTo !== undefined && result.upTo < last.seq ? result.upTo : last.seq, rejected);
      this.backfills.push(...(result.backfill ?? []));
    } catch (err) {
      if (!(err instanceof BatchRejected)) throw err;
      this.outbox.acknowledge(this.uplink.id, stream, last.seq, batch.map((record) => ({ record, reason: `batch ${batchId} rejected: ${err.message}` })));
      this.opts.onError?.(err);
    }
    const ms = monotonic() - t0;
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
      await this.send(req.stream, records, `${this.uplink.id}:${req.stream}:backfill:${records[0]!.seq}-${records.at(-1)!.seq}`);
    }
    const done = !records.length || records.at(-1)!.seq >= req.toSeq;
    if (done) this.backfills.shift();
    else req.fromSeq = records.at(-1)!.seq + 1;
    return records.length > 0;
  }

  /**
   * One request to the uplink under the watchdog: it can be aborted on its own
   * (a reset) or with the forwarder (stop), and an uplink that ignores the abort
   * cannot hold the loop: the race settles on the abort.
   */
  private async send(stream: Stream, records: StoredRecord[], batchId: string): Promise<Awaited<ReturnType<Uplink['send']>>> {
    const controller = new AbortController();
    const onStop = () => controller.abort(new Error('forwarder stopped'));
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    const t0 = monotonic();
    this.attempt = { since: t0, controller };
    let aborted: ((err: unknown) => void) | undefined;
    const onAbort = () => aborted?.(controller.signal.reason);
    controller.signal.addEventListener('abort', onAbort, { once: true });
    const sending = this.uplink.send(stream, records, batchId, controller.signal);
    try {
      const result = await Promise.race([sending, new Promise<never>((_, reject) => (aborted = reject))]);
      this.lastAnswerAt = monotonic();
      this.lastFailureUnanswered = false;
      return result;
    } catch (err) {
      // an answer (5xx, refused, reset) is not a stall; no answer within the timeout is
      const unanswered = controller.signal.aborted || monotonic() - t0 >= this.timeoutMs;
      this.lastFailureUnanswered = unanswered;
      if (!unanswered) this.lastAnswerAt = monotonic();
      throw err;
    } finally {
      sending.catch(() => {}); // settles later, if ever, after an abort the uplink ignored
      controller.signal.removeEventListener('abort', onAbort);
      this.abort.signal.removeEventListener('abort', onStop);
      if (this.attempt?.controller === controller) this.attempt = null;
    }
  }

  /** How far the outstanding request is past its timeout, ms (0 when none is). */
  private overdueMs(now = monotonic()): number {
    return this.attempt ? Math.max(0, now - this.attempt.since - this.timeoutMs) : 0;
  }

  private outstandingReason(overdueMs: number): string {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    return `a request to ${this.uplink.id} is outstanding for ${s(overdueMs + this.timeoutMs)} (timeout ${s(this.timeoutMs)})`;
  }

  /** Whether the link has had a backlog and no answer for 3 × its timeout, and why. */
  private stallReason(now = monotonic()): string | null {
    const limit = 3 * this.timeoutMs;
    if (this.overdueMs(now) + this.timeoutMs >= limit) return this.outstandingReason(this.overdueMs(now));
    if (this.attempt || !this.lastFailureUnanswered || now - this.lastAnswerAt < limit) return null;
    const waiting = this.uplink.streams.reduce((n, s) => n + this.outbox.backlog(this.uplink.id, s), 0);
    if (!waiting) return null;
    return `no answer from ${this.uplink.id} for ${((now - this.lastAnswerAt) / 1000).toFixed(1)} s (timeout ${(this.timeoutMs / 1000).toFixed(1)} s) with ${waiting} records waiting`;
  }

  /** The watchdog: a stalled link is reported and reset (its request aborted, its backoff cut short). */
  private watch(): void {
    if (!this.running) return;
    const reason = this.stallReason();
    if (!reason) return;
    const fresh = this.status.state !== 'stalled';
    this.setState('stalled', reason, this.status.retryAt);
    this.attempt?.controller.abort(new Error(`stalled: ${reason}; request aborted by the watchdog`));
    // a connection that looks up but carries no answers is replaced, not waited on until its keep-alive
    const now = monotonic();
    if (this.uplink.reset && now - this.lastResetAt >= 3 * this.timeoutMs) {
      this.lastResetAt = now;
      this.uplink.reset(reason);
    }
    if (fresh) this.wake?.(true); // a fresh try now rather than after a long backoff
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
    const stall = this.stallReason();
    if (stall) this.setState('stalled', stall, now + delay);
    else this.setState(now - this.failingSince >= this.opts.offlineAfterMs ? 'offline' : 'backing-off', err.message, now + delay);
    await this.sleep(delay, false);
  }

  private setState(state: LinkState, error: string | null, retryAt: number | null): void {
    const changed = state !== this.status.state;
    const since = changed ? (state === 'offline' ? this.failingSince : Date.now()) : this.status.since;
    this.status = { ...this.status, state, since, lastError: error ?? (state === 'online' ? null : this.status.lastError), retryAt };
    if (changed) this.opts.onState?.(this.link);
    if (changed && state === 'stalled') this.opts.onStall?.(this.status.lastError ?? 'no progress');
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
