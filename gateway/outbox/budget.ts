// The outbox's disk budget. When the outbox holds more than its budget (in all,
// per data class) or the disk runs low, room is made in this order:
//   1. records every uplink has acknowledged (kept only for backfill) go first;
//   2. instantaneous samples are thinned: every 10th kept, then one per meter per hour;
//   3. new samples and events are refused.
// Counters, transactions and alerts are never dropped: over their budget the box
// raises an alarm and keeps taking them while the disk has room.
import { statfsSync } from 'node:fs';
import type { Outbox } from './outbox.ts';
import { STREAM_NAMES, type Stream } from '../wire/streams.ts';
import { NEVER_DROPPED, STREAMS, type DataClass } from './streams.ts';

export interface BudgetLimits {
  /** everything the outbox holds, bytes */
  totalBytes: number;
  perClassBytes: Partial<Record<DataClass, number>>;
  /** keep this much of the disk free, bytes */
  minFreeBytes: number;
  /** acknowledged records are kept this long for backfill, ms */
  keepDeliveredMs: number;
}

export interface BudgetState {
  /** bytes held per class */
  usage: Record<DataClass, number>;
  freeBytes: number;
  /** human-readable alarms, empty when all is well */
  alarms: string[];
}

const CLASSES: DataClass[] = ['samples', 'counters', 'transactions', 'alerts', 'events'];
const RELEASE_AT = 0.9; // refusals lift once usage is back under 90 % of the budget

export class DiskBudget {
  constructor(
    private readonly outbox: Outbox,
    private readonly dataDir: string,
    private readonly uplinksByStream: () => Map<Stream, string[]>,
    private readonly limits: BudgetLimits,
    private readonly freeBytes: () => number = () => {
      const s = statfsSync(this.dataDir);
      return s.bavail * s.bsize;
    },
  ) {}

  /** Makes room if needed and returns where things stand. Run it periodically and after big ingests. */
  enforce(now = Date.now()): BudgetState {
    const uplinks = this.uplinksByStream();
    this.outbox.pruneDelivered(uplinks, now - this.limits.keepDeliveredMs);
    if (this.over(1).length) this.outbox.pruneDelivered(uplinks, Number.MAX_SAFE_INTEGER);
    if (this.over(1).includes('samples')) this.thinSamples(1, uplinks);
    if (this.over(1).includes('samples')) this.thinSamples(2, uplinks);

    const over = this.over(1);
    const relieved = this.over(RELEASE_AT).length === 0;
    const alarms: string[] = [];
    for (const cls of ['samples', 'events'] as const) {
      if (over.length && !this.outbox.refusing.has(cls)) this.outbox.refusing.set(cls, `disk budget reached (${over.join(', ')})`);
      if (relieved) this.outbox.refusing.delete(cls);
    }
    for (const [cls, why] of this.outbox.refusing) alarms.push(`refusing new ${cls}: ${why}`);
    for (const cls of NEVER_DROPPED) if (over.includes(cls)) alarms.push(`${cls} over their disk budget; kept (never dropped)`);
    if (over.includes('disk')) alarms.push(`disk almost full: ${Math.round(this.freeBytes() / 1e6)} MB free`);
    return { usage: this.usage(), freeBytes: this.freeBytes(), alarms };
  }

  usage(): Record<DataClass, number> {
    const u = Object.fromEntries(CLASSES.map((c) => [c, 0])) as Record<DataClass, number>;
    for (const h of this.outbox.held()) u[STREAMS[h.stream]] += h.bytes;
    return u;
  }

  /** What is over `share` of its limit: data classes, 'total', 'disk'. */
  private over(share: number): (DataClass | 'total' | 'disk')[] {
    const u = this.usage();
    const out: (DataClass | 'total' | 'disk')[] = CLASSES.filter((c) => {
      const limit = this.limits.perClassBytes[c];
      return limit !== undefined && u[c] > limit * share;
    });
    const total = CLASSES.reduce((s, c) => s + u[c], 0);
    if (total > this.limits.totalBytes * share) out.push('total', 'samples');
    if (this.freeBytes() < this.limits.minFreeBytes / share) out.push('disk', 'samples');
    return [...new Set(out)];
  }

  /** Stage 1 keeps every 10th sample, stage 2 one per meter per hour, in the older half of what is unsent. */
  private thinSamples(stage: 1 | 2, uplinks: Map<Stream, string[]>): void {
    for (const stream of STREAM_NAMES.filter((s) => STREAMS[s] === 'samples')) {
      const takers = uplinks.get(stream) ?? [];
      const from = takers.length ? Math.min(...takers.map((u) => this.outbox.cursor(u, stream))) : 0;
      const next = this.outbox.held().find((h) => h.stream === stream)!.nextSeq;
      const upto = from + Math.floor((next - 1 - from) / 2);
      if (upto <= from) continue;
      const removed =
        stage === 1
          ? this.outbox.deleteWhere(stream, 'seq > ? AND seq <= ? AND seq % 10 != 0', [from, upto])
          : this.outbox.deleteWhere(
              stream,
              `seq > ? AND seq <= ? AND seq NOT IN (SELECT MIN(seq) FROM outbox_records WHERE stream = '${stream}' AND seq > ? AND seq <= ?
                 GROUP BY json_extract(payload, '$.deviceId'), at / 3600000)`,
              [from, upto, from, upto],
            );
      this.outbox.recordThinning(stream, from, upto, removed);
      this.outbox.countDrop(stream, stage === 1 ? 'thinned-every-10th' : 'thinned-hourly', removed);
    }
  }
}
