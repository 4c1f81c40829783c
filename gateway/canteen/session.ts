// One weighing station's sale, driven by the scale's readings and the diner's taps:
//
//   zero → loading → stable → priced → awaiting_payment / paid / cancelled → (plate off) → zero
//
// A stable zero (|gross| ≤ zero tolerance) ends whatever was on the scale: a plate
// taken off before the sale was confirmed sells nothing. Motion, overload or
// underload drop the priced line (loading). A stable weight is priced when a dish is
// known (or the site prices uniformly) and the net weight reaches the minimum sale;
// a stable weight further than the stability tolerance from the weight the dish was
// chosen at is another plate: the dish and recognition start over. Once a sale is
// handed over, paid or cancelled, nothing is priced until the scale is back at zero.
import { randomUUID } from 'node:crypto';
import type { DishMsg, LineMetrologyMsg, PricedLineMsg, SaleMsg, StationPhase, StationReason, StationStateMsg, TrayMsg } from '../wire/canteen.ts';
import type { ScaleWeightMsg } from '../wire/devices.ts';
import type { CanteenConfig, SitePricingConfig, Station } from './config.ts';
import { CanteenError } from './errors.ts';
import type { Frame, Ledger } from './ledger.ts';
import { grossOf, priceLine, roundToInterval, weigh, type ScaleInput } from './pricing.ts';

export interface Candidate { dishId: string; score: number }

/** Dish recognition, called at the stable moment; best first or in any order, empty when unsure. */
export interface DishRecognizer { recognise(stationId: string): Promise<Candidate[]> }

export interface SessionDeps {
  station: Station;
  pricing: SitePricingConfig;
  recognition: CanteenConfig['recognition'];
  dish(id: string): DishMsg | undefined;
  recognizer?: DishRecognizer | undefined;
  ledger: Pick<Ledger, 'recordLine' | 'openSale' | 'setStatus'>;
  day(at: number): string;
  now(): number;
  emit(state: StationStateMsg): void;
  onError(err: unknown, what: string): void;
  /**
   * The station's scale is legal for trade: only the indicator's own stable flag counts
   * (OIML R76-1 4.4.2; never the gateway's stability filter), and its data plate and
   * certificates go on every line.
   */
  legal?: LineMetrologyMsg | null | undefined;
  /** the scale's verification (检定) has lapsed: nothing is priced by weight (per portion goes on) */
  weightSalesStopped?: (() => boolean) | undefined;
}

/** A reading older than this is not charged: the scale has gone quiet. */
export const STALE_READING_MS = 3000;
const KEEP_FRAMES = 10;
const MAX_CANDIDATES = 5;
const DONE: StationPhase[] = ['awaiting_payment', 'paid', 'cancelled'];
const ON_SCALE: StationPhase[] = ['loading', 'stable', 'priced'];

type Reading = ScaleInput & { at: number; stableBy?: 'scale' | 'filter' | undefined };

export class StationSession {
  private phase: StationPhase = 'idle';
  private reason: StationReason = null;
  private reading: Reading | null = null;
  private frames: Frame[] = [];
  /** the weight shown (rounded, before any preset tare) the dish choice and recognition belong to */
  private plateRef: number | null = null;
  private choice: string | null = null;
  /** the dish recognition put up, before the diner changed anything */
  private recognised: string | null = null;
  private candidates: Candidate[] = [];
  private recognising = false;
  private recognition = 0;
  private recognitionTimer: NodeJS.Timeout | undefined;
  private trayId: string | null;
  private line: PricedLineMsg | null = null;
  private lineKey = '';
  private sale: SaleMsg | null = null;
  private seq = 0;
  private published = '';

  constructor(private readonly d: SessionDeps) {
    this.trayId = d.station.trays[0]?.id ?? null;
  }

  get id(): string {
    return this.d.station.id;
  }

  onReading(msg: ScaleWeightMsg): void {
    const extra = msg as { raw?: unknown; tare?: unknown };
    const r: Reading = {
      grams: msg.grams,
      // on a legal-for-trade scale a stable decided by the gateway's filter is not stable
      stable: msg.stable && (!this.d.legal || msg.stableBy === 'scale'),
      stableBy: msg.stableBy,
      net: msg.net,
      overload: msg.overload,
      underload: msg.underload,
      tare: typeof extra.tare === 'number' ? extra.tare : undefined,
      at: msg.at,
    };
    this.reading = r;
    this.frames.push({ at: msg.at, grams: msg.grams, stable: msg.stable, ...(typeof extra.raw === 'string' ? { raw: extra.raw } : {}) });
    if (this.frames.length > KEEP_FRAMES) this.frames.shift();

    const zero = !r.overload && !r.underload && Math.abs(grossOf(r)) <= this.d.station.zero_tolerance_g;
    if (zero && r.stable) this.toZero();
    else if (this.phase === 'idle') this.phase = 'clear';
    // On an empty scale, unsteady readings around zero are noise, not a plate.
    else if (this.phase === 'zero' ? !zero : ON_SCALE.includes(this.phase)) {
      if (r.stable && !r.overload && !r.underload && !zero) this.price();
      else this.toLoading(r.overload ? 'overload' : r.underload ? 'underload' : null);
    }
    this.publish();
  }

