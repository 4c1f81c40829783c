// Two full sales through the checkout page in Chromium, on a 1024×600 touch
// screen, driven by the built-in scale simulator: a plate of 487 g on a 136 g
// tray (e = 2 g: 488 − 136 = 352 g net) and one of 652 g (516 g net). The diner
// picks a dish, corrects it, hands over to the counter; the counter confirms; the
// receipt, the sale record and the outbox agree to the fen.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE } from '../../gateway/store/sqlite.ts';
import type { SaleMsg } from '../../gateway/wire/canteen.ts';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

const SHOTS = path.join(os.tmpdir(), 'canteen-edge-pages');
const PLATES_G = [487, 652];
const CANTEEN = {
  stations: [{ id: 'checkout-1', name: '1 号结算台', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: '标准餐盘', tare_g: 136 }] }],
};
const DISHES_CSV = [
  '编号,菜名,英文名,计价方式,价格(元),计价克数,能量(千卡),蛋白质(克),脂肪(克),碳水化合物(克),钠(毫克),启用',
  'pork,红烧肉,Braised pork,称重,12.80,500,297,13.6,24.1,4.2,512,是',
  'greens,清炒时蔬,Stir-fried greens,称重,2.60,100,85,2.1,5.3,6.8,312,是',
  'set,番茄炒蛋套餐,Egg & tomato set,按份,12.00,,,,,,,是',
].join('\n');

interface Target { url: string; sql<R>(query: string): R[]; stop(): Promise<unknown>; gw: RunningGateway }

async function start(): Promise<Target> {
  const base = await simulatorConfig();
  const sims = base.simulators as { scale: Record<string, unknown> };
  const gw = await startGateway({ config: { ...base, simulators: { ...sims, scale: { ...sims.scale, plates_g: PLATES_G } }, canteen: CANTEEN } });
  const sql = <R,>(q: string) => {
    const db = new Database(path.join(gw.dataDir, DB_FILE), { readonly: true });
    try {
      return db.prepare(q).all() as R[];
    } finally {
      db.close();
    }
  };
  return { url: gw.url, sql, stop: () => gw.stop(), gw };
}

let browser: Browser;
let target: Target;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [browser, target] = await Promise.all([launchBrowser(), start()]);
  const res = await fetch(`${target.url}/api/canteen/dishes/import`, { method: 'POST', headers: { 'content-type': 'text/csv', ...(await target.gw.loginAs('admin')).headers }, body: DISHES_CSV });
  expect(await res.json()).toEqual({ created: 3, updated: 0 });
  // sign in before the timed flow: the plates come and go on the simulator's clock
  await Promise.all([target.gw.loginAs('cashier'), target.gw.pairKiosk('checkout-1')]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await target?.stop();
});

const station = (page: Page) => page.getByTestId('station');
const phase = (page: Page) => station(page).getAttribute('data-phase');
const text = async (page: Page, testId: string) => (await page.getByTestId(testId).first().textContent())?.trim();
const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `checkout-${name}.png`) });

async function nutrients(page: Page): Promise<Record<string, number>> {
  return page.$$eval('[data-testid="nutrient"]', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-key'), Number(e.getAttribute('data-value'))])));
}

/** Nothing scrolls on the 1024×600 screen and the pay button is fully on it. */
async function fitsScreen(page: Page): Promise<void> {
  expect(await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight])).toEqual([1024, 600]);
  const box = (await page.getByTestId('pay-counter').boundingBox())!;
  expect(box.y + box.height).toBeLessThanOrEqual(600);
  expect(box.height).toBeGreaterThanOrEqual(56);
}

/** Waits for the next plate to settle; returns its net weight. */
async function nextPlate(page: Page): Promise<number> {
  await expect.poll(() => phase(page), { timeout: 20_000 }).toBe('zero');
  await expect.poll(() => phase(page), { timeout: 20_000, interval: 50 }).toBe('stable');
  expect(await station(page).getAttribute('data-reason')).toBe('choose_dish');
  return Number(await page.getByTestId('weight-grams').getAttribute('data-value'));
}

async function pick(page: Page, dishId: string): Promise<void> {
  await page.locator(`[data-testid="dish-option"][data-dish="${dishId}"]`).tap();
  await expect.poll(() => page.getByTestId('dish-name').count()).toBe(1);
}

