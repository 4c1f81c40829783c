// What the energy panel and the province want to know: consumption today, this
// month and this year; standard coal (kgce) and CO₂; per-person and per-m²
// indicators against the site's targets; the last 24 h and 30 days.
import type { EnergySeriesMsg, IndicatorMsg, WindowTotalsMsg } from '../wire/energy.ts';
import type { Db } from '../store/sqlite.ts';
import type { Medium } from '../wire/energy.ts';
import type { EnergyAccountant, MeteredPoint } from './accountant.ts';
import { PERIOD_MS, calendarStart, periodStart } from './periods.ts';

/** Days of data a yearly projection needs at least. */
export const MIN_FORECAST_DAYS = 30;

export interface EnergyFactors {
  electricityKgcePerKwh: number;
  gasKgcePerM3: number;
  /** t CO₂ per MWh, which is kg per kWh */
  gridCo2TPerMwh: number;
  /** kg CO₂ per m³ of natural gas burnt on site (a direct emission) */
  gasCo2KgPerM3: number;
  /** where the figures come from, shown on the panel */
  sources: { coal: string; grid: string; gas: string };
}

export interface EnergyTargets {
  kgcePerM2Year?: number;
  kgcePerPersonYear?: number;
  waterM3PerPersonYear?: number;
}

export interface EnergySite {
  timeZone: string;
  headcount?: number;
  floorAreaM2?: number;
  /** meters whose sum is the site's total; the others are sub-meters */
  siteMeters: string[];
  factors: EnergyFactors;
  targets: EnergyTargets;
}

export class EnergyReport {
  private readonly db: Db;
  private readonly meters: MeteredPoint[];
  private readonly site: EnergySite;
  private readonly accountant: EnergyAccountant;

  constructor(opts: { db: Db; meters: MeteredPoint[]; site: EnergySite; accountant: EnergyAccountant }) {
    this.db = opts.db;
    this.meters = opts.meters;
    this.site = opts.site;
    this.accountant = opts.accountant;
  }

  /** Consumption per meter since `from`, from stored days plus what is not flushed yet. */
  perMeterSince(from: number): Map<string, number> {
    const rows = this.db
      .prepare("SELECT meter, SUM(amount) AS amount FROM energy_intervals WHERE period = '1m' AND start >= ? GROUP BY meter")
      .all(from) as { meter: string; amount: number }[];
    return this.withPending(rows, from);
  }

  window(from: number): WindowTotalsMsg {
    // Months and years are summed from daily rows (minute rows are not kept that long).
    const rows = this.db
      .prepare("SELECT meter, SUM(amount) AS amount FROM energy_intervals WHERE period = '1d' AND start >= ? GROUP BY meter")
      .all(from) as { meter: string; amount: number }[];
    const per = this.withPending(rows, from);
    const sum = (medium: Medium) =>
      this.meters.filter((m) => m.medium === medium && this.site.siteMeters.includes(m.meter)).reduce((s, m) => s + (per.get(m.meter) ?? 0), 0);
    const electricityKwh = sum('electricity');
    const gasM3 = sum('gas');
    const f = this.site.factors;
    return {
      from,
      electricityKwh,
      waterM3: sum('water'),
      gasM3,
      kgce: electricityKwh * f.electricityKgcePerKwh + gasM3 * f.gasKgcePerM3,
      // indirect (purchased electricity) plus direct (gas burnt in the kitchen): both count
      co2Kg: electricityKwh * f.gridCo2TPerMwh + gasM3 * f.gasCo2KgPerM3,
      co2ElectricityKg: electricityKwh * f.gridCo2TPerMwh,
      co2GasKg: gasM3 * f.gasCo2KgPerM3,
    };
  }

  summary(now = Date.now()) {
    const tz = this.site.timeZone;
    const today = this.window(periodStart(now, '1d', tz));
    const month = this.window(calendarStart(now, 'month', tz));
    const yearStart = calendarStart(now, 'year', tz);
    const year = this.window(yearStart);
    const nextYear = calendarStart(yearStart + 366 * PERIOD_MS['1d'], 'year', tz);
    // The year is projected from the days this box has data for, not from 1 January: a box
    // installed in November has not seen the other ten months. Fewer than
    // MIN_FORECAST_DAYS days (a week of holidays, one canteen term) give no projection.
    const first = (this.db.prepare("SELECT MIN(start) AS first FROM energy_intervals WHERE period = '1m'").get() as { first: number | null }).first
      ?? (this.db.prepare("SELECT MIN(start) AS first FROM energy_intervals WHERE period = '1d'").get() as { first: number | null }).first;
    const dataFrom = first === null ? now : Math.max(first, yearStart);
    const dataDays = Math.max(0, (now - dataFrom) / PERIOD_MS['1d']);
    const share = (now - dataFrom) / (nextYear - yearStart);
    const indicator = (total: number, per: number | undefined, target: number | undefined): IndicatorMsg | null =>
      per
        ? {
            ytd: total / per,
            projectedYear: dataDays >= MIN_FORECAST_DAYS && share > 0 ? total / per / share : null,
            dataDays: Math.floor(dataDays),
            minDays: MIN_FORECAST_DAYS,
            target: target ?? null,
          }
        : null;
    const { headcount, floorAreaM2, targets } = this.site;
    return {
      at: now,
      today,
      month,
      year,
      indicators: {
        kgcePerM2: indicator(year.kgce, floorAreaM2, targets.kgcePerM2Year),
        kgcePerPerson: indicator(year.kgce, headcount, targets.kgcePerPersonYear),
        waterM3PerPerson: indicator(year.waterM3, headcount, targets.waterM3PerPersonYear),
      },
      factors: {
        electricityKgcePerKwh: this.site.factors.electricityKgcePerKwh,
        gasKgcePerM3: this.site.factors.gasKgcePerM3,
        gridCo2KgPerKwh: this.site.factors.gridCo2TPerMwh,
        gasCo2KgPerM3: this.site.factors.gasCo2KgPerM3,
        sources: this.site.factors.sources,
      },
      compare: {
        day: { current: today.electricityKwh, previous: this.siteKwhBetween('1m', periodStart(today.from - PERIOD_MS['1h'], '1d', tz), now - today.from) },
        month: { current: month.electricityKwh, previous: this.siteKwhBetween('1h', calendarStart(month.from - PERIOD_MS['1d'], 'month', tz), now - month.from) },
      },
      todayPerMeter: Object.fromEntries(this.perMeterSince(today.from)),
      anomalies: this.recentAnomalies(now - PERIOD_MS['1d']),
    };
  }

