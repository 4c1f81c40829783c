// The energy panel against a real gateway on simulators: a live main meter, a second
// meter on the same simulator under a unit id nobody answers (silent), one group with a
// sub-item code, headcount and floor area for the indicators. The gateway is started
// twice on the same data directory: the simulator's counter starts over, so the second
// run books a "counter went backwards" anomaly for the main meter.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

const TEST_TIMEOUT = 90_000;
const SHOTS = path.join(os.tmpdir(), 'canteen-edge-pages');

let browser: Browser;
let gateway: RunningGateway | undefined;

async function panelConfig(): Promise<Record<string, unknown>> {
  const base = (await simulatorConfig()) as { devices: { meters: { transport: { port: number } }[]; scales: unknown[]; cameras: unknown[] } };
  const main = base.devices.meters[0]!;
  return simulatorConfig({
    ...base,
    devices: {
      ...base.devices,
      meters: [
        { ...main, name: '总进线' },
        {
          id: 'annex-meter',
          name: '附楼电表',
          profile: 'sdm630',
          transport: { type: 'tcp', host: '127.0.0.1', port: main.transport.port },
          unit_id: 9,
          poll_ms: 300,
          timeout_ms: 200,
        },
      ],
    },
    energy: {
      headcount: 500,
      floor_area_m2: 2000,
      site_meters: ['main-meter', 'annex-meter'],
      flush_ms: 300,
      groups: [{ id: 'kitchen', name: '厨房', sub_item: '01D20', meters: ['main-meter'] }],
    },
  });
}

async function stop(gw: RunningGateway): Promise<void> {
  const { code, signal, stderr } = await gw.stop();
  if (code !== 0) console.log(`gateway exited code=${code} signal=${signal}\n${stderr}`);
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
  const config = await panelConfig();
  // First run: book some consumption and leave a counter baseline behind.
  const first = await startGateway({ config });
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const s = (await (await fetch(`${first.url}/api/energy/summary`, { headers: (await first.loginAs('facility')).headers })).json()) as { today: { electricityKwh: number } };
      if (s.today.electricityKwh > 0) break;
      if (Date.now() > deadline) throw new Error('the first run booked no consumption within 20 s');
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 700));
  } finally {
    await stop(first);
  }
  // Second run on the same data: the simulator's counter restarts lower than the baseline.
  gateway = await startGateway({ config, env: { CANTEEN_EDGE_DATA_DIR: first.dataDir } });
}, TEST_TIMEOUT);

afterAll(async () => {
  if (gateway) await stop(gateway);
  await browser?.close();
});

const attr = (page: Page, selector: string, name: string) =>
  page.locator(selector).first().evaluate((el, n) => el.getAttribute(n), name).catch(() => null);

