// Issue 16, "a payable demo": a fresh data directory with the shipped config/gateway.yaml
// pays a demo plate by meal card through the real gateway — over HTTP and Socket.IO as the
// kiosk page does, and in Chromium — and the demo data is gone from sale as soon as the
// simulators are off.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEMO_CARDS, DEMO_DISHES, DEMO_PIN } from '../gateway/demo/seed.ts';
import type { StationStateMsg } from '../gateway/wire/canteen.ts';
import { launchBrowser, newKioskPage } from './helpers/browser.ts';
import { cliAsync } from './helpers/cli.ts';
import { ROOT, startGateway, type RunningGateway, type TestSession } from './helpers/gateway.ts';
import { freePortBlock } from './helpers/ports.ts';
import { SaleSeeder } from './helpers/sales.ts';

const SHIPPED = path.join(ROOT, 'config/gateway.yaml');
/** screenshots kept as test artefacts, as the other page tests keep theirs */
const SHOTS = path.join(os.tmpdir(), 'canteen-edge-pages');
let gw: RunningGateway;
let kiosk: TestSession;
let socket: Socket;
let latest: StationStateMsg | undefined;
let snapshotSite: { demo?: boolean } | undefined;

beforeAll(async () => {
  gw = await startGateway({ configFile: SHIPPED, port: await freePortBlock(5) });
  kiosk = await gw.pairKiosk('checkout-1');
  socket = connect(`${gw.url}/kiosk`, { transports: ['websocket'], forceNew: true, auth: { token: kiosk.token } });
  socket.on('snapshot', (s: { site: { demo?: boolean } }) => (snapshotSite = s.site));
  socket.on('station:state', (m: StationStateMsg) => (latest = m));
}, 120_000);

afterAll(async () => {
  socket?.close();
  await gw?.stop();
});

