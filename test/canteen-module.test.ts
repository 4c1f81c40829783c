// The module in a running app: readings on the bus, the kiosk's calls over HTTP,
// station states on the bus, the counter confirming payment, the sale in the outbox.
import { afterEach, describe, expect, it } from 'vitest';
import { CanteenModule } from '../gateway/canteen/module.ts';
import { createLogger } from '../gateway/log.ts';
import type { StationStateMsg } from '../gateway/wire/canteen.ts';
import { EventBus } from '../gateway/bus/event-bus.ts';
import { canteenConfigSchema } from '../gateway/canteen/config.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';
import { startCanteenHarness, type CanteenHarness } from './helpers/canteen-harness.ts';

const CANTEEN = { stations: [{ id: 's1', name: '1 号结算台', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: '标准餐盘', tare_g: 136 }] }] };
const PORK = { id: 'pork', name: '红烧肉', price_mode: 'by_weight', price_fen: 1280, per_grams: 500, nutrition_per_100g: { kcal: 297, protein_g: 13.6, fat_g: 24.1, carbohydrate_g: 4.2, sodium_mg: 512 } };

let h: CanteenHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

async function call(method: string, url: string, body?: unknown) {
  const res = await fetch(h!.url + url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

function weigh(grams: number, stable = true): void {
  h!.bus.emit('scale:weight', { deviceId: 'checkout-1', at: Date.now(), grams, stable, net: false, overload: false, underload: false });
}

const outboxSales = () =>
  (h!.db.prepare("SELECT id, payload FROM outbox_records WHERE stream = 'transactions' ORDER BY seq").all() as { id: string; payload: string }[]).map((r) => ({ recordId: r.id, ...JSON.parse(r.payload) }));

describe('the canteen module', () => {
  it('sells a plate: bus readings in, station states out, paid at the counter, in the outbox once', async () => {
    h = await startCanteenHarness({ canteen: CANTEEN, noScale: true });
    const states: StationStateMsg[] = [];
    h.bus.on('station:state', (s) => states.push(s));
    expect((await call('POST', '/api/canteen/dishes', PORK)).status).toBe(201);

    weigh(0);
    weigh(300, false);
    weigh(487);
    expect(states.at(-1)).toMatchObject({ station: 's1', phase: 'stable', reason: 'choose_dish', weight: { netG: 352 } });
    expect((await call('GET', '/api/canteen/stations/s1')).body).toMatchObject({ phase: 'stable', seq: states.at(-1)!.seq });

    const picked = await call('POST', '/api/canteen/stations/s1/select', { dishId: 'pork' });
    expect(picked.body).toMatchObject({ phase: 'priced', line: { totalFen: 901, dishName: '红烧肉' } });
    expect(await call('POST', '/api/canteen/stations/s1/confirm', { lineId: 'stale' })).toMatchObject({ status: 409, body: { error: 'the weight or the price has changed; check the new total' } });
    const confirmed = await call('POST', '/api/canteen/stations/s1/confirm', { lineId: picked.body.line.id });
    expect(confirmed).toMatchObject({ status: 201, body: { no: '0001', status: 'awaiting_payment', totalFen: 901 } });
    const saleId = confirmed.body.id as string;
    expect((await call('GET', '/api/canteen/sales?status=awaiting_payment')).body.map((s: { id: string }) => s.id)).toEqual([saleId]);
    expect(outboxSales()).toEqual([]);

    const paid = await call('POST', `/api/canteen/sales/${saleId}/paid`, { operator: '王师傅' });
    expect(paid.body).toMatchObject({ status: 'paid', method: 'counter', paidAt: expect.any(Number) });
    expect(states.at(-1)).toMatchObject({ phase: 'paid', sale: { id: saleId, status: 'paid' } });
    expect((await call('POST', `/api/canteen/sales/${saleId}/paid`, {})).body).toEqual(paid.body); // the same confirmation again
    expect(await call('POST', `/api/canteen/sales/${saleId}/paid`, { reference: 'R-2' })).toMatchObject({ status: 409, body: { error: 'sale 0001 is already paid' } });
    expect(await call('POST', `/api/canteen/sales/${saleId}/cancel`, {})).toMatchObject({ status: 409, body: { error: 'sale 0001 is paid; it cannot become cancelled' } });

    expect(outboxSales()).toEqual([
      expect.objectContaining({ recordId: `harness-box:transactions:${saleId}`, id: saleId, type: 'sale', status: 'paid', totalFen: 901, method: 'counter', lines: [expect.objectContaining({ netG: 352, tareG: 136, dishName: '红烧肉', totalFen: 901 })] }),
    ]);
    expect((await call('GET', `/api/canteen/sales/${saleId}`)).body).toMatchObject({ no: '0001', status: 'paid', lines: [{ nutrition: { kcal: 1045 } }] });
    const events = h.db.prepare('SELECT status, actor FROM canteen_sale_events WHERE sale_id = ? ORDER BY id').all(saleId);
    expect(events).toEqual([{ status: 'awaiting_payment', actor: 's1' }, { status: 'paid', actor: '王师傅' }]);

    weigh(0);
    expect(states.at(-1)).toMatchObject({ phase: 'zero', sale: null });
  });

  it('answers the kiosk with reasons', async () => {
    h = await startCanteenHarness({ canteen: CANTEEN, noScale: true });
    expect(await call('POST', '/api/canteen/stations/s9/select', { dishId: 'pork' })).toMatchObject({ status: 404, body: { error: 'no station "s9"' } });
    expect(await call('POST', '/api/canteen/stations/s1/select', { dishId: 'pork' })).toMatchObject({ status: 409, body: { error: 'no plate to pick a dish for at station s1 (idle)' } });
    expect(await call('POST', '/api/canteen/stations/s1/confirm', {})).toMatchObject({ status: 409 });
    expect(await call('POST', '/api/canteen/stations/s1/select', {})).toMatchObject({ status: 400, body: { error: "body must have required property 'dishId'" } });
    expect(await call('POST', '/api/canteen/sales/nope/paid', {})).toMatchObject({ status: 404, body: { error: 'no sale "nope"' } });
    const catalog = (await call('GET', '/api/canteen/catalog')).body;
    expect(catalog).toMatchObject({ pricing: { mode: 'per_dish' }, stations: [{ id: 's1', name: '1 号结算台', intervalG: 2, minSaleG: 40, trays: [{ id: 'std', tareG: 136 }] }], menu: { dishIds: null } });
  });

  it('announces catalog changes and re-prices the plate on the scale', async () => {
    h = await startCanteenHarness({ canteen: CANTEEN, noScale: true });
    const changes: number[] = [];
    h.bus.on('canteen:catalog', (c) => changes.push(c.version));
    await call('POST', '/api/canteen/dishes', PORK);
    weigh(0);
    weigh(487);
    await call('POST', '/api/canteen/stations/s1/select', { dishId: 'pork' });
    await call('PUT', '/api/canteen/dishes/pork', { ...PORK, id: undefined, price_fen: 1380 });
    expect((await call('GET', '/api/canteen/stations/s1')).body).toMatchObject({ phase: 'priced', line: { totalFen: 972 } }); // 352 × 1380 / 500 = 971.52
    await call('PUT', '/api/canteen/dishes/pork', { ...PORK, id: undefined, active: false });
    expect((await call('GET', '/api/canteen/stations/s1')).body).toMatchObject({ phase: 'stable', reason: 'choose_dish', line: null });
    expect(changes).toEqual([1, 2, 3]);
  });
});

describe('a paid sale the outbox did not take', () => {
  it('is handed to the outbox again at the next start', async () => {
    const dataDir = (await import('node:fs')).mkdtempSync((await import('node:path')).join((await import('node:os')).tmpdir(), 'canteen-requeue-'));
    const db = openDatabase(dataDir);
    const logger = createLogger('silent');
    const cfg = canteenConfigSchema.parse(CANTEEN);
    const puts: [string, unknown, string][] = [];
    const failing = new CanteenModule({ db, dataDir, bus: new EventBus(), logger, cfg, put: () => Promise.reject(new Error('disk full')) });
    await failing.start();
    await failing.catalog.create(PORK);
    const bus = (failing as unknown as { bus: EventBus }).bus;
    bus.emit('scale:weight', { deviceId: 'checkout-1', at: Date.now(), grams: 0, stable: true, net: false, overload: false, underload: false });
    bus.emit('scale:weight', { deviceId: 'checkout-1', at: Date.now(), grams: 487, stable: true, net: false, overload: false, underload: false });
    failing.station('s1').select('pork');
    const sale = failing.station('s1').confirm();
    await failing.markPaid(sale.id, 'counter', null);
    await failing.stop();

    const again = new CanteenModule({ db, dataDir, bus: new EventBus(), logger, cfg, put: async (stream, payload, key) => void puts.push([stream, payload, key]) });
    await again.start();
    await again.stop();
    expect(puts).toEqual([['transactions', expect.objectContaining({ type: 'sale', id: sale.id, status: 'paid', totalFen: 901 }), sale.id]]);
    const third: unknown[] = [];
    const after = new CanteenModule({ db, dataDir, bus: new EventBus(), logger, cfg, put: async (...a) => void third.push(a) });
    await after.start();
    await after.stop();
    expect(third).toEqual([]);
    db.close();
  });
});
