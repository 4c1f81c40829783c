// Issue 16, "Chinese fonts": the pages are Chinese first; without a CJK font Chromium
// draws every Chinese character as an empty box. Each page's Chinese characters are
// drawn in the page's font and compared with the missing-glyph box; the server-drawn
// simulated camera frames (SVG through sharp/librsvg) are checked the same way.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { ROOT, startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { missingGlyphsOnPage, svgDrawsChinese } from '../helpers/glyphs.ts';
import { freePortBlock } from '../helpers/ports.ts';

let browser: Browser;
let gw: RunningGateway;

beforeAll(async () => {
  // the shipped config: a checkout station with the demo dishes, the kitchen camera
  gw = await startGateway({ configFile: path.join(ROOT, 'config/gateway.yaml'), port: await freePortBlock(5) });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

for (const [page, who, ready] of [
  ['/login', 'nobody', 'text=工作人员登录'],
  ['/', 'kiosk', '[data-testid="station"]'],
  ['/admin', 'admin', 'text=管理'],
] as const) {
  it(`${page}: every Chinese character is drawn, none as a missing-glyph box`, async () => {
    const { page: tab, close } = await newKioskPage(browser);
    try {
      if (who === 'kiosk') await tab.context().addCookies((await gw.pairKiosk('checkout-1')).cookies);
      if (who === 'admin') await tab.context().addCookies((await gw.loginAs('admin')).cookies);
      await tab.goto(`${gw.url}${page}`);
      await tab.locator(ready).first().waitFor({ timeout: 30_000 });
      const { checked, missing } = await missingGlyphsOnPage(tab);
      expect(checked).toBeGreaterThan(3); // the page did show Chinese text
      expect(missing).toEqual([]);
    } finally {
      await close();
    }
  }, 120_000);
}

it('the simulated camera frames draw their Chinese label', async () => {
  for (const name of ['frame-1.svg', 'frame-2.svg', 'frame-3.svg']) {
    const svg = readFileSync(path.join(ROOT, 'config/sim-camera', name), 'utf8');
    const label = /<text[^>]*font-family="([^"]+)"[^>]*>([^<]*)</.exec(svg);
    expect(label?.[2]).toContain('模拟摄像头');
    expect(await svgDrawsChinese(label![1]!)).toMatchObject({ drawn: true });
  }
});
