// The weighing state machine driven by scripted scale readings, with the real
// SQLite ledger underneath.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canteenConfigSchema, withDefaults } from '../gateway/canteen/config.ts';
import { Ledger } from '../gateway/canteen/ledger.ts';
import { StationSession, type Candidate, type DishRecognizer } from '../gateway/canteen/session.ts';
import type { DishMsg, StationStateMsg } from '../gateway/wire/canteen.ts';
import { openDatabase, type Db } from '../gateway/store/sqlite.ts';

const DISHES: DishMsg[] = [
  { id: 'pork', name: '红烧肉', name_en: 'Braised pork', price_mode: 'by_weight', price_fen: 1280, per_grams: 500, nutrition_per_100g: { kcal: 297, protein_g: 13.6, fat_g: 24.1, carbohydrate_g: 4.2, sodium_mg: 512 }, photo: null, active: true },
  { id: 'greens', name: '清炒时蔬', name_en: null, price_mode: 'by_weight', price_fen: 260, per_grams: 100, nutrition_per_100g: { kcal: 85, protein_g: 2.1, fat_g: 5.3, carbohydrate_g: 6.8, sodium_mg: 312 }, photo: null, active: true },
  { id: 'set', name: '番茄炒蛋套餐', name_en: null, price_mode: 'per_portion', price_fen: 1200, per_grams: null, nutrition_per_100g: null, photo: null, active: true },
  { id: 'old', name: '停售菜', name_en: null, price_mode: 'per_portion', price_fen: 100, per_grams: null, nutrition_per_100g: null, photo: null, active: false },
];

const STATION = { id: 's1', scale: 'checkout-1', interval_g: 2, min_sale_g: 40, trays: [{ id: 'std', name: '标准餐盘', tare_g: 136 }, { id: 'bowl', name: '碗', tare_g: 210 }] };

let db: Db;
let ledger: Ledger;
let states: StationStateMsg[];
let clock: number;
let errors: unknown[];

function session(opts: { pricing?: unknown; recognizer?: DishRecognizer; station?: object } = {}): StationSession {
  const cfg = canteenConfigSchema.parse({ pricing: opts.pricing, stations: [{ ...STATION, ...opts.station }], recognition: { min_score: 0.6, timeout_ms: 100 } });
  return new StationSession({
    station: withDefaults(cfg.stations[0]!),
    pricing: cfg.pricing,
    recognition: cfg.recognition,
    dish: (id) => DISHES.find((d) => d.id === id),
    recognizer: opts.recognizer,
    ledger,
    day: () => '2025-06-02',
    now: () => clock,
    emit: (s) => states.push(s),
    onError: (err) => errors.push(err),
  });
}

/** Feeds readings: numbers are stable grams, "~n" unstable, "OL" overload. */
function feed(s: StationSession, ...readings: (number | string)[]): StationStateMsg {
  for (const r of readings) {
    clock += 100;
    const overload = r === 'OL';
    const unstable = typeof r === 'string' && r.startsWith('~');
    const grams = overload ? 0 : Number(unstable ? (r as string).slice(1) : r);
    s.onReading({ deviceId: 'checkout-1', at: clock, grams, stable: !unstable, net: false, overload, underload: false, ...{ raw: `${unstable ? 'US' : 'ST'},GS,+${(grams / 1000).toFixed(3)}kg` } });
  }
  return s.state();
}

const lines = () => db.prepare('SELECT * FROM canteen_lines ORDER BY rowid').all() as Record<string, unknown>[];
const sales = () => db.prepare('SELECT * FROM canteen_sales ORDER BY no').all() as Record<string, unknown>[];

beforeEach(() => {
  db = openDatabase(mkdtempSync(path.join(os.tmpdir(), 'canteen-session-')));
  ledger = new Ledger(db);
  states = [];
  clock = 1_750_000_000_000;
  errors = [];
});
afterEach(() => db.close());

