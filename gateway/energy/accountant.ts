// Books meter readings into interval consumption. Each reading's counter step
// (checked by counterStep) is spread over the minutes it covers; minute buckets
// are added into 1m, 15m, 1h and 1d rows in one transaction together with the new
// counter baseline, so a crash loses nothing: after a restart the next reading's
// difference from the stored baseline books the gap (marked estimated).
import type { EventBus } from '../bus/event-bus.ts';
import type { MeterReadingMsg } from '../wire/devices.ts';
import { PERIODS, type EnergyAnomaly, type EnergyInterval, type Medium, type Period } from '../wire/energy.ts';
import type { Db } from '../store/sqlite.ts';
import { counterStep, type CounterLimits } from './counter.ts';
import { PERIOD_MS, periodStart } from './periods.ts';

export interface MeteredPoint {
  meter: string;
  medium: Medium;
  /** the counter point booked, e.g. energy_import or volume_total */
  counter: string;
  unit: string;
  limits: CounterLimits;
  pollMs: number;
}

interface Bucket {
  amount: number;
  estimated: boolean;
  anomalies: number;
  powerSum: number;
  powerSamples: number;
}

export interface AccountantOptions {
  db: Db;
  meters: MeteredPoint[];
  timeZone: string;
  onAnomaly?: (a: EnergyAnomaly) => void;
  /** resolves once the interval is safely handed on (durable in the outbox) */
  onIntervalClosed?: (i: EnergyInterval) => Promise<unknown> | void;
  /** epoch ms the first 15-minute interval is counted from, when none was announced yet */
  now?: number;
}

export class EnergyAccountant {
  private readonly baselines = new Map<string, { value: number; at: number }>();
  private readonly pending = new Map<string, Map<number, Bucket>>();
  private readonly dirtyBaselines = new Set<string>();
  private readonly meters: Map<string, MeteredPoint>;
  private lastClosed15m: number;
  private announcing: Promise<void> = Promise.resolve();
  private readonly upsert;
  private readonly saveBaseline;
  private readonly insertAnomaly;

  private readonly db: Db;
  private readonly timeZone: string;
  private readonly onAnomaly: (a: EnergyAnomaly) => void;
  private readonly onIntervalClosed: (i: EnergyInterval) => Promise<unknown> | void;

  constructor(opts: AccountantOptions) {
    const { db, meters, timeZone, now = Date.now() } = opts;
    this.db = db;
    this.timeZone = timeZone;
    this.onAnomaly = opts.onAnomaly ?? (() => {});
    this.onIntervalClosed = opts.onIntervalClosed ?? (() => {});
    this.meters = new Map(meters.map((m) => [m.meter, m]));
    for (const row of db.prepare('SELECT meter, value, at FROM energy_counters').all() as { meter: string; value: number; at: number }[]) {
      this.baselines.set(row.meter, { value: row.value, at: row.at });
    }
    const announced = db.prepare("SELECT upto FROM energy_announced WHERE period = '15m'").pluck().get() as number | undefined;
    this.lastClosed15m = announced ?? periodStart(now, '15m', timeZone);
    this.upsert = db.prepare(`INSERT INTO energy_intervals (meter, period, start, amount, estimated, anomalies, power_sum, power_samples)
      VALUES (@meter, @period, @start, @amount, @estimated, @anomalies, @powerSum, @powerSamples)
      ON CONFLICT (meter, period, start) DO UPDATE SET amount = amount + excluded.amount,
        estimated = max(estimated, excluded.estimated), anomalies = anomalies + excluded.anomalies,
        power_sum = power_sum + excluded.power_sum, power_samples = power_samples + excluded.power_samples`);
    this.saveBaseline = db.prepare('INSERT INTO energy_counters (meter, value, at) VALUES (?, ?, ?) ON CONFLICT (meter) DO UPDATE SET value = excluded.value, at = excluded.at');
    this.insertAnomaly = db.prepare('INSERT INTO energy_anomalies (meter, at, kind, detail, prev, value) VALUES (?, ?, ?, ?, ?, ?)');
  }

  /** Subscribes to meter readings on the bus; returns the unsubscribe function. */
  attach(bus: EventBus): () => void {
    return bus.on('meter:reading', (r) => this.book(r));
  }

  book(reading: MeterReadingMsg): void {
    const m = this.meters.get(reading.deviceId);
    if (!m) return;
    const at = reading.at;
    const power = reading.values.power_total;
    if (power && m.medium === 'electricity') {
      const b = this.bucket(m.meter, periodStart(at, '1m', this.timeZone));
      b.powerSum += power.unit === 'kW' ? power.value * 1000 : power.value;
      b.powerSamples += 1;
    }
    const counter = reading.values[m.counter];
    if (!counter || !Number.isFinite(counter.value)) return;
    const prev = this.baselines.get(m.meter);
    this.baselines.set(m.meter, { value: counter.value, at });
    this.dirtyBaselines.add(m.meter);
    if (!prev || at <= prev.at) return;

    const step = counterStep(prev.value, counter.value, (at - prev.at) / 3_600_000, m.limits);
    const gap = at - prev.at > Math.max(2.5 * m.pollMs, 90_000);
    if (step.anomaly) {
      const b = this.bucket(m.meter, periodStart(at, '1m', this.timeZone));
      b.anomalies += 1;
      b.estimated = true;
      // the anomaly's row and what its listeners write (the outbox's alert joins the transaction) commit together
      this.db.transaction(() => {
        this.insertAnomaly.run(m.meter, at, step.anomaly!.kind, step.anomaly!.detail, prev.value, counter.value);
        this.onAnomaly({ meter: m.meter, at, ...step.anomaly! });
      }).immediate();
      return;
    }
    this.spread(m.meter, prev.at, at, step.delta, gap);
  }

