// The operations view on /admin in Chromium against the real gateway: models,
// backlog per uplink, disk and versions as the gateway reports them, the support
// bundle link, sign-out in the header; and kiosk pages that lose their sign-in or
// pairing go to /login?next=… (over HTTP and when the socket is refused).
import { mkdirSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SHARED_MODELS_DIR } from '../../bench/recognition/photos.ts';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';
import { freePort } from '../helpers/ports.ts';

const SHOTS = path.join(os.tmpdir(), 'canteen-edge-pages');
let browser: Browser;
let gw: RunningGateway;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const dead = await freePort();
  gw = await startGateway({
    config: {
      ...(await simulatorConfig()),
      canteen: { stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2 }] },
      outbox: { readings_every_ms: 0 },
      uplinks: [{ id: 'unreachable', type: 'http', url: `http://127.0.0.1:${dead}/ingest/{stream}`, timeout_ms: 500, backoff: { min_ms: 50, max_ms: 200, offline_after_ms: 300 } }],
    },
    env: { CANTEEN_EDGE_MODELS_DIR: SHARED_MODELS_DIR },
  });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

it('sends a kiosk page without a pairing to /login, also when its pairing ends while it is open', async () => {
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.goto(`${gw.url}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe('/');

    await page.context().addCookies((await gw.pairKiosk('checkout-1')).cookies);
    await page.goto(`${gw.url}/?station=checkout-1`);
    await expect.poll(() => page.getByTestId('conn-banner').getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
    // unpaired by an admin: the open socket is closed, its reconnection refused as unauthorized
    const admin = await gw.loginAs('admin');
    const r = await fetch(`${gw.url}/api/auth/kiosks/checkout-1`, { method: 'DELETE', headers: admin.headers });
    expect(r.status).toBe(200);
    await page.waitForURL((u) => u.pathname === '/login', { timeout: 20_000 });
    expect(new URL(page.url()).searchParams.get('next')).toBe('/?station=checkout-1');
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 60_000);

it('shows models, the backlog per uplink, disk and versions, and signs out', async () => {
  const { page, errors, close } = await newKioskPage(browser);
  try {
    const admin = await gw.loginAs('admin');
    await page.context().addCookies(admin.cookies);
    await page.goto(`${gw.url}/admin`);
    const ops = await (await fetch(`${gw.url}/api/admin/ops`, { headers: admin.headers })).json();

    await expect.poll(() => page.getByTestId('model-row').count(), { timeout: 15_000 }).toBe(ops.models.length);
    expect(await page.locator('[data-testid="model-row"][data-model="mobilenetv2-12-int8"]').getAttribute('data-state')).toBe('ok');

    const backlog = page.locator('[data-testid="uplink-row"][data-uplink="unreachable"] [data-testid="backlog"][data-stream="readings"]');
    await expect.poll(async () => Number(await backlog.textContent()), { timeout: 20_000 }).toBeGreaterThan(0);

    const fs = statfsSync(gw.dataDir);
    expect(Number(await page.getByTestId('disk-total').getAttribute('data-bytes'))).toBe(fs.blocks * fs.bsize);
    expect(Number(await page.getByTestId('disk-used').getAttribute('data-bytes'))).toBeGreaterThan(0);
    expect(await page.getByTestId('disk-free').textContent()).toMatch(/^\d+(\.\d)? (B|KB|MB|GB|TB)$/);

    const version = (name: string) => page.locator(`[data-testid="version"][data-name="${name}"] td`).textContent();
    expect(await version('node')).toBe(process.versions.node);
    expect(await version('canteen-edge')).toBe(ops.versions.canteenEdge);
    expect(await version('sqlite')).toBe(ops.versions.sqlite);
    expect(await version('schema')).toBe(String(ops.versions.schema));
    expect(await page.getByTestId('support-bundle').getAttribute('href')).toBe('/api/admin/support-bundle');
    await page.screenshot({ path: path.join(SHOTS, 'admin-ops.png'), fullPage: true });

    // sign out from the header: back at /login, and /admin wants a sign-in again
    expect(await page.getByTestId('signed-in').textContent()).toContain('test-admin');
    await page.getByTestId('sign-out').click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.goto(`${gw.url}/admin`);
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/login?next=%2Fadmin');
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 90_000);
