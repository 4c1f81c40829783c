// The outbox in the running gateway: what goes in (readings, consumption
// intervals, anomalies, device events), the forwarders to each uplink, the disk
// budget, and what /readyz and /metrics say about them.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { EventBus } from '../bus/event-bus.ts';
import type { LoadedUplink } from '../config/load.ts';
import type { OutboxConfig } from '../config/schema.ts';
import type { Logger } from '../log.ts';
import { METRIC_PREFIX, type Metrics } from '../metrics.ts';
import type { OutboxStatusMsg } from '../wire/admin.ts';
import type { DiskGuard } from '../ops/disk-guard.ts';
import type { Db } from '../store/sqlite.ts';
import { batchTimeoutMs, createUplink } from '../uplink/registry.ts';
import type { Uplink } from '../uplink/uplink.ts';
import { DiskBudget, type BudgetState } from './budget.ts';
import { Forwarder, LINK_STATES, type LinkStatus } from './forwarder.ts';
import { Outbox, OutboxRefused, type OutboxRecord } from './outbox.ts';
import { STREAM_NAMES, type Stream } from '../wire/streams.ts';
import { STREAMS } from './streams.ts';

const BUDGET_EVERY_MS = 30_000;
const STATUS_EVERY_MS = 5000;
const MB = 1024 * 1024;
/** Alerts the bus handed over while the disk was full, kept in memory until it has room (beyond this, counted lost). */
const MAX_KEPT_ALERTS = 10_000;

export interface OutboxModuleOptions {
  db: Db;
  boxId: string;
  dataDir: string;
  bus: EventBus;
  cfg: OutboxConfig;
  uplinks: LoadedUplink[];
  metrics: Metrics;
  logger: Logger;
  /** a full disk refuses writes; low disk thins the samples */
  disk?: DiskGuard;
}

export class OutboxModule {
  readonly outbox: Outbox;
  private readonly forwarders: Forwarder[];
  private readonly budget: DiskBudget;
  private budgetState: BudgetState | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private timers: NodeJS.Timeout[] = [];
  private latestStatus: OutboxStatusMsg | null = null;
  private readonly lastReadingSent = new Map<string, number>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly accepted: Counter<'stream'>;
  private readonly uplinks: Uplink[] = [];
  private readonly dropped: Counter<'stream' | 'reason'>;
  /** drops counted while the disk was full, written to outbox_drops once it has room */
  private readonly unwrittenDrops = new Map<Stream, number>();
  private readonly keptAlerts: { payload: unknown; key: string }[] = [];

  private readonly db: Db;
  private readonly bus: EventBus;
  private readonly cfg: OutboxConfig;
  private readonly logger: Logger;
  private readonly disk: DiskGuard | undefined;

  constructor(opts: OutboxModuleOptions) {
    const { db, boxId, dataDir, bus, cfg, uplinks, metrics, logger, disk } = opts;
    this.db = db;
    this.bus = bus;
    this.cfg = cfg;
    this.logger = logger;
    this.disk = disk;
    this.outbox = new Outbox(db, boxId);
    const m = outboxMetrics(metrics, () => this.backlogs(), () => this.links());
    this.outbox.on('dropped', (stream, reason, count) => {
      m.dropped.inc({ stream, reason }, count);
      logger.warn({ stream, reason, count }, 'outbox dropped records');
    });
    this.forwarders = uplinks.map((u) => {
      const uplink = createUplink(u, { boxId, logger });
      this.uplinks.push(uplink);
      return new Forwarder(this.outbox, uplink, {
        batchSize: cfg.batch_size,
        minBackoffMs: u.backoff.min_ms,
        maxBackoffMs: u.backoff.max_ms,
        offlineAfterMs: u.backoff.offline_after_ms,
        timeoutMs: batchTimeoutMs(u),
        onSent: (stream, n, ms) => {
          m.delivered.inc({ stream, uplink: u.id }, n);
          m.sendSeconds.observe({ uplink: u.id }, ms / 1000);
        },
        onState: (s) => logger.info({ uplink: s.uplink, state: s.state, error: s.lastError ?? undefined }, 'uplink state'),
        onError: (err) => logger.debug({ uplink: u.id, err: err.message }, 'uplink send failed'),
        onStall: (reason) => {
          m.stalls.inc({ uplink: u.id });
          logger.warn({ uplink: u.id, reason }, 'uplink stalled; watchdog reset it');
        },
      });
    });
    const byStream = new Map<Stream, string[]>(STREAM_NAMES.map((s) => [s, uplinks.filter((u) => (u.streams as Stream[]).includes(s)).map((u) => u.id)]));
    this.budget = new DiskBudget(this.outbox, dataDir, () => byStream, {
      totalBytes: cfg.budget_mb.total * MB,
      perClassBytes: {
        samples: cfg.budget_mb.samples * MB,
        events: cfg.budget_mb.events * MB,
        counters: cfg.budget_mb.counters && cfg.budget_mb.counters * MB,
        transactions: cfg.budget_mb.transactions && cfg.budget_mb.transactions * MB,
        alerts: cfg.budget_mb.alerts && cfg.budget_mb.alerts * MB,
      },
      minFreeBytes: cfg.min_free_disk_mb * MB,
      keepDeliveredMs: cfg.keep_delivered_hours * 3_600_000,
    });
    this.accepted = m.accepted;
    this.dropped = m.dropped;
    // Writes work again: what was counted or kept in memory goes to disk. The budget runs at
    // every change: a low disk makes room at once, and refusals lift as soon as the disk has
    // room again, not up to BUDGET_EVERY_MS later (readings and events refused meanwhile).
    disk?.on('change', (state) => {
      if (state !== 'full') this.writeBack();
      this.enforceBudget();
    });
  }