/** The counter confirms the cash on the admin page. */
async function confirmOnAdminPage(sale: string): Promise<SaleMsg> {
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.context().addCookies((await target.gw.loginAs('admin')).cookies);
    await page.goto(`${target.url}/admin`);
    const row = page.locator(`[data-testid="counter-sale"][data-sale="${sale}"]`);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('[data-testid="dish-row"]').count()).toBe(3);
    await page.screenshot({ path: path.join(SHOTS, 'checkout-admin-counter.png'), fullPage: true });
    await row.getByRole('button', { name: '确认收款' }).tap();
    await expect.poll(() => row.count(), { timeout: 5000 }).toBe(0);
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
  return (await (await fetch(`${target.url}/api/canteen/sales/${sale}`, { headers: (await target.gw.loginAs('cashier')).headers })).json()) as SaleMsg;
}

/** The counter confirms the cash over the API; the page shows the paid receipt. */
async function counterConfirms(page: Page, sale: string): Promise<SaleMsg> {
  const res = await fetch(`${target.url}/api/canteen/sales/${sale}/paid`, { method: 'POST', headers: { 'content-type': 'application/json', ...(await target.gw.loginAs('cashier')).headers }, body: JSON.stringify({ operator: '收银员 1' }) });
  expect(res.status).toBe(200);
  await expect.poll(() => page.getByTestId('receipt').getAttribute('data-status'), { timeout: 5000 }).toBe('paid');
  return (await res.json()) as SaleMsg;
}

async function sellBraisedThenCorrected(page: Page): Promise<SaleMsg> {
  // The diner picks 红烧肉, sees the price, then corrects to 清炒时蔬.
  await pick(page, 'pork');
  expect(await phase(page)).toBe('priced');
  expect(await text(page, 'dish-name')).toBe('红烧肉');
  expect(await text(page, 'unit-price')).toBe('¥12.80 / 500 g');
  expect(await page.getByTestId('total').getAttribute('data-fen')).toBe('901'); // 352 g × 1280 / 500 = 901.12
  expect(await text(page, 'total')).toBe('¥9.01');
  expect(await nutrients(page)).toEqual({ kcal: 1045, protein_g: 47.9, fat_g: 84.8, carbohydrate_g: 14.8, sodium_mg: 1802 });
  await fitsScreen(page);
  await shot(page, 'priced');

  await page.getByTestId('change-dish').tap();
  await pick(page, 'greens');
  await expect.poll(() => text(page, 'dish-name')).toBe('清炒时蔬');
  expect(await text(page, 'unit-price')).toBe('¥2.60 / 100 g');
  expect(await page.getByTestId('total').getAttribute('data-fen')).toBe('915'); // 352 × 260 / 100 = 915.2
  expect(await text(page, 'total')).toBe('¥9.15');
  expect(await nutrients(page)).toEqual({ kcal: 299, protein_g: 7.4, fat_g: 18.7, carbohydrate_g: 23.9, sodium_mg: 1098 });
  expect(await page.getByTestId('weight-grams').evaluate((el) => getComputedStyle(el).color)).toBe('rgb(17, 17, 17)');
  await shot(page, 'corrected');

  await page.getByTestId('pay-counter').tap();
  await expect.poll(() => page.getByTestId('receipt').getAttribute('data-status'), { timeout: 5000 }).toBe('awaiting_payment');
  expect(await text(page, 'receipt-total')).toBe('¥9.15');
  expect(await page.textContent('body')).toContain('请到柜台出示结算号付款');
  await shot(page, 'awaiting-payment');
  return counterConfirms(page, (await page.getByTestId('receipt').getAttribute('data-sale'))!);
}

async function sellPortion(page: Page): Promise<SaleMsg> {
  await pick(page, 'set');
  expect(await text(page, 'unit-price')).toBe('¥12.00 / 份');
  expect(await page.getByTestId('total').getAttribute('data-fen')).toBe('1200');
  expect(await page.textContent('body')).toContain('该菜品暂无营养数据');
  await page.getByTestId('pay-counter').tap();
  await expect.poll(() => page.getByTestId('receipt').getAttribute('data-status'), { timeout: 5000 }).toBe('awaiting_payment');
  // The diner takes the plate to the counter: the kiosk is free for the next one.
  const sale = (await page.getByTestId('receipt').getAttribute('data-sale'))!;
  const saleNo = await text(page, 'sale-no');
  await expect.poll(() => phase(page), { timeout: 20_000 }).toBe('zero');
  const paid = await confirmOnAdminPage(sale);
  expect(paid.no).toBe(saleNo);
  return paid;
}