  /** Writes every pending bucket and baseline in one transaction; announces closed 15-min intervals. */
  flush(now = Date.now()): void {
    this.db.transaction(() => {
      for (const [meter, buckets] of this.pending) {
        for (const [minute, b] of buckets) {
          for (const period of PERIODS) {
            this.upsert.run({
              meter,
              period,
              start: period === '1m' ? minute : periodStart(minute, period, this.timeZone),
              amount: b.amount,
              estimated: b.estimated ? 1 : 0,
              anomalies: b.anomalies,
              powerSum: period === '1m' ? b.powerSum : 0,
              powerSamples: period === '1m' ? b.powerSamples : 0,
            });
          }
        }
      }
      for (const meter of this.dirtyBaselines) {
        const b = this.baselines.get(meter)!;
        this.saveBaseline.run(meter, b.value, b.at);
      }
    }).immediate();
    this.pending.clear();
    this.dirtyBaselines.clear();
    this.announceClosed(now);
  }

  /** Consumption booked since `since` and not yet flushed, per meter. */
  /** Does the meter have booked-but-unwritten minutes since `since` (a reading arrived, even of zero use)? */
  hasUnflushed(meter: string, since: number): boolean {
    for (const minute of this.pending.get(meter)?.keys() ?? []) if (minute >= since) return true;
    return false;
  }

  unflushed(meter: string, since: number): number {
    let sum = 0;
    for (const [minute, b] of this.pending.get(meter) ?? []) if (minute >= since) sum += b.amount;
    return sum;
  }

  /** Resolves when every interval announced so far has been handed on. */
  settled(): Promise<void> {
    return this.announcing;
  }

  /**
   * Hands on the 15-minute intervals closed since the last announcement; the mark
   * moves only after the receiver of each has it, so a crash re-announces rather
   * than loses them.
   */
  private announceClosed(now: number): void {
    const current = periodStart(now, '15m', this.timeZone);
    const from = this.lastClosed15m;
    if (current <= from) return;
    this.lastClosed15m = current;
    const rows = this.db
      .prepare("SELECT meter, start, amount, estimated, anomalies FROM energy_intervals WHERE period = '15m' AND start >= ? AND start < ? ORDER BY start, meter")
      .all(from, current) as { meter: string; start: number; amount: number; estimated: number; anomalies: number }[];
    const handed = rows.flatMap((r) => {
      const m = this.meters.get(r.meter);
      if (!m) return [];
      const end = r.start + PERIOD_MS['15m'];
      return [this.onIntervalClosed({ meter: r.meter, medium: m.medium, unit: m.unit, period: '15m', start: r.start, end, amount: r.amount, estimated: r.estimated === 1, anomalies: r.anomalies, ...this.readingAt(r.meter, end) })];
    });
    const mark = this.db.prepare("INSERT INTO energy_announced (period, upto) VALUES ('15m', ?) ON CONFLICT (period) DO UPDATE SET upto = excluded.upto");
    this.announcing = this.announcing
      .then(() => Promise.all(handed))
      .then(() => void mark.run(current))
      .catch(() => {
        // Not handed on: try again from `from` at the next flush.
        this.lastClosed15m = Math.min(this.lastClosed15m, from);
      });
  }

  /**
   * The counter at `end`: the latest counter less what was booked after `end` (all
   * written: flush runs first). Unknown when no reading came after `end`, or when a
   * counter anomaly after it (not booked) breaks the sum.
   */
  private readingAt(meter: string, end: number): { reading?: number } {
    const b = this.baselines.get(meter);
    if (!b || b.at < end) return {};
    const later = this.db
      .prepare("SELECT COALESCE(SUM(amount), 0) AS amount, COALESCE(SUM(anomalies), 0) AS anomalies FROM energy_intervals WHERE meter = ? AND period = '15m' AND start >= ?")
      .get(meter, end) as { amount: number; anomalies: number };
    if (later.anomalies > 0) return {};
    return { reading: Math.round((b.value - later.amount) * 1e6) / 1e6 };
  }

  /** Books `delta` over [from, to) in proportion to each minute's share of it. */
  private spread(meter: string, from: number, to: number, delta: number, estimated: boolean): void {
    for (let minute = periodStart(from, '1m', this.timeZone); minute < to; minute += PERIOD_MS['1m']) {
      const overlap = Math.min(to, minute + PERIOD_MS['1m']) - Math.max(from, minute);
      if (overlap <= 0) continue;
      const b = this.bucket(meter, minute);
      b.amount += (delta * overlap) / (to - from);
      if (estimated) b.estimated = true;
    }
  }

  private bucket(meter: string, minute: number): Bucket {
    let buckets = this.pending.get(meter);
    if (!buckets) this.pending.set(meter, (buckets = new Map()));
    let b = buckets.get(minute);
    if (!b) buckets.set(minute, (b = { amount: 0, estimated: false, anomalies: 0, powerSum: 0, powerSamples: 0 }));
    return b;
  }
}
