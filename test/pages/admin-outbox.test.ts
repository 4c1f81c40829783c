// The admin page shows each uplink's link state and backlog, live.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';

let browser: Browser;
let gw: RunningGateway;

beforeAll(async () => {
  const [province, dead] = [await freePort(), await freePort()];
  const base = await simulatorConfig();
  const sims = base.simulators as Record<string, unknown>;
  gw = await startGateway({
    config: {
      ...base,
      simulators: { ...sims, province: { enabled: true, port: province, token: 't', hmac_key: 'k' } },
      outbox: { readings_every_ms: 0 },
      uplinks: [
        { id: 'province', type: 'http', url: `http://127.0.0.1:${province}/ingest/{stream}`, token: 't', hmac_key: 'k', backoff: { min_ms: 50, max_ms: 200, offline_after_ms: 500 } },
        { id: 'unreachable', type: 'http', url: `http://127.0.0.1:${dead}/ingest/{stream}`, timeout_ms: 500, backoff: { min_ms: 50, max_ms: 200, offline_after_ms: 500 } },
      ],
    },
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

it('shows the reachable uplink online and the unreachable one offline with its backlog growing', async () => {
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.context().addCookies((await gw.loginAs('admin')).cookies);
    await page.goto(`${gw.url}/admin`);
    const row = (id: string) => page.locator(`[data-testid="uplink-row"][data-uplink="${id}"]`);
    await expect.poll(() => row('province').getAttribute('data-state'), { timeout: 20_000 }).toBe('online');
    await expect.poll(() => row('unreachable').getAttribute('data-state'), { timeout: 20_000 }).toBe('offline');
    await expect.poll(async () => Number(await row('unreachable').locator('[data-testid="backlog"][data-stream="readings"]').textContent()), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await row('unreachable').textContent()).toMatch(/ECONNREFUSED/);
    const report = await (await fetch(`${gw.url}/readyz`)).json();
    expect(report.uplinks.map((u: { uplink: string; state: string }) => `${u.uplink}:${u.state}`).sort()).toEqual(['province:online', 'unreachable:offline']);
    await page.screenshot({ path: '/tmp/canteen-edge-pages/admin-outbox.png' });
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 60_000);
