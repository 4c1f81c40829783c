// The audit of priced plates and the sales, in SQLite (migration 004_canteen).
import { randomUUID } from 'node:crypto';
import type { LineMetrologyMsg, NutritionMsg, PricedLineMsg, SaleMsg, SaleStatus } from '../wire/canteen.ts';
import type { SaleMethod } from '../wire/payments.ts';
import type { Db } from '../store/sqlite.ts';
import { CanteenError } from './errors.ts';

/** One scale frame kept with a priced line: the raw text when the driver passes it on. */
export interface Frame { at: number; grams: number; stable: boolean; raw?: string }

export interface LineRecord extends PricedLineMsg {
  station: string;
  frames: Frame[];
  stable: boolean;
  scaleNet: boolean;
  readingG: number;
  tareSource: 'tray' | 'scale' | 'none';
  tray: string | null;
  /** who decided the priced reading was stable: the indicator's own flag or the gateway's filter */
  stableBy?: 'scale' | 'filter' | undefined;
}

interface LineRow {
  id: string; at: number; gross_g: number | null; tare_g: number; net_g: number; interval_g: number;
  price_mode: 'by_weight' | 'per_portion'; unit_fen: number; unit_grams: 100 | 500 | null; total_fen: number;
  dish_id: string | null; dish_name: string | null; nutrition: string | null; score: number | null; corrected: number;
  metrology: string | null;
}

interface SaleRow {
  id: string; day: string; no: number; station: string; line_id: string; status: SaleStatus; total_fen: number;
  created_at: number; paid_at: number | null; method: SaleMethod | null; reference: string | null;
}

const NEXT: Record<SaleStatus, SaleStatus[]> = { awaiting_payment: ['paid', 'cancelled'], paid: [], cancelled: [] };

export class Ledger {
  private readonly st;

  constructor(private readonly db: Db) {
    this.st = {
      insertLine: db.prepare(`INSERT INTO canteen_lines (id, station, at, frames, stable, scale_net, reading_g, gross_g, tare_g, tare_source, tray,
        net_g, interval_g, price_mode, unit_fen, unit_grams, total_fen, dish_id, dish_name, nutrition, score, corrected, stable_by, metrology)
        VALUES (@id, @station, @at, @frames, @stable, @scaleNet, @readingG, @grossG, @tareG, @tareSource, @tray,
        @netG, @intervalG, @priceMode, @unitFen, @unitGrams, @totalFen, @dishId, @dishName, @nutrition, @score, @corrected, @stableBy, @metrology)`),
      line: db.prepare('SELECT * FROM canteen_lines WHERE id = ?'),
      nextNo: db.prepare('SELECT COALESCE(MAX(no), 0) + 1 FROM canteen_sales WHERE day = ?').pluck(),
      insertSale: db.prepare(`INSERT INTO canteen_sales (id, day, no, station, line_id, status, total_fen, created_at)
        VALUES (?, ?, ?, ?, ?, 'awaiting_payment', ?, ?)`),
      sale: db.prepare('SELECT * FROM canteen_sales WHERE id = ?'),
      setStatus: db.prepare('UPDATE canteen_sales SET status = ?, paid_at = ?, method = ?, reference = ? WHERE id = ? AND status = ?'),
      event: db.prepare('INSERT INTO canteen_sale_events (sale_id, at, status, method, reference, actor) VALUES (?, ?, ?, ?, ?, ?)'),
      byStatus: db.prepare('SELECT * FROM canteen_sales WHERE status = ? ORDER BY created_at DESC LIMIT ?'),
      recent: db.prepare('SELECT * FROM canteen_sales ORDER BY created_at DESC LIMIT ?'),
      unqueued: db.prepare("SELECT * FROM canteen_sales WHERE status = 'paid' AND queued_at IS NULL ORDER BY paid_at"),
      queued: db.prepare('UPDATE canteen_sales SET queued_at = ? WHERE id = ?'),
    };
  }

