// Paying by meal card at the kiosk in Chromium: the reader types the card id and
// Enter; the diner sees the masked name and the balance left; a card with too
// little money is declined with the reason and the sale stays open.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

let browser: Browser;
let gw: RunningGateway;

beforeAll(async () => {
  const base = await simulatorConfig();
  const sims = base.simulators as { scale: Record<string, unknown> };
  gw = await startGateway({
    config: {
      ...base,
      simulators: { ...sims, scale: { ...sims.scale, plates_g: [487], cycle_ms: 10000 } },
      canteen: { pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 }, stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: 'plate', tare_g: 136 }] }] },
      payments: {
        accounts: [
          { id: 'zhang', person: '张三明', card_id: '0012345678', opening_balance_fen: 5000 },
          { id: 'li', person: '李四', card_id: '0087654321', opening_balance_fen: 300 },
        ],
      },
    },
  });
  browser = await launchBrowser();
  await Promise.all([gw.pairKiosk('checkout-1'), gw.loginAs('admin')]); // before the timed flow
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

const phase = (page: Page) => page.getByTestId('station').getAttribute('data-phase');

async function payByCard(page: Page, card: string) {
  await expect.poll(() => phase(page), { timeout: 20_000 }).toBe('zero');
  await expect.poll(() => phase(page), { timeout: 20_000, interval: 50 }).toBe('priced');
  expect(await page.getByTestId('total').getAttribute('data-fen')).toBe('901');
  await page.getByTestId('pay-card').click();
  await page.getByTestId('card-input').waitFor();
  await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('INPUT'); // the reader types into the focused field
  await page.keyboard.type(card); // a card reader is a keyboard
  await page.keyboard.press('Enter');
}

it('pays by card and shows the paid receipt; declines a card with too little money', async () => {
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.context().addCookies((await gw.pairKiosk('checkout-1')).cookies);
    await page.goto(gw.url);
    await payByCard(page, '0012345678');
    await expect.poll(() => page.getByTestId('receipt').getAttribute('data-status'), { timeout: 5000 }).toBe('paid');
    const accounts = await (await fetch(`${gw.url}/api/payments/accounts`, { headers: (await gw.loginAs('admin')).headers })).json();
    expect(accounts.find((a: { id: string }) => a.id === 'zhang').balance_fen).toBe(5000 - 901);

    await payByCard(page, '0087654321');
    await expect.poll(() => page.getByTestId('card-declined').getAttribute('data-reason'), { timeout: 5000 }).toBe('insufficient_balance');
    expect(await page.getByTestId('card-declined').textContent()).toContain('余额不足');
    expect(await phase(page)).toBe('awaiting_payment');
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 120_000);
