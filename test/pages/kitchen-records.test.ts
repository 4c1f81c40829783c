// The food-safety records on the kitchen board in Chromium, against the real
// gateway: a kitchen account records morning checks and food samples with the
// forms; they show up (a failed check as off the kitchen, an underweight sample
// as failing, the dish still missing, both as alerts on the board); a check recorded elsewhere arrives live;
// "weigh on scale" takes the simulated scale's stable weight.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KitchenRecordsMsg } from '../../gateway/wire/kitchen.ts';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

let browser: Browser;
let gw: RunningGateway;

const CERT = { number: 'JKZ-2026-001', expires: '2099-12-31' };
const STAFF = [
  { id: 'wang', name: '王师傅', health_certificate: CERT },
  { id: 'li', name: '李阿姨', health_certificate: CERT },
  { id: 'zhao', name: '赵师傅', health_certificate: CERT },
];
const ALL_CLEAR = { fever: false, diarrhoea: false, vomiting: false, sore_throat: false, hand_wound: false, jaundice: false, uniform: true, cap: true, mask: true, no_jewellery: true };

async function api(method: string, url: string, role: 'admin' | 'kitchen', body?: unknown) {
  const res = await fetch(gw.url + url, { method, headers: { ...(await gw.loginAs(role)).headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

let today: KitchenRecordsMsg;

beforeAll(async () => {
  const base = await simulatorConfig();
  const sims = base.simulators as { scale: Record<string, unknown> };
  gw = await startGateway({
    config: {
      ...base,
      // the plate on the sample scale weighs 176 g with its 40 g box
      simulators: { ...sims, scale: { ...sims.scale, plates_g: [176], cycle_ms: 8800 } },
      canteen: { stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2 }] },
      food_safety: { morning_check: { staff: STAFF }, samples: { scale_station: 'checkout-1', container_tare_g: 40 } },
    },
  });
  browser = await launchBrowser();
  await api('POST', '/api/canteen/dishes', 'admin', { id: 'pork', name: '红烧肉', price_mode: 'by_weight', price_fen: 1280, per_grams: 500 });
  await api('POST', '/api/canteen/dishes', 'admin', { id: 'egg', name: '番茄炒蛋', price_mode: 'by_weight', price_fen: 800, per_grams: 500 });
  today = await api('GET', '/api/kitchen/records/today', 'kitchen');
  // the meal the form starts on, today: its menu is what must be sampled
  await api('PUT', '/api/canteen/menu', 'admin', { date: today.date, meal: today.currentMeal, dishIds: ['pork', 'egg'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

const status = (page: Page, staff: string) => page.locator(`[data-testid="check-row"][data-staff="${staff}"]`).getAttribute('data-status');
const missingDishes = (page: Page) => page.locator(`[data-testid="meal-samples"][data-meal="${today.currentMeal}"] [data-testid="missing-dish"]`).evaluateAll((els) => els.map((e) => e.getAttribute('data-dish')));

async function recordCheck(page: Page, staff: string, temperature: string, untick: string[] = []) {
  await page.getByTestId('check-staff').selectOption(staff);
  await page.getByTestId('check-temp').fill(temperature);
  for (const item of untick) await page.getByTestId(`check-item-${item}`).uncheck();
  await page.getByTestId('check-submit').click();
}

async function recordSample(page: Page, dish: string, grams: string) {
  await page.getByTestId('sample-dish').selectOption(dish);
  await page.getByTestId('sample-grams').fill(grams);
  await page.getByTestId('sample-submit').click();
}

it('records morning checks and samples on the board; a failed check is off today, an underweight sample fails', async () => {
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.context().addCookies((await gw.loginAs('kitchen')).cookies);
    await page.goto(`${gw.url}/kitchen`);
    await page.getByTestId('records').waitFor();
    expect(await page.getByTestId('check-row').count()).toBe(3);
    expect(await status(page, 'wang')).not.toBe('passed');
    expect(await missingDishes(page)).toEqual(['pork', 'egg']);

    await recordCheck(page, 'wang', '36.6');
    await expect.poll(() => status(page, 'wang'), { timeout: 10_000 }).toBe('passed');
    await recordCheck(page, 'li', '36.5', ['mask']);
    await expect.poll(() => status(page, 'li'), { timeout: 10_000 }).toBe('failed');
    const li = page.locator('[data-testid="check-row"][data-staff="li"]');
    expect(await li.textContent()).toContain('今日不得上岗');
    expect(await li.textContent()).toContain('口罩不符合');
    // the failed check is an alert on the board's alert list (the kitchen alert book)
    const failedAlert = page.locator('[data-testid="alert"][data-type="morning_check_failed"]');
    await failedAlert.waitFor({ timeout: 10_000 });
    expect(await failedAlert.getByTestId('alert-message').textContent()).toContain('李阿姨');
    // worded in Chinese from the alert's values, its type and the filter translated, a record badge instead of a black box
    expect(await failedAlert.getByTestId('alert-message').textContent()).toBe('晨检不合格：李阿姨（口罩不符合；体温 36.5 °C），不得上岗，待主管确认痊愈后复岗');
    expect(await failedAlert.getByTestId('alert-record').textContent()).toBe('记录提醒');
    expect(await failedAlert.locator('.alert-head b').textContent()).toBe('晨检不合格');
    expect(await page.getByTestId('filter-type').locator('option[value="morning_check_failed"]').textContent()).toBe('晨检不合格');

    await recordSample(page, 'pork', '132');
    await expect.poll(() => page.locator('[data-testid="sample-row"][data-dish="pork"]').getAttribute('data-underweight'), { timeout: 10_000 }).toBe('false');
    await recordSample(page, 'egg', '98');
    const egg = page.locator('[data-testid="sample-row"][data-dish="egg"]');
    await expect.poll(() => egg.getAttribute('data-underweight'), { timeout: 10_000 }).toBe('true');
    expect(await egg.getAttribute('class')).toContain('rec-failed');
    expect(await egg.textContent()).toContain('不足 125 g');
    await page.locator('[data-testid="alert"][data-type="sample_underweight"]').waitFor({ timeout: 10_000 });
    expect(await missingDishes(page)).toEqual(['egg']); // an underweight sample does not count

    // a check recorded from elsewhere arrives live
    await api('POST', '/api/kitchen/checks', 'kitchen', { staffId: 'zhao', temperatureC: 36.4, answers: ALL_CLEAR });
    await expect.poll(() => status(page, 'zhao'), { timeout: 10_000 }).toBe('passed');

    // a bad input is shown with the gateway's reason
    await page.getByTestId('check-staff').selectOption('li');
    await page.getByTestId('check-temp').fill('36.5');
    await page.getByTestId('check-submit').click();
    await expect.poll(() => page.getByTestId('records-error').textContent(), { timeout: 10_000 }).toContain('off the kitchen today');

    // weigh on the scale station: a press while the plate moves or is off is refused with the reason; the stable plate is taken
    const scaleRow = page.locator('[data-testid="sample-row"][data-source="scale"]');
    await page.getByTestId('sample-dish').selectOption('egg');
    for (const deadline = Date.now() + 30_000; (await scaleRow.count()) === 0; ) {
      if (Date.now() > deadline) throw new Error(`no sample from the scale within 30 s: ${await page.getByTestId('records-error').textContent().catch(() => '')}`);
      await page.getByTestId('sample-weigh').click();
      await page.waitForTimeout(400);
    }
    expect(await scaleRow.first().getAttribute('data-grams')).toBe('136');
    expect(await scaleRow.first().getAttribute('data-dish')).toBe('egg');
    expect(await missingDishes(page)).toEqual([]);

    const log = await api('GET', `/api/kitchen/records?date=${today.date}`, 'kitchen');
    expect(log.checks.map((c: { staffId: string; passed: boolean; checkedBy: string }) => [c.staffId, c.passed, c.checkedBy])).toEqual([
      ['wang', true, 'test-kitchen'],
      ['li', false, 'test-kitchen'],
      ['zhao', true, 'test-kitchen'],
    ]);
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 120_000);
