// Self-service weighing in the running gateway: a session per station fed by the
// bus, the catalog, the sales ledger, and paid sales handed to the outbox.
import type { FastifyPluginAsync } from 'fastify';
import type { EventBus } from '../bus/event-bus.ts';
import type { Logger } from '../log.ts';
import type { CanteenCatalogMsg, LineMetrologyMsg, SaleMsg, StationStateMsg } from '../wire/canteen.ts';
import type { SaleMethod } from '../wire/payments.ts';
import type { Db } from '../store/sqlite.ts';
import { Catalog } from './catalog.ts';
import { withDefaults, type CanteenConfig } from './config.ts';
import { CanteenError } from './errors.ts';
import { Ledger } from './ledger.ts';
import { localDay, mealAt } from './meals.ts';
import { Photos } from './photos.ts';
import { canteenRoutes } from './routes.ts';
import { StationRecognition } from './recognition.ts';
import { StationSession, type DishRecognizer } from './session.ts';
import { ScaleVerifications } from './verification.ts';
import { metrologyRoutes } from './metrology-routes.ts';

/** The outbox's durable put; resolves once the record is on disk. */
export type PutFn = (stream: 'transactions', payload: unknown, key: string) => Promise<unknown>;

/** How a payment (the counter today; card, QR and face later) settles a sale. */
export interface PaymentPort {
  markPaid(saleId: string, method: SaleMethod, reference: string | null, actor?: string): Promise<SaleMsg>;
}

export interface CanteenOptions {
  db: Db;
  dataDir: string;
  bus: EventBus;
  logger: Logger;
  cfg: CanteenConfig;
  put: PutFn;
  /** dish recognition, when the gateway has the model */
  recognizer?: DishRecognizer;
  /** site time zone, for days, sale numbers and meals */
  timeZone?: string;
  now?: () => number;
  /** the configured scales (devices.scales): a legal-for-trade one prices only on its own stable flag */
  scales?: readonly ScaleLegalConfig[];
}

/** What the canteen reads of a scale's config (drivers/scale/legal.ts). */
export interface ScaleLegalConfig {
  id: string;
  legal_for_trade?: boolean;
  metrology?: { type_approval_no: string; verification_no: string; verified_until: string; max_g: number; min_g: number } | undefined;
}

function lineMetrology(s: ScaleLegalConfig | undefined): LineMetrologyMsg | null {
  const m = s?.legal_for_trade ? s.metrology : undefined;
  return m ? { maxG: m.max_g, minG: m.min_g, typeApprovalNo: m.type_approval_no, verificationNo: m.verification_no, verifiedUntil: m.verified_until } : null;
}

export class CanteenModule implements PaymentPort {
  readonly ledger: Ledger;
  readonly photos: Photos;
  private catalogStore: Catalog | undefined;
  private readonly sessions = new Map<string, StationSession>();
  private readonly byScale = new Map<string, StationSession>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  readonly timeZone: string;
  readonly now: () => number;
  private readonly scales: readonly ScaleLegalConfig[];
  /** verification (检定) of the legal-for-trade scales */
  readonly verifications: ScaleVerifications;

  private readonly db: Db;
  private readonly dataDir: string;
  private readonly bus: EventBus;
  private readonly logger: Logger;
  readonly cfg: CanteenConfig;
  private readonly put: PutFn;
  private readonly recognizer: DishRecognizer | undefined;

  constructor(opts: CanteenOptions) {
    const { db, dataDir } = opts;
    this.db = db;
    this.dataDir = dataDir;
    this.bus = opts.bus;
    this.logger = opts.logger;
    this.cfg = opts.cfg;
    this.put = opts.put;
    this.recognizer = opts.recognizer;
    this.ledger = new Ledger(db);
    this.photos = new Photos(dataDir);
    this.timeZone = opts.timeZone ?? 'Asia/Shanghai';
    this.now = opts.now ?? Date.now;
    this.scales = opts.scales ?? [];
    this.verifications = new ScaleVerifications(
      db,
      this.scales.flatMap((s) => (s.legal_for_trade && s.metrology ? [{ id: s.id, verificationNo: s.metrology.verification_no, verifiedUntil: s.metrology.verified_until }] : [])),
      this.timeZone,
      this.now,
    );
  }

  /** Dish recognition with enrolment, when the gateway has the model. */
  get recognition(): StationRecognition | undefined {
    return this.recognizer instanceof StationRecognition ? this.recognizer : undefined;
  }

  get catalog(): Catalog {
    if (!this.catalogStore) throw new Error('the canteen module is not started');
    return this.catalogStore;
  }