  select(dishId: string): StationStateMsg {
    this.onScale('pick a dish');
    const dish = this.d.dish(dishId);
    if (!dish) throw new CanteenError(404, `no dish "${dishId}"`);
    if (!dish.active) throw new CanteenError(409, `dish "${dishId}" (${dish.name}) is not on sale`);
    this.choice = dishId;
    // Picked while the plate settles: the pick belongs to the weight it settles at.
    if (this.phase === 'loading') this.plateRef = null;
    else this.price();
    return this.publish();
  }

  setTray(trayId: string): StationStateMsg {
    this.onScale('change the tray');
    if (!this.d.station.trays.some((t) => t.id === trayId)) throw new CanteenError(404, `station ${this.id} has no tray "${trayId}"`);
    this.trayId = trayId;
    if (this.phase !== 'loading') this.price();
    return this.publish();
  }

  /** The diner hands the priced plate over to payment; `lineId` is the line they saw. */
  confirm(lineId?: string): SaleMsg {
    if (this.phase !== 'priced' || !this.line) throw new CanteenError(409, `nothing priced to confirm at station ${this.id} (${this.phase})`);
    if (lineId !== undefined && lineId !== this.line.id) throw new CanteenError(409, 'the weight or the price has changed; check the new total');
    const now = this.d.now();
    if (!this.reading || now - this.reading.at > STALE_READING_MS) throw new CanteenError(409, 'the scale has gone quiet; the weight cannot be charged');
    this.sale = this.d.ledger.openSale(this.line.id, this.id, this.d.day(now), now);
    this.phase = 'awaiting_payment';
    this.publish();
    return this.sale;
  }

  cancel(): StationStateMsg {
    if (this.phase === 'awaiting_payment' && this.sale) {
      this.sale = this.d.ledger.setStatus(this.sale.id, 'cancelled', this.d.now(), this.id);
    } else if (!ON_SCALE.includes(this.phase)) {
      throw new CanteenError(409, `nothing to cancel at station ${this.id} (${this.phase})`);
    }
    this.phase = 'cancelled';
    this.reason = null;
    this.line = null;
    this.stopRecognition();
    return this.publish();
  }

  /** A sale of this station was paid or voided elsewhere (the counter, a payment). */
  saleChanged(sale: SaleMsg): void {
    if (this.sale?.id !== sale.id) return;
    this.sale = sale;
    if (this.phase === 'awaiting_payment' && sale.status !== 'awaiting_payment') this.phase = sale.status;
    this.publish();
  }

  /** Prices and names may have changed: re-price what is on the scale. */
  catalogChanged(): void {
    if (this.phase === 'stable' || this.phase === 'priced') {
      this.price();
      this.publish();
    }
  }

  state(): StationStateMsg {
    return { ...this.view(), seq: this.seq, at: this.d.now() };
  }

  stop(): void {
    this.stopRecognition();
  }

  private onScale(what: string): void {
    if (!ON_SCALE.includes(this.phase)) throw new CanteenError(409, `no plate to ${what} for at station ${this.id} (${this.phase})`);
  }

  private tray(): TrayMsg | null {
    const t = this.d.station.trays.find((x) => x.id === this.trayId);
    return t ? { id: t.id, name: t.name, tareG: t.tare_g } : null;
  }

  private weighing() {
    return weigh(this.reading!, this.d.station.interval_g, this.tray()?.tareG ?? 0);
  }

  private toZero(): void {
    this.phase = 'zero';
    this.reason = null;
    this.line = null;
    this.sale = null;
    this.choice = null;
    this.recognised = null;
    this.plateRef = null;
    this.candidates = [];
    this.trayId = this.d.station.trays[0]?.id ?? null;
    this.frames = this.frames.slice(-1);
    this.stopRecognition();
  }

  private toLoading(reason: StationReason): void {
    this.phase = 'loading';
    this.reason = reason;
    this.line = null;
  }

