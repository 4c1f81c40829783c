// Energy accounting in the running gateway: which point of which meter is booked,
// the flush and retention timers, the panel's summary on the bus and over HTTP.
import type { FastifyPluginAsync } from 'fastify';
import type { AnyProfile } from '../../drivers/meter-protocols.ts';
import type { EventBus } from '../bus/event-bus.ts';
import type { EnergyConfig, MeterConfig } from '../config/schema.ts';
import type { LiveState } from '../live.ts';
import type { Logger } from '../log.ts';
import type { EnergyInterval, EnergySeriesMsg, EnergySummaryMsg, Medium } from '../wire/energy.ts';
import type { Db } from '../store/sqlite.ts';
import { EnergyAccountant, type MeteredPoint } from './accountant.ts';
import { BaseloadWatch } from './baseload.ts';
import { periodStart } from './periods.ts';
import { EnergyReport } from './report.ts';
import { pruneHistory } from './retention.ts';

const SUMMARY_EVERY_MS = 1000;
const PRUNE_EVERY_MS = 3_600_000;

/** The counter point booked for a meter, and what it meters; undefined for a meter without counters. */
export function meteredPoint(meter: MeterConfig, profile: AnyProfile): MeteredPoint | undefined {
  const counters = profile.points.filter((p) => p.kind === 'counter');
  const point = meter.counter
    ? counters.find((p) => p.name === meter.counter)
    : (counters.find((p) => p.name === 'energy_import') ?? counters[0]);
  if (!point) return undefined;
  const medium: Medium = meter.medium ?? profile.medium ?? (point.unit === 'kWh' ? 'electricity' : 'water');
  return {
    meter: meter.id,
    medium,
    counter: point.name,
    unit: point.unit,
    limits: { max: point.max, maxRatePerHour: meter.max_rate_per_hour },
    pollMs: meter.poll_ms,
  };
}

export interface EnergyOptions {
  db: Db;
  bus: EventBus;
  live: LiveState;
  logger: Logger;
  cfg: EnergyConfig;
  meters: { config: MeterConfig; point: MeteredPoint }[];
  timeZone: string;
  /** where closed intervals go upstream; resolves once durable */
  intervalSink?: (i: EnergyInterval) => Promise<unknown>;
}