  async start(): Promise<void> {
    this.catalogStore = await Catalog.open(
      this.dataDir,
      (version) => {
        for (const s of this.sessions.values()) s.catalogChanged();
        this.bus.emit('canteen:catalog', { version, at: this.now() });
      },
      this.cfg.max_dishes,
    );
    for (const cfg of this.cfg.stations.filter((s) => s.sells)) {
      const session = new StationSession({
        station: withDefaults(cfg),
        pricing: this.cfg.pricing,
        recognition: this.cfg.recognition,
        dish: (id) => this.catalog.get(id),
        recognizer: this.recognizer,
        ledger: this.ledger,
        day: (at) => localDay(at, this.timeZone),
        now: this.now,
        emit: (state) => this.bus.emit('station:state', state),
        onError: (err, what) => this.logger.error({ err, station: cfg.id }, `${what} failed`),
        legal: lineMetrology(this.scales.find((s) => s.id === cfg.scale)),
        weightSalesStopped: () => this.verifications.expired(cfg.scale),
      });
      this.sessions.set(cfg.id, session);
      this.byScale.set(cfg.scale, session);
    }
    this.unsubscribe.push(this.bus.on('scale:weight', (m) => this.byScale.get(m.deviceId)?.onReading(m)));
    for (const sale of this.ledger.unqueued()) this.queue(sale);
    this.logger.info({ stations: this.sessions.size, dishes: this.catalog.list().length, pricing: this.cfg.pricing.mode }, 'canteen weighing ready');
  }

  async stop(): Promise<void> {
    this.unsubscribe.forEach((u) => u());
    for (const s of this.sessions.values()) s.stop();
    await Promise.allSettled(this.inFlight);
  }

  station(id: string): StationSession {
    const s = this.sessions.get(id);
    if (!s) throw new CanteenError(404, `no station "${id}"`);
    return s;
  }

  states(): StationStateMsg[] {
    return [...this.sessions.values()].map((s) => s.state());
  }

  catalogMessage(): CanteenCatalogMsg {
    const p = this.cfg.pricing;
    const { date, meal } = this.currentMeal();
    return {
      version: this.catalog.version,
      pricing: p.mode === 'uniform' ? { mode: 'uniform', fen: p.price_fen!, perGrams: p.per_grams! } : { mode: 'per_dish' },
      dishes: this.catalog.list(),
      menu: this.catalog.menu(date, meal),
      stations: this.cfg.stations.filter((c) => c.sells).map((c) => {
        const s = withDefaults(c);
        return { id: s.id, name: s.name ?? s.id, scale: s.scale, intervalG: s.interval_g, minSaleG: s.min_sale_g, trays: s.trays.map((t) => ({ id: t.id, name: t.name, tareG: t.tare_g })) };
      }),
    };
  }

  currentMeal() {
    return mealAt(this.now(), this.timeZone, this.cfg.meals);
  }

  today(): string {
    return localDay(this.now(), this.timeZone);
  }

  /** Settles a sale awaiting payment; the same payment again returns the sale unchanged. */
  async markPaid(saleId: string, method: SaleMethod, reference: string | null, actor: string = method): Promise<SaleMsg> {
    const existing = this.ledger.sale(saleId);
    if (existing?.status === 'paid' && existing.method === method && existing.reference === reference) return existing;
    // the sale's new state and its outbox record commit together (the outbox's put joins the transaction)
    let queued: Promise<void> | undefined;
    const sale = this.db.transaction(() => {
      const s = this.ledger.setStatus(saleId, 'paid', this.now(), actor, method, reference);
      queued = this.queue(s);
      return s;
    }).immediate();
    this.sessions.get(sale.station)?.saleChanged(sale);
    await queued;
    return sale;
  }

  /** Voids a sale nobody paid (the diner left the counter without paying). */
  cancelSale(saleId: string, actor: string): SaleMsg {
    const sale = this.ledger.setStatus(saleId, 'cancelled', this.now(), actor);
    this.sessions.get(sale.station)?.saleChanged(sale);
    return sale;
  }

  routes: FastifyPluginAsync = async (app) => {
    await canteenRoutes(app, this);
    metrologyRoutes(
      app,
      this.verifications,
      (scale) => {
        for (const s of this.sessions.values()) s.catalogChanged(); // re-price what is on the scale under the new verification
        this.logger.info({ scale }, 'new scale verification entered');
      },
      {
        db: this.db,
        timeZone: this.timeZone,
        log: (who, detail) =>
          this.db.prepare('INSERT INTO audit_log (at, actor, role, action, detail, result, client) VALUES (?, ?, ?, ?, ?, ?, ?)').run(this.now(), who.actor, who.role, 'weighing audit export', JSON.stringify(detail), 'ok', who.client),
      },
    );
  };

  private queue(sale: SaleMsg): Promise<void> {
    const p = this.put('transactions', { type: 'sale', ...sale }, sale.id).then(
      () => this.ledger.markQueued(sale.id, this.now()),
      (err: unknown) => this.logger.error({ err, sale: sale.id }, 'paid sale not taken by the outbox; retried at the next start'),
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }
}