const api = async (method: string, url: string, body?: unknown, headers = kiosk.headers) => {
  const r = await fetch(`${gw.url}${url}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: (await r.json().catch(() => null)) as any };
};

/** The next state pushed over Socket.IO that matches (the page sees the same). */
async function pushed(match: (m: StationStateMsg) => boolean, timeoutMs = 120_000): Promise<StationStateMsg> {
  await expect.poll(() => latest && match(latest), { timeout: timeoutMs, interval: 50 }).toBe(true);
  return latest!;
}

describe('the shipped config on a fresh data directory', () => {
  it('offers the demo dishes, marked as demo', async () => {
    const catalog = await api('GET', '/api/canteen/catalog');
    expect(catalog.status).toBe(200);
    const ids = (catalog.body.dishes as { id: string; name: string; active: boolean }[]).filter((d) => d.active).map((d) => d.id);
    expect(ids.sort()).toEqual(DEMO_DISHES.map((d) => d.id).sort());
    for (const d of catalog.body.dishes as { name: string }[]) expect(d.name).toContain('演示');
    await expect.poll(() => snapshotSite?.demo, { timeout: 10_000 }).toBe(true);
  });

  it('pays a demo plate by card over HTTP and Socket.IO: the frozen card is declined, DEMO0001 pays', async () => {
    // a plate comes to rest on the simulated scale: no recognition model, the diner picks the dish
    await pushed((m) => m.phase === 'zero');
    await pushed((m) => m.phase === 'stable' && m.reason === 'choose_dish');
    expect((await api('POST', '/api/canteen/stations/checkout-1/select', { dishId: 'demo-pork' })).status).toBe(200);
    const priced = await pushed((m) => m.phase === 'priced' && m.line !== null, 10_000);
    const sale = await api('POST', '/api/canteen/stations/checkout-1/confirm', { lineId: priced.line!.id });
    expect(sale.body).toMatchObject({ status: 'awaiting_payment' });
    const total = sale.body.totalFen as number;
    expect(total).toBeGreaterThan(0);

    const frozen = await api('POST', `/api/payments/sales/${sale.body.id}/pay`, { key: 'demo-frozen', card_id: DEMO_CARDS[1].card_id });
    expect(frozen.body.transaction).toMatchObject({ status: 'declined', reason: 'account_frozen' });
    const paid = await api('POST', `/api/payments/sales/${sale.body.id}/pay`, { key: 'demo-card', card_id: DEMO_CARDS[0].card_id });
    expect(paid.body).toMatchObject({ transaction: { status: 'approved' }, person: '演**号', balance_fen: DEMO_CARDS[0].opening_balance_fen - total });
    await pushed((m) => m.sale?.id === sale.body.id && m.sale?.status === 'paid', 10_000);

    // the demo PIN: a second sale (written as a weighing would, to spare another plate cycle) paid with demo-1 / 1234
    const seeder = new SaleSeeder(gw.dataDir);
    const second = seeder.sale(300);
    seeder.close();
    const wrong = await api('POST', `/api/payments/sales/${second.id}/pay`, { key: 'demo-pin-wrong', account_id: DEMO_PIN.account, pin: '9999' });
    expect(wrong.body.transaction).toMatchObject({ status: 'declined', reason: 'wrong_pin' });
    const byPin = await api('POST', `/api/payments/sales/${second.id}/pay`, { key: 'demo-pin', account_id: DEMO_PIN.account, pin: DEMO_PIN.pin });
    expect(byPin.body).toMatchObject({ transaction: { status: 'approved', method: 'pin' }, balance_fen: DEMO_CARDS[0].opening_balance_fen - total - 300 });
  }, 240_000);
});

describe('in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('the kiosk says demo, the diner picks a demo dish and pays by card DEMO0001', async () => {
    const { page, errors, close } = await newKioskPage(browser);
    try {
      await page.context().addCookies(kiosk.cookies);
      await page.goto(gw.url);
      await expect.poll(() => page.getByTestId('demo-badge').textContent(), { timeout: 20_000 }).toContain('演示');
      const phase = (p: Page) => p.getByTestId('station').getAttribute('data-phase');
      await expect.poll(() => phase(page), { timeout: 120_000 }).toBe('zero');
      await page.locator('[data-testid="dish-option"][data-dish="demo-rice"]').waitFor({ timeout: 120_000 });
      await page.locator('[data-testid="dish-option"][data-dish="demo-rice"]').click();
      await expect.poll(() => phase(page), { timeout: 10_000 }).toBe('priced');
      expect(await page.getByTestId('total').getAttribute('data-fen')).toBe('100');
      mkdirSync(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, 'demo-priced.png') });
      await page.getByTestId('pay-card').click();
      await page.getByTestId('card-input').waitFor();
      await page.keyboard.type(DEMO_CARDS[0].card_id); // a card reader is a keyboard
      await page.keyboard.press('Enter');
      await expect.poll(() => page.getByTestId('receipt').getAttribute('data-status'), { timeout: 10_000 }).toBe('paid');
      await page.screenshot({ path: path.join(SHOTS, 'demo-paid.png') });
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  }, 300_000);
});

describe('with the simulators off', () => {
  it('config check refuses the demo without the simulated scale', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-demo-'));
    const file = path.join(dir, 'gateway.yaml');
    writeFileSync(file, 'simulators:\n  demo: { enabled: true }\n');
    const r = await cliAsync(['config', 'check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.json().errors).toEqual([{ path: 'simulators.demo.enabled', message: expect.stringContaining('simulators.scale.enabled') }]);
  });

  it('a start with the simulators off takes the demo dishes off sale and closes the demo cards', async () => {
    await gw.stop();
    socket.close();
    const config = parse(readFileSync(SHIPPED, 'utf8')) as { simulators: Record<string, { enabled: boolean }>; devices: { cameras: { source: { path?: string } }[] } };
    for (const s of Object.values(config.simulators)) s.enabled = false;
    for (const c of config.devices.cameras) if (c.source.path) c.source.path = path.join(ROOT, 'config', c.source.path);
    const off = path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-demo-off-')), 'gateway.yaml');
    writeFileSync(off, stringify({ ...config, paths: { data_dir: gw.dataDir } }));
    gw = await startGateway({ configFile: off, dataDir: gw.dataDir, port: await freePortBlock(5) });
    const adminNow = (await gw.loginAs('admin')).headers;
    const catalog = await api('GET', '/api/canteen/catalog', undefined, adminNow);
    for (const d of catalog.body.dishes as { id: string; active: boolean }[]) if (d.id.startsWith('demo-')) expect(d).toMatchObject({ active: false });
    const accounts = (await api('GET', '/api/payments/accounts', undefined, adminNow)).body as { id: string; status: string }[];
    for (const c of DEMO_CARDS) expect(accounts.find((a) => a.id === c.id)).toMatchObject({ status: 'closed' });
    // a sale awaiting payment (no scale now: written as a weighing would) is not paid by the demo card or PIN
    const seeder = new SaleSeeder(gw.dataDir);
    const sale = seeder.sale(100);
    seeder.close();
    const byCard = await api('POST', `/api/payments/sales/${sale.id}/pay`, { key: 'off-card', card_id: DEMO_CARDS[0].card_id }, adminNow);
    expect(byCard.body.transaction).toMatchObject({ status: 'declined', reason: 'account_closed' });
    const byPin = await api('POST', `/api/payments/sales/${sale.id}/pay`, { key: 'off-pin', account_id: DEMO_PIN.account, pin: DEMO_PIN.pin }, adminNow);
    expect(byPin.body.transaction).toMatchObject({ status: 'declined', reason: 'account_closed' });
  }, 120_000);
});