describe('a sale at one station', () => {
  it('goes zero → loading → stable → priced → awaiting payment → paid → zero, with the audit record', () => {
    const s = session();
    expect(feed(s, 0).phase).toBe('zero');
    expect(feed(s, '~300', '~520').phase).toBe('loading');
    let st = feed(s, 487);
    expect(st).toMatchObject({ phase: 'stable', reason: 'choose_dish', weight: { grossG: 488, tareG: 136, netG: 352, stable: true }, tray: { id: 'std' } });

    st = s.select('pork');
    expect(st).toMatchObject({ phase: 'priced', dishId: 'pork', line: { netG: 352, totalFen: 901, unit: { mode: 'by_weight', fen: 1280, perGrams: 500 }, nutrition: { kcal: 1045 } } });

    const sale = s.confirm(st.line!.id);
    expect(sale).toMatchObject({ no: '0001', status: 'awaiting_payment', totalFen: 901, station: 's1', day: '2025-06-02' });
    expect(s.state()).toMatchObject({ phase: 'awaiting_payment', sale: { id: sale.id } });

    s.saleChanged(ledger.setStatus(sale.id, 'paid', clock, 'counter', 'counter', null));
    expect(s.state()).toMatchObject({ phase: 'paid', line: { totalFen: 901 }, sale: { status: 'paid' } });
    // lifting the plate: no pricing, no new line
    expect(feed(s, '~480', '~200', '~0').phase).toBe('paid');
    expect(feed(s, 0).phase).toBe('zero');

    expect(lines()).toHaveLength(1);
    const [line] = lines();
    expect(line).toMatchObject({
      station: 's1', stable: 1, scale_net: 0, reading_g: 487, gross_g: 488, tare_g: 136, tare_source: 'tray', tray: 'std', net_g: 352, interval_g: 2,
      price_mode: 'by_weight', unit_fen: 1280, unit_grams: 500, total_fen: 901, dish_id: 'pork', dish_name: '红烧肉', score: null, corrected: 0,
    });
    expect(JSON.parse(line!.frames as string).map((f: { raw: string }) => f.raw)).toEqual(['ST,GS,+0.000kg', 'US,GS,+0.300kg', 'US,GS,+0.520kg', 'ST,GS,+0.487kg']);
    const events = db.prepare('SELECT status, actor FROM canteen_sale_events ORDER BY id').all();
    expect(events).toEqual([{ status: 'awaiting_payment', actor: 's1' }, { status: 'paid', actor: 'counter' }]);
    expect(states.map((x) => x.seq)).toEqual(states.map((_, i) => i + 1));
  });

  it('sells nothing when the plate is taken off before it is confirmed', () => {
    const s = session();
    feed(s, 0, '~400', 487);
    s.select('pork');
    expect(feed(s, '~300', '~0').phase).toBe('loading');
    expect(feed(s, 0)).toMatchObject({ phase: 'zero', line: null, dishId: null });
    expect(() => s.confirm()).toThrow(/nothing priced/);
    expect(sales()).toHaveLength(0);
    expect(lines()).toHaveLength(1); // the priced line stays audited
  });

  it('keeps a handed-over sale awaiting payment when the plate goes to the counter', () => {
    const s = session();
    feed(s, 0, '~400', 487);
    s.select('pork');
    const sale = s.confirm();
    expect(feed(s, '~100', 0).phase).toBe('zero');
    expect(ledger.sale(sale.id)!.status).toBe('awaiting_payment');
  });

  it('needs the scale back at zero between two plates in a row', () => {
    const s = session();
    feed(s, 0, '~400', 487);
    s.select('pork');
    const first = s.confirm();
    // second plate swapped in without the scale settling at zero: not priced
    expect(feed(s, '~300', '~700', 652).phase).toBe('awaiting_payment');
    expect(() => s.select('greens')).toThrow(/no plate/);
    expect(feed(s, '~100', 0, '~500', 652)).toMatchObject({ phase: 'stable', reason: 'choose_dish', dishId: null, weight: { netG: 516 } });
    s.select('greens');
    const second = s.confirm();
    expect([first.no, second.no]).toEqual(['0001', '0002']);
    expect(second).toMatchObject({ totalFen: 1342, lines: [{ dishName: '清炒时蔬', netG: 516 }] }); // 516 × 260 / 100 = 1341.6
  });

  it('restarts pricing when a plate is added mid-way, and re-prices a small change with the same dish', () => {
    const s = session();
    feed(s, 0, '~400', 487);
    const before = s.select('pork').line!;
    expect(feed(s, 491)).toMatchObject({ phase: 'priced', dishId: 'pork', line: { netG: 356, totalFen: 911 } });
    expect(s.state().line!.id).not.toBe(before.id);
    expect(feed(s, '~700', '~900')).toMatchObject({ phase: 'loading', line: null });
    expect(feed(s, 887)).toMatchObject({ phase: 'stable', reason: 'choose_dish', dishId: null, weight: { netG: 752 } });
    expect(() => s.confirm(before.id)).toThrow(/nothing priced/);
    expect(lines().map((l) => l.net_g)).toEqual([352, 356]);
  });

  it('refuses to confirm a line the diner did not see', () => {
    const s = session();
    feed(s, 0, '~400', 487);
    const seen = s.select('pork').line!;
    feed(s, 490);
    expect(() => s.confirm(seen.id)).toThrow(/changed/);
    expect(s.confirm(s.state().line!.id).totalFen).toBe(906); // 354 g × 1280 / 500 = 906.24
  });

  it('never prices an overload, and prices again once the scale is back in range', () => {
    const s = session();
    feed(s, 0, '~400', 487);
    s.select('pork');
    expect(feed(s, 'OL')).toMatchObject({ phase: 'loading', reason: 'overload', line: null });
    expect(() => s.confirm()).toThrow(/nothing priced/);
    expect(feed(s, 487)).toMatchObject({ phase: 'priced', reason: null, line: { totalFen: 901 } });
  });

  it('does not sell below the minimum sale weight', () => {
    const s = session();
    feed(s, 0, '~100', 174);
    expect(s.select('pork')).toMatchObject({ phase: 'stable', reason: 'below_min', line: null, weight: { netG: 38 } });
    expect(feed(s, 176)).toMatchObject({ phase: 'priced', line: { netG: 40, totalFen: 102 } });
  });

  it('takes the tray the diner picks off instead of the default one', () => {
    const s = session();
    feed(s, 0, '~400', 562);
    expect(s.select('pork').line).toMatchObject({ tareG: 136, netG: 426 });
    expect(s.setTray('bowl')).toMatchObject({ tray: { id: 'bowl', tareG: 210 }, line: { tareG: 210, netG: 352, totalFen: 901 } });
    feed(s, '~100', 0);
    expect(s.state().tray!.id).toBe('std');
  });

  it('prices per portion, and uniformly without a dish when the site says 荤素同价', () => {
    const s = session();
    feed(s, 0, '~400', 652);
    expect(s.select('set').line).toMatchObject({ unit: { mode: 'per_portion', fen: 1200 }, totalFen: 1200, netG: 516 });

    const u = session({ pricing: { mode: 'uniform', price_fen: 1500, per_grams: 500 } });
    expect(feed(u, 0, '~400', 487)).toMatchObject({ phase: 'priced', dishId: null, line: { totalFen: 1056, nutrition: null } });
    expect(u.select('set').line).toMatchObject({ totalFen: 1056, dishName: '番茄炒蛋套餐', unit: { mode: 'by_weight', fen: 1500 } });
  });

  it('lets the diner cancel, then waits for the plate to go', () => {
    const s = session();
    feed(s, 0, '~400', 487);
    s.select('pork');
    expect(s.cancel()).toMatchObject({ phase: 'cancelled', line: null });
    expect(feed(s, 487, 700).phase).toBe('cancelled');
    expect(feed(s, 0).phase).toBe('zero');

    feed(s, '~400', 487);
    s.select('pork');
    const sale = s.confirm();
    s.cancel();
    expect(ledger.sale(sale.id)!.status).toBe('cancelled');
  });

  it('asks for the plate to be taken off when it starts with one on the scale', () => {
    const s = session();
    expect(feed(s, 487)).toMatchObject({ phase: 'clear', line: null });
    expect(() => s.select('pork')).toThrow(/no plate/);
    expect(feed(s, '~0', 0, '~400', 487).phase).toBe('stable');
  });

  it('refuses a dish that is not on sale, and a reading that has gone stale', () => {
    const s = session();
    feed(s, 0, '~400', 487);
    expect(() => s.select('old')).toThrow(/not on sale/);
    expect(() => s.select('nope')).toThrow(/no dish/);
    s.select('pork');
    clock += 5000;
    expect(() => s.confirm()).toThrow(/gone quiet/);
  });

  it('treats small noise on an empty scale as zero, within ±0.25 e only (OIML R76-1 4.5.2)', () => {
    const s = session();
    feed(s, 0, '~1', '~-2', 0.5, -0.4);
    expect(s.state().phase).toBe('zero');
    // a stable 1 g at e = 2 is half an interval off zero: not an empty scale (it was under the old ±1 e)
    feed(s, 1);
    expect(s.state().phase).not.toBe('zero');
  });
});