export class EnergyModule {
  readonly accountant: EnergyAccountant;
  readonly report: EnergyReport;
  private latest: EnergySummaryMsg | null = null;
  private timers: NodeJS.Timeout[] = [];
  private lastSummaryAt = 0;
  private summaryTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void)[] = [];
  private readonly siteMeters: string[];

  private readonly db: Db;
  private readonly bus: EventBus;
  private readonly live: LiveState;
  private readonly logger: Logger;
  private readonly cfg: EnergyConfig;
  private readonly meters: { config: MeterConfig; point: MeteredPoint }[];
  private readonly timeZone: string;

  constructor(opts: EnergyOptions) {
    const { db, bus, logger, cfg, meters, timeZone, intervalSink = async () => {} } = opts;
    this.db = db;
    this.bus = bus;
    this.live = opts.live;
    this.logger = logger;
    this.cfg = cfg;
    this.meters = meters;
    this.timeZone = timeZone;
    const points = meters.map((m) => m.point);
    this.siteMeters = cfg.site_meters ?? points.map((p) => p.meter);
    const baseload = newBaseloadWatch(db, bus, cfg, points, timeZone);
    this.accountant = new EnergyAccountant({
      db,
      meters: points,
      timeZone,
      onAnomaly: (a) => {
        logger.warn({ meter: a.meter, kind: a.kind, detail: a.detail }, 'meter counter anomaly');
        bus.emit('energy:anomaly', a);
      },
      // straight to the outbox, not over the bus: the accountant waits until the interval is durable;
      // the base-load watch (night and holiday consumption) looks at each closed interval first
      onIntervalClosed: (i) => {
        baseload?.check(i);
        return intervalSink(i);
      },
    });
    this.report = new EnergyReport({
      db,
      meters: points,
      site: {
        timeZone,
        headcount: cfg.headcount,
        floorAreaM2: cfg.floor_area_m2,
        siteMeters: this.siteMeters,
        factors: {
          electricityKgcePerKwh: cfg.factors.electricity_kgce_per_kwh,
          gasKgcePerM3: cfg.factors.gas_kgce_per_m3,
          gridCo2TPerMwh: cfg.factors.grid_co2_t_per_mwh,
          gasCo2KgPerM3: cfg.factors.gas_co2_kg_per_m3,
          sources: { coal: cfg.factors.coal_source, grid: cfg.factors.grid_co2_source, gas: cfg.factors.gas_co2_source },
        },
        targets: {
          kgcePerM2Year: cfg.targets.kgce_per_m2_year,
          kgcePerPersonYear: cfg.targets.kgce_per_person_year,
          waterM3PerPersonYear: cfg.targets.water_m3_per_person_year,
        },
      },
      accountant: this.accountant,
    });
  }

  /** Told of a failed flush (a full disk makes the box unready: gateway/ops/disk-guard.ts). */
  onWriteError: ((err: unknown) => void) | undefined;

  start(): void {
    this.unsubscribe.push(this.accountant.attach(this.bus));
    this.unsubscribe.push(this.bus.on('meter:reading', () => this.scheduleSummary()));
    this.timers.push(setInterval(() => this.flush(), this.cfg.flush_ms));
    this.prune();
    this.timers.push(setInterval(() => this.prune(), PRUNE_EVERY_MS));
  }

  async stop(): Promise<void> {
    this.unsubscribe.forEach((u) => u());
    this.timers.forEach((t) => clearInterval(t));
    clearTimeout(this.summaryTimer);
    this.flush();
    await this.accountant.settled();
  }

  latestSummary(): EnergySummaryMsg | null {
    return this.latest;
  }

  summary(now = Date.now()): EnergySummaryMsg {
    const s = this.report.summary(now);
    const point = new Map(this.meters.map((m) => [m.config.id, m.point]));
    const powerKw = (id: string): number | null => {
      const reading = this.live.readings.get(id);
      const p = reading?.values.power_total;
      // A silent meter's last reading is not its power now.
      const stale = !reading || now - reading.at > 3 * (point.get(id)?.pollMs ?? 1000) + 2000;
      return p && !stale ? (p.unit === 'kW' ? p.value : p.value / 1000) : null;
    };
    const today = (id: string) => s.todayPerMeter[id] ?? 0;
    return {
      at: s.at,
      today: s.today,
      month: s.month,
      year: s.year,
      indicators: s.indicators,
      factors: s.factors,
      compare: s.compare,
      sitePowerKw: this.siteMeters.reduce((sum, id) => sum + (powerKw(id) ?? 0), 0),
      meters: this.meters.map(({ config, point: p }) => ({
        id: config.id,
        name: config.name ?? config.id,
        medium: p.medium,
        unit: p.unit,
        site: this.siteMeters.includes(config.id),
        todayAmount: today(config.id),
        powerKw: powerKw(config.id),
      })),
      groups: this.cfg.groups.map((g) => ({
        id: g.id,
        name: g.name,
        subItem: g.sub_item ?? null,
        powerKw: g.meters.reduce((sum, id) => sum + (powerKw(id) ?? 0), 0),
        todayKwh: g.meters.filter((id) => point.get(id)?.medium === 'electricity').reduce((sum, id) => sum + today(id), 0),
        todayWaterM3: g.meters.filter((id) => point.get(id)?.medium === 'water').reduce((sum, id) => sum + today(id), 0),
      })),
      anomalies: s.anomalies,
    };
  }

  /** The site's series, or a group's; undefined for an unknown group. */
  series(period: '15m' | '1d', group?: string, dayStart?: number): EnergySeriesMsg | undefined {
    const members = group === undefined ? undefined : this.cfg.groups.find((g) => g.id === group)?.meters;
    if (group !== undefined && !members) return undefined;
    if (dayStart !== undefined && period === '15m') return this.report.daySeries(dayStart, Date.now(), members);
    return this.report.series(period, period === '15m' ? 96 : 30, Date.now(), members);
  }

  routes: FastifyPluginAsync = async (app) => {
    // facility staff (and admin): gateway/auth/roles.ts
    app.get('/api/energy/summary', { config: { access: ['facility'] } }, async () => this.summary());
    app.get<{ Querystring: { period: '15m' | '1d'; group?: string; day?: string } }>(
      '/api/energy/series',
      {
        config: { access: ['facility'] },
        schema: {
          querystring: {
            type: 'object',
            properties: {
              period: { type: 'string', enum: ['15m', '1d'] },
              group: { type: 'string', maxLength: 63 },
              day: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
            },
            required: ['period'],
            additionalProperties: false,
          },
        },
      },
      async (req, reply) => {
        let dayStart: number | undefined;
        if (req.query.day !== undefined) {
          // the site's local day: noon of that date in the site zone, back to its start
          const start = periodStart(Date.parse(`${req.query.day}T12:00:00Z`), '1d', this.timeZone);
          dayStart = start;
          if (!Number.isFinite(start) || start > Date.now()) return reply.code(400).send({ error: `day "${req.query.day}": expected a past or current date, YYYY-MM-DD` });
        }
        return this.series(req.query.period, req.query.group, dayStart) ?? reply.code(404).send({ error: `no energy group "${req.query.group}"` });
      },
    );
  };

  private flush(): void {
    try {
      this.accountant.flush();
    } catch (err) {
      // The readings are still pending in memory; the next flush retries them.
      this.onWriteError?.(err);
      this.logger.error({ err }, 'energy flush failed');
    }
  }

  private prune(): void {
    const r = this.cfg.retention_days;
    try {
      pruneHistory(this.db, { '1m': r.minute, '15m': r.quarter, '1h': r.hour, '1d': r.day ?? null });
    } catch (err) {
      this.logger.error({ err }, 'energy history pruning failed');
    }
  }

  /** At most one summary a second, and always one shortly after the latest reading. */
  private scheduleSummary(): void {
    if (this.summaryTimer) return;
    const wait = Math.max(0, this.lastSummaryAt + SUMMARY_EVERY_MS - Date.now());
    this.summaryTimer = setTimeout(() => {
      this.summaryTimer = undefined;
      this.lastSummaryAt = Date.now();
      this.latest = this.summary(this.lastSummaryAt);
      this.bus.emit('energy:summary', this.latest);
    }, wait);
  }
}

/** The night/holiday base-load watch of the electricity meters (gateway/energy/baseload.ts), unless switched off. */
function newBaseloadWatch(db: Db, bus: EventBus, cfg: EnergyConfig, points: MeteredPoint[], timeZone: string): BaseloadWatch | undefined {
  const b = cfg.baseload;
  if (!b.enabled) return undefined;
  const insert = db.prepare('INSERT INTO energy_anomalies (meter, at, kind, detail, prev, value) VALUES (?, ?, ?, ?, ?, ?)');
  return new BaseloadWatch({
    db,
    timeZone,
    openingHours: b.opening_hours,
    closedDates: b.closed_dates,
    factor: b.factor,
    minExcessKwh: b.min_excess_kwh,
    minSamples: b.min_samples,
    kgcePerKwh: cfg.factors.electricity_kgce_per_kwh,
    meters: points.filter((p) => p.medium === 'electricity').map((p) => p.meter),
    // the anomaly's row and the outbox's alert commit together, as the counter anomalies do
    onAnomaly: ({ prev, value, ...a }) =>
      db.transaction(() => {
        insert.run(a.meter, a.at, a.kind, a.detail, prev, value);
        bus.emit('energy:anomaly', a);
      }).immediate(),
  });
}