describe('a sale through the checkout page', { timeout: 90_000 }, () => {
  it('sells two plates in a row, exact to the fen, and waits for zero in between', async () => {
    const { page, errors, close } = await newKioskPage(browser);
    try {
      await page.context().addCookies((await target.gw.pairKiosk('checkout-1')).cookies);
      await page.goto(`${target.url}/?station=checkout-1`);
      await expect.poll(() => page.getByTestId('conn-banner').getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
      await expect.poll(() => station(page).count(), { timeout: 10_000 }).toBe(1);

      const sold: SaleMsg[] = [];
      const soldNet = new Set<number>();
      // The simulator puts its two plates on in turn on its own clock: on a loaded machine the
      // counter's confirmation may outlast the other plate's turn, so a plate already sold can
      // come round again. The diner then just lets it pass (nothing is priced without a dish).
      for (let plates = 0; soldNet.size < 2; plates++) {
        expect(plates, 'plates seen before both kinds were sold').toBeLessThan(8);
        const net = await nextPlate(page);
        expect([352, 516]).toContain(net);
        if (soldNet.has(net)) continue;
        soldNet.add(net);
        if (sold.length === 0) await shot(page, 'choose');
        const sale = net === 352 ? await sellBraisedThenCorrected(page) : await sellPortion(page);
        expect(sale).toMatchObject({ status: 'paid', method: 'counter', totalFen: net === 352 ? 915 : 1200 });
        if (net === 352) {
          expect(await text(page, 'sale-no')).toBe(sale.no);
          await shot(page, 'paid');
          // the plate stays on until the simulator lifts it: nothing is priced meanwhile
          expect(await phase(page)).toBe('paid');
        }
        sold.push(sale);
      }
      await expect.poll(() => phase(page), { timeout: 20_000 }).toBe('zero');
      expect(sold.map((s) => s.no)).toEqual(['0001', '0002']);
      expect(sold.map((s) => s.lines[0]!.netG).sort()).toEqual([352, 516]);

      const audit = target.sql<{ net_g: number; tare_g: number; gross_g: number; total_fen: number; dish_name: string; interval_g: number; frames: string }>(
        'SELECT net_g, tare_g, gross_g, total_fen, dish_name, interval_g, frames FROM canteen_lines ORDER BY at',
      );
      expect(audit.filter((l) => l.net_g === 352).map((l) => [l.dish_name, l.total_fen, l.gross_g, l.tare_g, l.interval_g])).toEqual([
        ['红烧肉', 901, 488, 136, 2],
        ['清炒时蔬', 915, 488, 136, 2],
      ]);
      expect(JSON.parse(audit[0]!.frames).at(-1)).toMatchObject({ grams: expect.any(Number), stable: true });

      const outbox = target.sql<{ payload: string }>("SELECT payload FROM outbox_records WHERE stream = 'transactions' ORDER BY seq").map((r) => JSON.parse(r.payload));
      expect(outbox.map((p) => [p.type, p.id, p.totalFen, p.status])).toEqual(sold.map((s) => ['sale', s.id, s.totalFen, 'paid']));
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('lets the admin add a dish, shows why a write is refused, and lists CSV problems by row', async () => {
    const { page, errors, close } = await newKioskPage(browser);
    try {
      await page.context().addCookies((await target.gw.loginAs('admin')).cookies);
      await page.goto(`${target.url}/admin`);
      await expect.poll(() => page.locator('[data-testid="dish-row"]').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
      await page.getByRole('button', { name: '新增菜品' }).tap();
      const form = page.getByTestId('dish-form');
      await form.getByLabel('编号').fill('potato');
      await form.getByLabel('菜名').fill('酸辣土豆丝');
      await form.getByLabel('价格（元）').fill('3.5');
      await form.getByLabel('蛋白质 (g)').fill('60');
      for (const [label, v] of [['能量 (kcal)', '80'], ['脂肪 (g)', '30'], ['碳水化合物 (g)', '20'], ['钠 (mg)', '10']]) await form.getByLabel(label!).fill(v!);
      await form.getByRole('button', { name: '保存' }).tap();
      await expect.poll(() => text(page, 'dish-form-error')).toBe('nutrition_per_100g: protein, fat and carbohydrate add up to more than 100 g per 100 g');
      await form.getByLabel('蛋白质 (g)').fill('2');
      await form.getByRole('button', { name: '保存' }).tap();
      await expect.poll(() => page.locator('[data-testid="dish-row"][data-dish="potato"]').textContent()).toContain('¥3.50 / 500 g');

      await page.getByTestId('csv-text').fill('菜名,计价方式,价格(元)\n豆浆,按份,1.5\n,按份,2\n米饭,按斤,1');
      await page.getByRole('button', { name: '导入' }).tap();
      await expect.poll(() => page.getByTestId('csv-issues').textContent()).toBe('第 3 行，菜名：a dish needs a name第 4 行，计价方式："按斤": by_weight 称重 or per_portion 按份');
      expect(await page.locator('[data-testid="dish-row"]').count()).toBe(4);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