describe('dish recognition', () => {
  const recognizer = (result: Candidate[] | (() => Promise<Candidate[]>)): DishRecognizer & { calls: number } => {
    const r = {
      calls: 0,
      recognise: async () => {
        r.calls++;
        return typeof result === 'function' ? result() : result;
      },
    };
    return r;
  };
  const settle = () => new Promise((r) => setTimeout(r, 10));

  it('takes a confident dish at the stable moment; the diner may correct it', async () => {
    const rec = recognizer([{ dishId: 'greens', score: 0.3 }, { dishId: 'pork', score: 0.91 }]);
    const s = session({ recognizer: rec });
    feed(s, 0, '~400');
    expect(rec.calls).toBe(0);
    expect(feed(s, 487)).toMatchObject({ phase: 'stable', recognising: true });
    await settle();
    expect(s.state()).toMatchObject({ phase: 'priced', dishId: 'pork', recognising: false, candidates: [{ dishId: 'pork' }, { dishId: 'greens' }], line: { score: 0.91, corrected: false } });
    expect(s.select('greens')).toMatchObject({ corrected: true, line: { dishId: 'greens', score: 0.3, corrected: true, totalFen: 915 } });
    expect(rec.calls).toBe(1);
    expect(lines().map((l) => [l.dish_id, l.score, l.corrected])).toEqual([['pork', 0.91, 0], ['greens', 0.3, 1]]);
  });

  it('asks the diner when unsure, when empty, and when too slow', async () => {
    const unsure = session({ recognizer: recognizer([{ dishId: 'pork', score: 0.4 }]) });
    feed(unsure, 0, '~400', 487);
    await settle();
    expect(unsure.state()).toMatchObject({ phase: 'stable', reason: 'choose_dish', candidates: [{ dishId: 'pork', score: 0.4 }] });
    expect(unsure.select('pork').line).toMatchObject({ score: 0.4, corrected: false });

    const slow = session({ recognizer: recognizer(() => new Promise((r) => setTimeout(() => r([{ dishId: 'pork', score: 0.99 }]), 400))) });
    feed(slow, 0, '~400', 487);
    await new Promise((r) => setTimeout(r, 150));
    expect(slow.state()).toMatchObject({ phase: 'stable', reason: 'choose_dish', recognising: false, candidates: [] });
    await new Promise((r) => setTimeout(r, 300));
    expect(slow.state()).toMatchObject({ phase: 'stable', dishId: null });

    const failing = session({ recognizer: { recognise: () => Promise.reject(new Error('model not loaded')) } });
    feed(failing, 0, '~400', 487);
    await settle();
    expect(failing.state()).toMatchObject({ phase: 'stable', reason: 'choose_dish', recognising: false });
    expect(errors).toHaveLength(1);
  });

  it('forgets a result that arrives after the plate changed', async () => {
    let resolve!: (c: Candidate[]) => void;
    const s = session({ recognizer: { recognise: () => new Promise((r) => (resolve = r)) } });
    feed(s, 0, '~400', 487);
    const stale = resolve;
    feed(s, '~100', 0);
    stale([{ dishId: 'pork', score: 0.99 }]);
    await settle();
    expect(s.state()).toMatchObject({ phase: 'zero', candidates: [], dishId: null });
  });
});