  recordLine(l: LineRecord): void {
    this.st.insertLine.run({
      id: l.id,
      station: l.station,
      at: l.at,
      frames: JSON.stringify(l.frames),
      stable: l.stable ? 1 : 0,
      scaleNet: l.scaleNet ? 1 : 0,
      readingG: l.readingG,
      grossG: l.grossG,
      tareG: l.tareG,
      tareSource: l.tareSource,
      tray: l.tray,
      netG: l.netG,
      intervalG: l.intervalG,
      priceMode: l.unit.mode,
      unitFen: l.unit.fen,
      unitGrams: l.unit.mode === 'by_weight' ? l.unit.perGrams : null,
      totalFen: l.totalFen,
      dishId: l.dishId,
      dishName: l.dishName,
      nutrition: l.nutrition ? JSON.stringify(l.nutrition) : null,
      score: l.score,
      corrected: l.corrected ? 1 : 0,
      stableBy: l.stableBy ?? null,
      metrology: l.metrology ? JSON.stringify(l.metrology) : null,
    });
  }

  /** A new sale of a recorded line, awaiting payment, numbered within the day. */
  openSale(lineId: string, station: string, day: string, at: number): SaleMsg {
    const line = this.st.line.get(lineId) as LineRow | undefined;
    if (!line) throw new Error(`no priced line ${lineId}`);
    const id = randomUUID();
    this.db.transaction(() => {
      const no = this.st.nextNo.get(day) as number;
      this.st.insertSale.run(id, day, no, station, lineId, line.total_fen, at);
      this.st.event.run(id, at, 'awaiting_payment', null, null, station);
    }).immediate();
    return this.sale(id)!;
  }

  setStatus(saleId: string, to: SaleStatus, at: number, actor: string, method: SaleMethod | null = null, reference: string | null = null): SaleMsg {
    return this.db.transaction(() => {
      const row = this.st.sale.get(saleId) as SaleRow | undefined;
      if (!row) throw new CanteenError(404, `no sale "${saleId}"`);
      const no = String(row.no).padStart(4, '0');
      if (row.status === to) throw new CanteenError(409, `sale ${no} is already ${to}`);
      if (!NEXT[row.status].includes(to)) throw new CanteenError(409, `sale ${no} is ${row.status}; it cannot become ${to}`);
      this.st.setStatus.run(to, to === 'paid' ? at : null, method, reference, saleId, row.status);
      this.st.event.run(saleId, at, to, method, reference, actor);
      return this.sale(saleId)!;
    }).immediate();
  }

  sale(id: string): SaleMsg | undefined {
    const row = this.st.sale.get(id) as SaleRow | undefined;
    return row && this.saleMsg(row);
  }

  list(status: SaleStatus | undefined, limit: number): SaleMsg[] {
    const rows = (status ? this.st.byStatus.all(status, limit) : this.st.recent.all(limit)) as SaleRow[];
    return rows.map((r) => this.saleMsg(r));
  }

  /** Paid sales the outbox has not yet taken (after a crash between the two). */
  unqueued(): SaleMsg[] {
    return (this.st.unqueued.all() as SaleRow[]).map((r) => this.saleMsg(r));
  }

  markQueued(id: string, at: number): void {
    this.st.queued.run(at, id);
  }

  private saleMsg(r: SaleRow): SaleMsg {
    return {
      id: r.id,
      no: String(r.no).padStart(4, '0'),
      day: r.day,
      station: r.station,
      status: r.status,
      totalFen: r.total_fen,
      createdAt: r.created_at,
      paidAt: r.paid_at,
      method: r.method,
      reference: r.reference,
      lines: [lineMsg(this.st.line.get(r.line_id) as LineRow)],
    };
  }
}

function lineMsg(r: LineRow): PricedLineMsg {
  return {
    id: r.id,
    at: r.at,
    grossG: r.gross_g,
    tareG: r.tare_g,
    netG: r.net_g,
    intervalG: r.interval_g,
    dishId: r.dish_id,
    dishName: r.dish_name,
    unit: r.price_mode === 'per_portion' ? { mode: 'per_portion', fen: r.unit_fen } : { mode: 'by_weight', fen: r.unit_fen, perGrams: r.unit_grams ?? 500 },
    totalFen: r.total_fen,
    nutrition: r.nutrition ? (JSON.parse(r.nutrition) as NutritionMsg) : null,
    score: r.score,
    corrected: r.corrected === 1,
    metrology: r.metrology ? (JSON.parse(r.metrology) as LineMetrologyMsg) : null,
  };
}
