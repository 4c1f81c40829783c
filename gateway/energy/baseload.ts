// Night and holiday base load: electricity used while the canteen is closed (outside
// `energy.baseload.opening_hours`, or on a closed date) above what the same meter
// usually draws then — lights, ovens or extraction fans left on. The baseline is
// learned: the median of the meter's closed-hours quarters over the last 14 days, and
// nothing is flagged before it rests on `min_samples` of them. A flagged quarter is a
// counter anomaly of kind "baseload" (the panel lists it, the outbox sends it as an
// alert) with its cost in kWh and kgce; one per meter per closed stretch.
import type { Db } from '../store/sqlite.ts';
import type { EnergyAnomaly, EnergyInterval } from '../wire/energy.ts';
import { PERIOD_MS } from './periods.ts';

export interface BaseloadOptions {
  db: Db;
  timeZone: string;
  /** "HH:MM-HH:MM" local times the canteen is open */
  openingHours: string[];
  /** "YYYY-MM-DD" local dates it is closed all day (holidays, vacations) */
  closedDates: string[];
  /** flagged above baseline × factor + minExcessKwh */
  factor: number;
  minExcessKwh: number;
  minSamples: number;
  kgcePerKwh: number;
  /** the electricity meters watched */
  meters: string[];
  /** books the anomaly (row + listeners in one transaction) */
  onAnomaly: (a: EnergyAnomaly & { prev: number; value: number }) => void;
}

const LEARN_DAYS = 14;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

export class BaseloadWatch {
  private readonly ranges: [number, number][];
  private readonly local: Intl.DateTimeFormat;
  /** meters already flagged in the current closed stretch */
  private readonly flagged = new Set<string>();

  constructor(private readonly o: BaseloadOptions) {
    this.ranges = o.openingHours.map((r) => {
      const [from, to] = r.split('-');
      return [minutesOf(from!), minutesOf(to!)];
    });
    this.local = new Intl.DateTimeFormat('en-CA', { timeZone: o.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }

  /** Is the canteen closed during the quarter starting at `start`? */
  closed(start: number): boolean {
    const parts = Object.fromEntries(this.local.formatToParts(new Date(start)).map((p) => [p.type, p.value]));
    if (this.o.closedDates.includes(`${parts.year}-${parts.month}-${parts.day}`)) return true;
    const minute = Number(parts.hour) * 60 + Number(parts.minute);
    return !this.ranges.some(([from, to]) => (from <= to ? minute >= from && minute < to : minute >= from || minute < to));
  }

  /** The median of the meter's closed-hours quarters in the 14 days before `before`; undefined with too few. */
  baseline(meter: string, before: number): number | undefined {
    const rows = this.o.db
      .prepare("SELECT start, amount FROM energy_intervals WHERE meter = ? AND period = '15m' AND start >= ? AND start < ? AND estimated = 0")
      .all(meter, before - LEARN_DAYS * PERIOD_MS['1d'], before) as { start: number; amount: number }[];
    const closed = rows.filter((r) => this.closed(r.start)).map((r) => r.amount).sort((a, b) => a - b);
    if (closed.length < this.o.minSamples) return undefined;
    const mid = closed.length >> 1;
    return closed.length % 2 ? closed[mid]! : (closed[mid - 1]! + closed[mid]!) / 2;
  }

  /** Looks at one closed 15-minute interval. */
  check(i: EnergyInterval): void {
    if (i.period !== '15m' || i.medium !== 'electricity' || !this.o.meters.includes(i.meter)) return;
    if (!this.closed(i.start)) {
      this.flagged.delete(i.meter);
      return;
    }
    if (i.estimated || this.flagged.has(i.meter)) return;
    const base = this.baseline(i.meter, i.start);
    if (base === undefined) return;
    const excess = i.amount - base;
    if (i.amount <= base * this.o.factor + this.o.minExcessKwh) return;
    this.flagged.add(i.meter);
    const kgce = excess * this.o.kgcePerKwh;
    this.o.onAnomaly({
      meter: i.meter,
      at: i.end,
      kind: 'baseload',
      detail: `${i.amount.toFixed(3)} kWh in a closed quarter against a usual ${base.toFixed(3)} kWh: ${excess.toFixed(3)} kWh (${kgce.toFixed(4)} kgce) more`,
      prev: base,
      value: i.amount,
    });
  }
}