  start(): void {
    this.unsubscribe.push(
      this.bus.on('meter:reading', (r) => {
        const last = this.lastReadingSent.get(r.deviceId) ?? 0;
        // a clock stepped back (r.at < last) must not hold readings back until it catches up
        if (r.at >= last && r.at - last < this.cfg.readings_every_ms) return;
        this.lastReadingSent.set(r.deviceId, r.at);
        this.putFromBus('readings', r);
      }),
      this.bus.on('energy:anomaly', (a) => this.putFromBus('alerts', { type: 'meter-anomaly', ...a }, `${a.meter}:anomaly:${a.at}`)),
      this.bus.on('device:state', (d) => this.putFromBus('events', { type: 'device-state', ...d })),
    );
    this.enforceBudget();
    this.timers.push(
      setInterval(() => this.enforceBudget(), BUDGET_EVERY_MS),
      setInterval(() => {
        this.latestStatus = this.statusMessage();
        this.bus.emit('outbox:status', this.latestStatus);
      }, STATUS_EVERY_MS),
    );
    for (const f of this.forwarders) f.start();
  }

  /**
   * Hands a record to the outbox; what the producer does not await is still tracked
   * until durable. Called inside a SQLite transaction of the same database, the
   * record joins it (Outbox.appendNow): a producer that writes its own row and puts
   * its outbox record in one `db.transaction` can never commit one without the other
   * (issue 12: a kill -9 between the ledger write and the outbox append lost
   * approved transactions). A failed write there throws, rolling the caller back;
   * the disk budget does not refuse it (the caller's row is written anyway).
   */
  put(stream: Stream, payload: unknown, key?: string): Promise<OutboxRecord> {
    if (this.db.inTransaction) {
      const record = this.outbox.appendNow(stream, payload, { key });
      this.accepted.inc({ stream });
      return Promise.resolve(record);
    }
    const appended = this.outbox.append(stream, payload, { key });
    const tracked = appended.then(
      () => void this.accepted.inc({ stream }),
      (err) => {
        if (err instanceof OutboxRefused) return;
        this.disk?.failed(err);
        this.logger.error({ err, stream }, 'outbox append failed');
      },
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return appended;
  }

  /**
   * What the gateway produces itself (readings, device events, counter anomalies):
   * nobody waits for the answer, so a write the full disk refused is settled here —
   * samples and events are dropped and counted (readings go first, as in the budget),
   * alerts are never dropped: kept in memory and appended once the disk has room.
   */
  private putFromBus(stream: Stream, payload: unknown, key?: string): void {
    this.put(stream, payload, key).catch((err: unknown) => {
      if (err instanceof OutboxRefused || !this.disk?.failed(err)) return;
      if (STREAMS[stream] === 'alerts' && key && this.keptAlerts.length < MAX_KEPT_ALERTS) this.keptAlerts.push({ payload, key });
      else this.dropMemo(stream, STREAMS[stream] === 'alerts' ? 'disk-full-lost' : 'disk-full');
    });
  }

  private dropMemo(stream: Stream, reason: string): void {
    this.dropped.inc({ stream, reason });
    if (reason === 'disk-full') this.unwrittenDrops.set(stream, (this.unwrittenDrops.get(stream) ?? 0) + 1);
    else this.logger.error({ stream, reason }, 'outbox lost a record: the disk was full and the memory queue too');
  }

  private writeBack(): void {
    try {
      for (const [stream, count] of this.unwrittenDrops) {
        this.outbox.countDrop(stream, 'disk-full', count, false);
        this.unwrittenDrops.delete(stream);
      }
    } catch (err) {
      if (!this.disk?.failed(err)) this.logger.error({ err }, 'outbox drop count not written');
    }
    for (const { payload, key } of this.keptAlerts.splice(0)) this.putFromBus('alerts', payload, key);
  }

  /** Alarms of the outbox and of the disk it writes to, also when the disk is full and the budget cannot run. */
  private alarms(): string[] {
    const kept = this.keptAlerts.length ? [`${this.keptAlerts.length} alerts kept in memory until the disk has room`] : [];
    return [...(this.budgetState?.alarms ?? []), ...kept];
  }

  async stop(): Promise<void> {
    this.unsubscribe.forEach((u) => u());
    this.timers.forEach((t) => clearInterval(t));
    this.outbox.close();
    await Promise.all(this.inFlight);
    await Promise.all(this.forwarders.map((f) => f.stop()));
    await Promise.all(this.uplinks.map((u) => u.close().catch((err: Error) => this.logger.warn({ uplink: u.id, err: err.message }, 'uplink close failed'))));
  }

  links(): LinkStatus[] {
    return this.forwarders.map((f) => f.link);
  }

  backlogs(): { stream: Stream; uplink: string; records: number }[] {
    return this.forwarders.flatMap((f) => {
      const link = f.link.uplink;
      return STREAM_NAMES.map((stream) => ({ stream, uplink: link, records: this.outbox.backlog(link, stream) }));
    });
  }

  /** The latest status pushed to the admin page (null before the first). */
  lastStatus(): OutboxStatusMsg | null {
    return this.latestStatus;
  }

  statusMessage(): OutboxStatusMsg {
    return {
      at: Date.now(),
      links: this.links(),
      backlog: this.backlogs(),
      held: this.outbox.held().map(({ stream, records, bytes }) => ({ stream, records, bytes })),
      drops: this.outbox.drops().map(({ stream, reason, count }) => ({ stream, reason, count })),
      deadLetters: this.outbox.deadLetterCount(),
      alarms: [...(this.disk?.alarms() ?? []), ...this.alarms()],
    };
  }

  /** Why the box is not ready because of its uplinks: a stalled link (a hung upstream) is; a link that is down and says so is not. */
  notReady(): string[] {
    return this.links()
      .filter((l) => l.state === 'stalled')
      .map((l) => `uplink ${l.uplink} stalled: ${l.lastError ?? 'no progress'}`);
  }

  status() {
    return {
      notReady: this.notReady(),
      links: this.links(),
      held: this.outbox.held(),
      drops: this.outbox.drops(),
      alarms: this.alarms(),
    };
  }

  private enforceBudget(): void {
    try {
      const state = this.budget.enforce();
      for (const alarm of state.alarms) if (!this.budgetState?.alarms.includes(alarm)) this.logger.error({ alarm }, 'outbox alarm');
      this.budgetState = state;
    } catch (err) {
      if (this.disk?.failed(err)) return; // thinning needs a little room too: it ran before the disk filled
      this.logger.error({ err }, 'outbox budget check failed');
    }
  }
}

function outboxMetrics(metrics: Metrics, backlogs: () => { stream: string; uplink: string; records: number }[], links: () => LinkStatus[]) {
  const registers = [metrics.registry];
  new Gauge({
    name: `${METRIC_PREFIX}outbox_backlog`,
    help: 'Records not yet acknowledged by the uplink, counted on disk',
    labelNames: ['stream', 'uplink'],
    registers,
    collect() {
      for (const b of backlogs()) this.set({ stream: b.stream, uplink: b.uplink }, b.records);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}uplink_state`,
    help: 'Uplink link state: 1 for the state it is in',
    labelNames: ['uplink', 'state'],
    registers,
    collect() {
      for (const l of links()) for (const s of LINK_STATES) this.set({ uplink: l.uplink, state: s }, l.state === s ? 1 : 0);
    },
  });
  return {
    accepted: new Counter({ name: `${METRIC_PREFIX}outbox_accepted_total`, help: 'Records accepted (durable) by stream', labelNames: ['stream'], registers }),
    delivered: new Counter({ name: `${METRIC_PREFIX}outbox_delivered_total`, help: 'Records acknowledged by the receiver', labelNames: ['stream', 'uplink'], registers }),
    stalls: new Counter({ name: `${METRIC_PREFIX}uplink_stalls_total`, help: 'Times the watchdog found an uplink stalled (backlog, no answer for 3 × its timeout) and reset it', labelNames: ['uplink'], registers }),
    dropped: new Counter({ name: `${METRIC_PREFIX}outbox_dropped_total`, help: 'Records dropped or refused, by reason', labelNames: ['stream', 'reason'], registers }),
    sendSeconds: new Histogram({
      name: `${METRIC_PREFIX}outbox_send_seconds`,
      help: 'Time from sending a batch to its acknowledgement',
      labelNames: ['uplink'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}
