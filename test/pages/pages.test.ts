import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { startGateway, type TestSession } from '../helpers/gateway.ts';

type Gateway = Awaited<ReturnType<typeof startGateway>>;

const TEST_TIMEOUT = 60_000;
const SHOTS = path.join(os.tmpdir(), 'canteen-edge-pages');
const banner = (page: Page) => page.getByTestId('conn-banner');

let browser: Browser;
let gateway: Gateway | undefined;

async function stopGateway(gw: Gateway): Promise<void> {
  const { code, signal, stderr } = await gw.stop();
  if (code !== 0) console.log(`gateway exited code=${code} signal=${signal}\n${stderr}`);
}

/** Opens `url` on a fresh 1024×600 page signed in as `session`, waits for the connection, runs `check`, screenshots, fails on page errors. */
async function withPage(name: string, url: string, session: TestSession, check: (page: Page) => Promise<void>): Promise<void> {
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.context().addCookies(session.cookies);
    await page.goto(url);
    await expect.poll(() => banner(page).getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
    await expect(banner(page).textContent()).resolves.toContain('已连接');
    await check(page);
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file });
    console.log(`screenshot: ${file}`);
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}

async function attr(page: Page, testId: string, name: string): Promise<string | null> {
  const el = page.getByTestId(testId).first();
  return (await el.count()) ? el.getAttribute(name) : null;
}

async function changes(page: Page, testId: string, name: string, timeout: number): Promise<void> {
  await expect.poll(() => attr(page, testId, name), { timeout: 15_000 }).toMatch(/\S/);
  const first = await attr(page, testId, name);
  await expect.poll(() => attr(page, testId, name), { timeout }).not.toBe(first);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
  gateway = await startGateway();
}, TEST_TIMEOUT);

afterAll(async () => {
  if (gateway) await stopGateway(gateway);
  await browser?.close();
});

describe('kiosk pages against a live gateway', { timeout: TEST_TIMEOUT }, () => {
  it('checkout shows the live scale weight', async () => {
    await withPage('checkout', gateway!.url + '/', await gateway!.pairKiosk('checkout-1'), async (page) => {
      await expect.poll(() => page.textContent('body')).toContain('请将餐盘放在秤上');
      await changes(page, 'weight-grams', 'data-value', 40_000);
      const value = Number(await attr(page, 'weight-grams', 'data-value'));
      expect(Number.isFinite(value)).toBe(true);
      // grey while the scale settles, black once stable
      const look = () =>
        page.getByTestId('weight-grams').evaluate((el) => `${el.dataset.stable}:${Number(el.dataset.value) > 0}:${getComputedStyle(el).color}`);
      await expect.poll(look, { timeout: 20_000, interval: 50 }).toBe('false:true:rgb(156, 163, 175)');
      await expect.poll(look, { timeout: 20_000, interval: 50 }).toBe('true:true:rgb(17, 17, 17)');
    });
  });

  it('energy shows live power per meter and the total', async () => {
    await withPage('energy', gateway!.url + '/energy', await gateway!.loginAs('facility'), async (page) => {
      await changes(page, 'power-kw', 'data-value', 10_000);
      expect(await attr(page, 'power-kw', 'data-device')).toMatch(/\S/);
      expect(Number(await attr(page, 'total-power-kw', 'data-value'))).toBeGreaterThan(0);
    });
  });

  it('kitchen shows camera frames with increasing seq', async () => {
    await withPage('kitchen', gateway!.url + '/kitchen', await gateway!.loginAs('kitchen'), async (page) => {
      await expect.poll(() => attr(page, 'camera-frame', 'data-seq'), { timeout: 15_000 }).toMatch(/^\d+$/);
      const first = Number(await attr(page, 'camera-frame', 'data-seq'));
      await expect.poll(async () => Number(await attr(page, 'camera-frame', 'data-seq')), { timeout: 20_000 }).toBeGreaterThan(first);
      await expect
        .poll(() => page.getByTestId('camera-frame').first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { timeout: 10_000 })
        .toBe(true);
    });
  });

  it('admin lists the simulated devices online, and the language toggle sticks', async () => {
    await withPage('admin', gateway!.url + '/admin', await gateway!.loginAs('admin'), async (page) => {
      for (const kind of ['meter', 'scale', 'camera']) {
        const states = () =>
          page.$$eval(`[data-testid="device-row"][data-kind="${kind}"]`, (rows) => rows.map((r) => r.getAttribute('data-state')).join());
        await expect.poll(states, { timeout: 20_000, message: `all ${kind} rows online` }).toMatch(/^online(,online)*$/);
      }
      await page.getByRole('button', { name: 'English' }).click();
      await expect.poll(() => banner(page).textContent()).toBe('Connected');
      await page.reload();
      await expect.poll(() => page.locator('html').getAttribute('lang')).toBe('en');
      await page.getByRole('button', { name: '中文' }).click();
      await expect.poll(() => banner(page).textContent()).toBe('已连接');
    });
  });
});

describe('connection banner', { timeout: TEST_TIMEOUT }, () => {
  it('turns to reconnecting, then offline, when the gateway stops', async () => {
    const gw = await startGateway();
    const { page, close } = await newKioskPage(browser);
    try {
      await page.context().addCookies((await gw.loginAs('facility')).cookies);
      await page.goto(gw.url + '/energy');
      await expect.poll(() => banner(page).getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
      await stopGateway(gw);
      await expect.poll(() => banner(page).getAttribute('data-state'), { timeout: 10_000 }).toMatch(/^(reconnecting|offline)$/);
      await expect.poll(() => banner(page).getAttribute('data-state'), { timeout: 15_000 }).toBe('offline');
      expect(await banner(page).textContent()).toMatch(/^离线，自 \d{2}:\d{2}:\d{2}$/);
      await page.screenshot({ path: path.join(SHOTS, 'offline.png') });
    } finally {
      await close();
    }
  });
});