describe('energy panel', { timeout: TEST_TIMEOUT }, () => {
  it('shows live power, silent meter, group, indicators, charts and anomalies', async () => {
    const { page, errors, close } = await newKioskPage(browser);
    try {
      await page.context().addCookies((await gateway!.loginAs('facility')).cookies);
      await page.goto(`${gateway!.url}/energy`);
      await expect.poll(() => page.getByTestId('conn-banner').getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');

      // live power of the simulated building, moving
      const main = '[data-testid="power-kw"][data-device="main-meter"]';
      await expect.poll(async () => Number(await attr(page, main, 'data-value')), { timeout: 15_000 }).toBeGreaterThan(0);
      const first = await attr(page, main, 'data-value');
      await expect.poll(() => attr(page, main, 'data-value'), { timeout: 10_000 }).not.toBe(first);
      await expect.poll(async () => Number(await attr(page, '[data-testid="total-power-kw"]', 'data-value')), { timeout: 10_000 }).toBeGreaterThan(0);
      await expect.poll(async () => Number(await attr(page, '[data-testid="today-kwh"]', 'data-value')), { timeout: 10_000 }).toBeGreaterThan(0);

      // the main meter's card is online, with its name
      const mainCard = page.locator('[data-testid="meter-card"][data-device="main-meter"]');
      await expect.poll(() => mainCard.getAttribute('data-state'), { timeout: 10_000 }).toBe('online');
      expect(await mainCard.getAttribute('data-silent')).toBe('false');
      expect(await mainCard.textContent()).toContain('总进线');

      // the silent meter: offline, flagged and visibly highlighted
      const silent = page.locator('[data-testid="meter-card"][data-device="annex-meter"]');
      await expect.poll(() => silent.getAttribute('data-state'), { timeout: 15_000 }).toBe('offline');
      expect(await silent.getAttribute('data-silent')).toBe('true');
      expect(await silent.textContent()).toContain('附楼电表');
      expect(await silent.getByTestId('silent-reason').textContent()).toMatch(/^通讯中断，自 \d{2}:\d{2}:\d{2}/);
      const look = (l: typeof silent) => l.evaluate((el) => getComputedStyle(el).borderTopColor + '|' + getComputedStyle(el).backgroundColor);
      expect(await look(silent)).not.toBe(await look(mainCard));
      expect(await page.getByTestId('silent-note').textContent()).toContain('附楼电表');

      // the group with its sub-item code
      const group = page.locator('[data-testid="group"][data-group="kitchen"]');
      await expect.poll(() => group.count(), { timeout: 10_000 }).toBe(1);
      expect(await group.textContent()).toMatch(/厨房.*01D20/);

      // per-person and per-m² indicators against their targets; no water meter, so no water indicator
      const indicator = (kind: string) => page.locator(`[data-testid="indicator"][data-kind="${kind}"]`);
      expect(await indicator('kgcePerPerson').getAttribute('data-target')).toBe('144.5');
      expect(await indicator('kgcePerM2').getAttribute('data-target')).toBe('5.66');
      expect(await indicator('kgcePerPerson').textContent()).toContain('144.50');
      expect(await indicator('kgcePerM2').textContent()).toContain('5.66');
      // a box with minutes of data projects no year: it says so, and how many days it has
      expect(await indicator('kgcePerPerson').getAttribute('data-status')).toBe('pending');
      expect(await indicator('kgcePerPerson').getByTestId('forecast-pending').textContent()).toBe('数据不足：已有 0 天，满 30 天后预测全年');
      expect(await indicator('waterM3PerPerson').count()).toBe(0);

      // both charts drawn by uPlot, with only the periods the box has data for: the hours and
      // days before it existed are gaps, not zeros
      await expect.poll(async () => Number(await attr(page, '[data-testid="chart-24h"]', 'data-points')), { timeout: 15_000 }).toBeGreaterThan(0);
      expect(Number(await attr(page, '[data-testid="chart-24h"]', 'data-points'))).toBeLessThan(10);
      await expect.poll(() => attr(page, '[data-testid="chart-30d"]', 'data-points'), { timeout: 15_000 }).toBe('1');
      const quarters = await (await fetch(`${gateway!.url}/api/energy/series?period=15m`, { headers: (await gateway!.loginAs('facility')).headers })).json();
      expect(quarters.points).toHaveLength(96);
      expect(quarters.points[0]).toMatchObject({ electricityKwh: null, partial: false });
      expect(quarters.points.at(-1)).toMatchObject({ partial: true });
      for (const id of ['chart-24h', 'chart-30d']) {
        const size = await page.getByTestId(id).locator('canvas').evaluate((c: HTMLCanvasElement) => [c.clientWidth, c.clientHeight]);
        expect(size[0], id).toBeGreaterThan(300);
        expect(size[1], id).toBeGreaterThan(100);
      }

      // the restarted counter is listed as an anomaly and marks the main meter's card
      const backwards = page.locator('[data-testid="anomaly"][data-device="main-meter"][data-kind="backwards"]');
      await expect.poll(() => backwards.count(), { timeout: 10_000 }).toBeGreaterThan(0);
      // its detail in Chinese, from the two counter readings: no English developer sentence
      expect(await backwards.first().textContent()).toMatch(/计数器回退.*表底由 [\d,.]+ 降至 [\d,.]+，未计入用量/);
      expect(await backwards.first().textContent()).not.toMatch(/counter|went|backwards/);
      expect(await mainCard.getAttribute('class')).toContain('has-anomaly');
      expect(await page.locator('[data-testid="anomaly"][data-device="annex-meter"]').count()).toBe(1);

      // kgce and CO₂ of a few minutes' consumption are small but not shown as 0
      const today = Number(await attr(page, '[data-testid="today-kwh"]', 'data-value'));
      expect(today).toBeGreaterThan(0);
      expect(await page.getByTestId('kgce-today').textContent()).toMatch(/[1-9]/);
      expect(await page.getByTestId('co2-today').textContent()).toMatch(/[1-9]/);
      // the factors in use and their sources, in the details: grid (indirect) and gas (direct)
      const factors = page.getByTestId('factors');
      await factors.locator('summary').click();
      expect(await factors.textContent()).toMatch(/折算系数与来源.*0\.1229 kgce\/kWh.*1\.33 kgce\/m³.*GB\/T 2589-2020/);
      expect(await factors.getByTestId('grid-source').textContent()).toContain('2024-12-20');
      expect(await factors.textContent()).toMatch(/0\.5617 kgCO₂\/kWh.*2\.165 kgCO₂\/m³（直接排放）/);
      expect(await factors.getByTestId('co2-split').textContent()).toMatch(/今日 CO₂：电力 .*[1-9].* kg，燃气 0\.00 kg/);

      // this period against the last one up to the same time: a box born today has no yesterday
      expect(await page.getByTestId('compare-day').textContent()).toBe('昨日同期 无数据');
      expect(await page.getByTestId('compare-month').textContent()).toBe('上月同期 无数据');
      // the day picker: yesterday's quarters are all gaps (the box did not exist), today's are not
      const seriesUrls: string[] = [];
      page.on('request', (r) => { if (r.url().includes('/api/energy/series?period=15m')) seriesUrls.push(r.url()); });
      const yesterday = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() - 86_400_000));
      await page.getByTestId('day-picker').fill(yesterday);
      await expect.poll(() => seriesUrls.some((u) => u.endsWith(`&day=${yesterday}`)), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => attr(page, '[data-testid="chart-24h"]', 'data-points'), { timeout: 10_000 }).toBe('0');
      await page.getByRole('button', { name: '回到近 24 小时' }).click();
      await expect.poll(async () => Number(await attr(page, '[data-testid="chart-24h"]', 'data-points')), { timeout: 10_000 }).toBeGreaterThan(0);
      const bad = await fetch(`${gateway!.url}/api/energy/series?period=15m&day=2999-01-01`, { headers: (await gateway!.loginAs('facility')).headers });
      expect(bad.status).toBe(400);

      // nothing wider than the kiosk screen
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1024);

      await page.screenshot({ path: path.join(SHOTS, 'energy-panel.png') });
      await page.screenshot({ path: path.join(SHOTS, 'energy-panel-full.png'), fullPage: true });

      // English
      await page.getByRole('button', { name: 'English' }).click();
      await expect.poll(() => page.getByTestId('conn-banner').textContent()).toBe('Connected');
      expect(await silent.getByTestId('silent-reason').textContent()).toMatch(/^No data since \d{2}:\d{2}:\d{2}/);
      expect(await indicator('kgcePerPerson').textContent()).toContain('Energy per person');
      await expect.poll(async () => Number(await attr(page, '[data-testid="chart-24h"]', 'data-points')), { timeout: 5_000 }).toBeGreaterThan(0);
      await page.screenshot({ path: path.join(SHOTS, 'energy-panel-en.png') });
      await page.screenshot({ path: path.join(SHOTS, 'energy-panel-en-full.png'), fullPage: true });
      await page.getByRole('button', { name: '中文' }).click();

      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('fits a 1920×1080 office screen too: the same figures, nothing wider than the screen', async () => {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await context.addCookies((await gateway!.loginAs('facility')).cookies);
      await page.goto(`${gateway!.url}/energy`);
      await expect.poll(() => page.getByTestId('conn-banner').getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
      await expect.poll(async () => Number(await attr(page, '[data-testid="today-kwh"]', 'data-value')), { timeout: 10_000 }).toBeGreaterThan(0);
      expect(await page.getByTestId('factors').count()).toBe(1);
      expect(await page.getByTestId('compare-day').count()).toBe(1);
      expect(await page.getByTestId('day-picker').count()).toBe(1);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1920);
      await page.screenshot({ path: path.join(SHOTS, 'energy-panel-1920.png') });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
