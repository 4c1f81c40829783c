// The payable demo of the shipped config (`simulators.demo`): dishes, two meal cards
// (one frozen) and a PIN, so that `npm start` on a laptop pays a plate end to end with
// the simulated scale. Made once on a fresh data directory (what a visitor changed
// stays changed). The config allows the demo only with the simulated scale
// (config/load.ts); a start with the demo off takes the demo dishes off sale and closes
// the demo cards, so demo data never sells or pays on a real site.
import type { Catalog } from '../canteen/catalog.ts';
import type { Logger } from '../log.ts';
import type { PaymentLedger } from '../payments/ledger.ts';
import type { PinStore } from '../payments/pins.ts';

/** Every demo dish and account id starts with this: how a later start finds them. */
export const DEMO_PREFIX = 'demo-';

export const DEMO_DISHES = [
  { id: 'demo-pork', name: '红烧肉（演示）', name_en: 'Braised pork (demo)', price_mode: 'by_weight', price_fen: 1280, per_grams: 500 },
  { id: 'demo-greens', name: '清炒时蔬（演示）', name_en: 'Stir-fried greens (demo)', price_mode: 'by_weight', price_fen: 650, per_grams: 500 },
  { id: 'demo-tofu', name: '麻婆豆腐（演示）', name_en: 'Mapo tofu (demo)', price_mode: 'by_weight', price_fen: 800, per_grams: 500 },
  { id: 'demo-rice', name: '米饭（演示）', name_en: 'Rice (demo)', price_mode: 'per_portion', price_fen: 100 },
] as const;

export const DEMO_CARDS = [
  { id: 'demo-1', person: '演示一号', card_id: 'DEMO0001', status: 'active', opening_balance_fen: 10_000 },
  { id: 'demo-2', person: '演示二号', card_id: 'DEMO0002', status: 'frozen', opening_balance_fen: 5_000 },
] as const;

/** The PIN of demo-1 (PIN pay: account demo-1, PIN 1234). */
export const DEMO_PIN = { account: 'demo-1', pin: '1234' } as const;

export interface DemoDataOptions {
  /** simulators.demo.enabled */
  enabled: boolean;
  catalog: Catalog;
  ledger: PaymentLedger;
  pins: PinStore;
  logger: Logger;
  now?: () => number;
}

export class DemoData {
  constructor(private readonly opts: DemoDataOptions) {}

  async apply(): Promise<void> {
    if (this.opts.enabled) await this.seed();
    else await this.retire();
  }

  private async seed(): Promise<void> {
    const { catalog, ledger, pins, logger } = this.opts;
    const now = (this.opts.now ?? Date.now)();
    const made: string[] = [];
    for (const dish of DEMO_DISHES) {
      if (catalog.get(dish.id)) continue;
      try {
        await catalog.create({ ...dish });
        made.push(dish.id);
      } catch (err) {
        // a site dish of the same name: the demo does without this one
        logger.warn({ err, dish: dish.id }, 'demo dish not added');
      }
    }
    for (const card of DEMO_CARDS) {
      if (ledger.account(card.id)) continue;
      ledger.upsertAccount({ ...card }, now);
      made.push(card.id);
      if (card.id === DEMO_PIN.account) await pins.set(card.id, DEMO_PIN.pin, 'demo');
    }
    if (made.length) logger.info({ made }, 'demo data added: dishes, meal cards DEMO0001 (PIN 1234) and DEMO0002 (frozen)');
  }

  private async retire(): Promise<void> {
    const { catalog, ledger, logger } = this.opts;
    const now = (this.opts.now ?? Date.now)();
    const retired: string[] = [];
    for (const dish of catalog.list().filter((d) => d.id.startsWith(DEMO_PREFIX) && d.active)) {
      const { id: _id, photo: _photo, ...fields } = dish;
      await catalog.replace(dish.id, { ...fields, active: false });
      retired.push(dish.id);
    }
    for (const card of DEMO_CARDS) {
      const acc = ledger.account(card.id);
      if (!acc || acc.status === 'closed') continue;
      ledger.upsertAccount({ ...acc, status: 'closed' }, now);
      retired.push(card.id);
    }
    if (retired.length) logger.warn({ retired }, 'demo is off (simulators.demo): demo dishes taken off sale and demo meal cards closed');
  }
}
