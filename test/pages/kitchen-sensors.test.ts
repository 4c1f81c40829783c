// The sensor panel of the kitchen board in Chromium against the real gateway with the
// built-in sensor simulator (a Modbus TCP server: a fridge, a freezer, a disinfection
// cabinet) and a DS18B20 probe that is missing (silent): Chinese first, temperatures
// from the simulator, "无数据" for the silent probe (never 0 °C), a waste disposal
// recorded from the form; nothing overflows at 1024×600 or 1920×1080.
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.ts';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

const SHOTS = path.join(os.tmpdir(), 'canteen-edge-pages');
let browser: Browser;
let gw: RunningGateway;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  const sim = (unit: number) => ({ type: 'modbus', transport: { type: 'tcp', host: '127.0.0.1', port }, unit_id: unit, temperature: { address: 1 }, humidity: { address: 0, type: 'uint16' } });
  const base = await simulatorConfig();
  gw = await startGateway({
    config: {
      ...base,
      kitchen_sensors: {
        simulator: { enabled: true, port },
        cold_rooms: [
          { id: 'fridge-1', name: '冷藏库', kind: 'refrigerated', poll_ms: 500, source: { ...sim(1), door: { address: 0 } } },
          { id: 'freezer-1', name: '冷冻库', kind: 'frozen', poll_ms: 500, source: sim(2) },
          { id: 'probe-1', name: '留样冰箱', kind: 'refrigerated', silent_after_ms: 2000, source: { type: 'w1', device: '28-000000000001', dir: mkdtempSync(path.join(os.tmpdir(), 'w1-empty-')) } },
        ],
        disinfection: [{ id: 'cabinet-1', name: '消毒柜', kind: 'cabinet', due: ['10:30'], source: { type: 'modbus', transport: { type: 'tcp', host: '127.0.0.1', port }, unit_id: 3, input: { function: 'coils', address: 0 } } }],
      },
    },
  });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

describe('kitchen board: sensors', () => {
  for (const [width, height] of [
    [1024, 600],
    [1920, 1080],
  ] as const) {
    it(`cold rooms, disinfection and waste in Chinese at ${width}×${height}; a waste disposal from the form`, { timeout: 90_000 }, async () => {
      const p = await newKioskPage(browser);
      try {
        const { page } = p;
        await page.setViewportSize({ width, height });
        await page.context().addCookies((await gw.loginAs('kitchen')).cookies);
        await page.goto(`${gw.url}/kitchen`);
        const sensors = page.getByTestId('sensors');
        await expect.poll(() => sensors.isVisible(), { timeout: 20_000 }).toBe(true);
        await expect.poll(() => sensors.locator('h2').textContent(), { timeout: 10_000 }).toBe('阳光厨房监测');
        // the simulator's fridge ≈ 4 °C and freezer ≈ −18 °C, shown with one decimal
        await expect.poll(() => page.getByTestId('cold-room-fridge-1').getByTestId('temperature').textContent(), { timeout: 20_000 }).toMatch(/^[0-9]\.\d °C$/);
        await expect.poll(() => page.getByTestId('cold-room-freezer-1').getByTestId('temperature').textContent(), { timeout: 20_000 }).toMatch(/^-1\d\.\d °C$/);
        expect(await page.getByTestId('cold-room-freezer-1').textContent()).toContain('冷冻 · 限值 ≤ -12 °C');
        // the missing probe: no number at all
        await expect.poll(() => page.getByTestId('cold-room-probe-1').getAttribute('data-state'), { timeout: 20_000 }).toBe('silent');
        expect(await page.getByTestId('cold-room-probe-1').getByTestId('temperature').textContent()).toBe('无数据');
        expect(await page.getByTestId('cold-room-probe-1').textContent()).toContain('传感器无数据');
        await expect.poll(() => page.getByTestId('disinfection-cabinet-1').textContent(), { timeout: 20_000 }).toMatch(/消毒柜.*每次至少 10 分钟.*(运行中（自 \d\d:\d\d）|未运行)/);
        // a disposal
        const rows = await page.getByTestId('waste-row').count();
        await page.getByTestId('waste-carrier').fill('李师傅');
        await page.getByTestId('waste-kg').fill('8.5');
        await page.getByTestId('waste-save').click();
        await expect.poll(() => page.getByTestId('waste-row').count(), { timeout: 10_000 }).toBe(rows + 1);
        expect(await page.getByTestId('waste-row').last().textContent()).toMatch(/^\d\d:\d\d8\.5 kg李师傅test-kitchen$/);
        // a bad weight: a Chinese reason, nothing recorded
        await page.getByTestId('waste-carrier').fill('李师傅');
        await page.getByTestId('waste-kg').fill('-3');
        await page.getByTestId('waste-save').click();
        await expect.poll(() => page.getByTestId('waste-error').textContent()).toBe('请填写重量');
        expect(await page.getByTestId('waste-row').count()).toBe(rows + 1);
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        await sensors.scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(SHOTS, `kitchen-sensors-${width}x${height}.png`), fullPage: true });
        expect(p.errors).toEqual([]);
      } finally {
        await p.close();
      }
    });
  }
});