  /** Totals per period — of the site, or of the given meters (a group) — for the last `count` periods. */
  /** The 96 quarters of the local day starting at `dayStart` (the day picker); partial only for today's running quarter. */
  daySeries(dayStart: number, now = Date.now(), only?: string[]): EnergySeriesMsg {
    const end = Math.min(now, periodStart(dayStart + PERIOD_MS['1d'] + PERIOD_MS['1h'] * 2, '1d', this.site.timeZone) - 1);
    const s = this.series('15m', 96, end, only);
    return { ...s, points: s.points.map((p) => ({ ...p, partial: p.partial && end === now })) };
  }

  series(period: '15m' | '1d', count: number, now = Date.now(), only?: string[]): EnergySeriesMsg {
    const tz = this.site.timeZone;
    const last = periodStart(now, period, tz);
    const from = last - (count - 1) * PERIOD_MS[period];
    const rows = this.db
      .prepare('SELECT meter, start, amount, estimated FROM energy_intervals WHERE period = ? AND start >= ? ORDER BY start')
      .all(period, from) as { meter: string; start: number; amount: number; estimated: number }[];
    const members = only ?? this.site.siteMeters;
    const medium = new Map(this.meters.filter((m) => members.includes(m.meter)).map((m) => [m.meter, m.medium]));
    // A period no meter of a medium booked anything in (before the box existed, or while
    // its meters were silent) is a gap, null — never a zero. A meter that reports and
    // uses nothing books zero rows, so "0" means "measured nothing used".
    const points = new Map<number, EnergySeriesMsg['points'][number]>();
    for (let s = from; s <= last; s += PERIOD_MS[period]) {
      const start = period === '1d' ? periodStart(s + PERIOD_MS['1h'] * 12, '1d', tz) : s;
      points.set(start, { start, electricityKwh: null, waterM3: null, estimated: false, partial: start === last });
    }
    const add = (p: EnergySeriesMsg['points'][number], kind: string, amount: number) => {
      if (kind === 'electricity') p.electricityKwh = (p.electricityKwh ?? 0) + amount;
      if (kind === 'water') p.waterM3 = (p.waterM3 ?? 0) + amount;
    };
    for (const r of rows) {
      const p = points.get(r.start);
      const kind = medium.get(r.meter);
      if (!p || !kind) continue;
      add(p, kind, r.amount);
      if (r.estimated) p.estimated = true;
    }
    const open = points.get(last);
    if (open) {
      for (const [meter, kind] of medium) {
        if (this.accountant.hasUnflushed(meter, last)) add(open, kind, this.accountant.unflushed(meter, last));
      }
    }
    return { period, points: [...points.values()] };
  }

  /**
   * Site electricity in [from, from + span) from stored rows of `period`: the last period up
   * to the same time as now. null when nothing was booked then (the box did not exist yet).
   */
  siteKwhBetween(period: '1m' | '1h', from: number, span: number): number | null {
    const meters = this.meters.filter((m) => m.medium === 'electricity' && this.site.siteMeters.includes(m.meter)).map((m) => m.meter);
    if (!meters.length) return null;
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n, SUM(amount) AS kwh FROM energy_intervals WHERE period = ? AND start >= ? AND start < ? AND meter IN (${meters.map(() => '?').join(',')})`)
      .get(period, from, from + span, ...meters) as { n: number; kwh: number | null };
    return row.n ? (row.kwh ?? 0) : null;
  }

  /** With the counter readings (prev → value) the panel words each anomaly from, in Chinese or English. */
  recentAnomalies(since: number, limit = 50): { meter: string; at: number; kind: string; detail: string; prev: number | null; value: number | null; kgce: number | null }[] {
    const rows = this.db
      .prepare('SELECT meter, at, kind, detail, prev, value FROM energy_anomalies WHERE at >= ? ORDER BY at DESC LIMIT ?')
      .all(since, limit) as { meter: string; at: number; kind: string; detail: string; prev: number | null; value: number | null }[];
    // the cost of a base-load anomaly in standard coal: the excess over the baseline
    return rows.map((r) => ({ ...r, kgce: r.kind === 'baseload' && r.prev !== null && r.value !== null ? (r.value - r.prev) * this.site.factors.electricityKgcePerKwh : null }));
  }

  private withPending(rows: { meter: string; amount: number }[], from: number): Map<string, number> {
    const per = new Map(rows.map((r) => [r.meter, r.amount]));
    for (const m of this.meters) {
      const add = this.accountant.unflushed(m.meter, from);
      if (add) per.set(m.meter, (per.get(m.meter) ?? 0) + add);
    }
    return per;
  }
}