  private price(): void {
    const r = this.reading;
    if (!r || !r.stable) return this.toLoading(null);
    const shown = roundToInterval(r.grams, this.d.station.interval_g);
    if (this.plateRef === null || Math.abs(shown - this.plateRef) > this.d.station.stability_tolerance_g) {
      if (this.plateRef !== null) this.choice = null;
      this.plateRef = shown;
      this.recognised = null;
      this.candidates = [];
      this.recognise();
    }
    const dish = this.dish();
    const out = priceLine(r, this.d.station, this.tray()?.tareG ?? 0, this.d.pricing, dish);
    if (!out.ok) {
      if (out.reason === 'unstable') return this.toLoading(null);
      this.phase = 'stable';
      this.reason = out.reason;
      this.line = null;
      return;
    }
    if (out.unit.mode === 'by_weight' && this.d.weightSalesStopped?.()) {
      this.phase = 'stable';
      this.reason = 'verification_expired';
      this.line = null;
      return;
    }
    const score = dish ? (this.candidates.find((c) => c.dishId === dish.id)?.score ?? null) : null;
    const corrected = this.recognised !== null && this.choice !== null && this.choice !== this.recognised;
    const key = JSON.stringify([out.weighing, out.unit, out.totalFen, dish?.id, dish?.name, out.nutrition, score, corrected]);
    if (!this.line || key !== this.lineKey) {
      const at = this.d.now();
      const line: PricedLineMsg = {
        id: randomUUID(),
        at,
        grossG: out.weighing.grossG,
        tareG: out.weighing.tareG,
        netG: out.weighing.netG,
        intervalG: this.d.station.interval_g,
        dishId: dish?.id ?? null,
        dishName: dish?.name ?? null,
        unit: out.unit,
        totalFen: out.totalFen,
        nutrition: out.nutrition,
        score,
        corrected,
        ...(this.d.legal ? { metrology: this.d.legal } : {}),
      };
      try {
        this.d.ledger.recordLine({
          ...line,
          station: this.id,
          frames: this.frames.slice(),
          stable: r.stable,
          scaleNet: r.net,
          readingG: r.grams,
          tareSource: out.weighing.tareSource,
          tray: out.weighing.tareSource === 'tray' ? this.trayId : null,
          stableBy: r.stableBy,
        });
      } catch (err) {
        // Never priced without its audit record.
        this.d.onError(err, 'recording a priced line');
        this.phase = 'stable';
        this.reason = null;
        this.line = null;
        return;
      }
      this.line = line;
      this.lineKey = key;
    }
    this.phase = 'priced';
    this.reason = null;
  }

  /** The diner's pick, else the dish recognition put up; only dishes on sale. */
  private dish(): DishMsg | null {
    const id = this.choice ?? this.recognised;
    const d = id === null ? undefined : this.d.dish(id);
    return d?.active ? d : null;
  }

  private recognise(): void {
    this.stopRecognition();
    const recognizer = this.d.recognizer;
    if (!recognizer) return;
    const run = ++this.recognition;
    this.recognising = true;
    let settled = false;
    const done = (found: Candidate[]) => {
      if (settled || run !== this.recognition) return;
      settled = true;
      clearTimeout(this.recognitionTimer);
      this.recognising = false;
      this.candidates = found
        .filter((c) => Number.isFinite(c.score) && this.d.dish(c.dishId)?.active)
        .sort((a, b) => b.score - a.score)
        .slice(0, MAX_CANDIDATES);
      const top = this.candidates[0];
      this.recognised = top && top.score >= this.d.recognition.min_score ? top.dishId : null;
      if (this.phase === 'stable' || this.phase === 'priced') this.price();
      this.publish();
    };
    this.recognitionTimer = setTimeout(() => done([]), this.d.recognition.timeout_ms);
    recognizer.recognise(this.id).then(done, (err: unknown) => {
      this.d.onError(err, 'dish recognition');
      done([]);
    });
  }

  private stopRecognition(): void {
    this.recognition++;
    this.recognising = false;
    clearTimeout(this.recognitionTimer);
  }

  private view(): Omit<StationStateMsg, 'seq' | 'at'> {
    const r = this.reading;
    const empty = this.phase === 'zero' || this.phase === 'idle';
    const w = r && (empty ? weigh(r, this.d.station.interval_g, 0) : this.weighing());
    return {
      station: this.id,
      scale: this.d.station.scale,
      phase: this.phase,
      reason: this.reason,
      weight: r && w ? { grossG: w.grossG, tareG: w.tareG, netG: w.netG, stable: r.stable, at: r.at } : null,
      tray: this.tray(),
      dishId: DONE.includes(this.phase) ? (this.sale?.lines[0]?.dishId ?? null) : (this.dish()?.id ?? null),
      corrected: this.line?.corrected ?? false,
      candidates: this.candidates,
      recognising: this.recognising,
      line: DONE.includes(this.phase) ? (this.sale?.lines[0] ?? this.line) : this.line,
      sale: this.sale,
    };
  }

  /** Emits the state when anything the diner sees has changed. */
  private publish(): StationStateMsg {
    const view = this.view();
    const text = JSON.stringify({ ...view, weight: view.weight && { ...view.weight, at: 0 } });
    if (text !== this.published) {
      this.published = text;
      this.seq++;
      this.d.emit({ ...view, seq: this.seq, at: this.d.now() });
    }
    return this.state();
  }
}
