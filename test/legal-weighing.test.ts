// Legal-for-trade weighing on the real gateway (issue 15): only the indicator's own
// stable flag prices on a legal scale (never the gateway's stability filter), an HX711
// cannot be a selling station, zero within ±0.25 e, and the line's audit record and the
// receipt carry e, Max, Min and the certificate numbers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { launchBrowser, newKioskPage } from './helpers/browser.ts';
import { cli } from './helpers/cli.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

// the simulator's lines with the status left out: the gateway's filter decides `stable`
const NO_STATUS = { regex: '^(?:ST|US),(?<mode>GS|NT),(?<sign>[+-])(?<value>[\\d.]+)(?<unit>kg|g)$' };
const METROLOGY = { type_approval_no: '2019C123-33', verification_no: 'JD-2026-00417', verified_until: '2099-12-31', max_g: 15000, min_g: 40 };

describe('config check', () => {
  const check = (config: Record<string, unknown>) => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'legal-')), 'gateway.yaml');
    writeFileSync(file, stringify(config));
    return cli(['config', 'check', '--config', file]);
  };
  const hx711 = { id: 'sample-scale', protocol: 'hx711', pins: { dout: 5, sck: 6 }, calibration_file: 'hx.json', division_g: 1 };

  it('refuses an hx711 as a selling station, with the reason, and takes it for samples', async () => {
    const base = await simulatorConfig();
    const devices = { ...(base.devices as object), scales: [hx711] };
    const refused = check({ ...base, devices, canteen: { stations: [{ id: 'samples', scale: 'sample-scale', interval_g: 1 }] } });
    expect(refused.code).toBe(2);
    expect(refused.json().errors).toEqual([
      { path: 'canteen.stations[0].scale', message: expect.stringContaining('a selling station needs a type-approved (型式批准) indicator') },
    ]);
    const ok = check({ ...base, devices, canteen: { stations: [{ id: 'samples', scale: 'sample-scale', interval_g: 1, sells: false }] }, food_safety: { samples: { scale_station: 'samples' } } });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
  });

  it('refuses legal_for_trade on an hx711, without its certificates, and a zero band wider than 0.25 e', async () => {
    const base = await simulatorConfig();
    const scales = [
      { ...hx711, legal_for_trade: true, metrology: METROLOGY },
      { id: 'checkout-1', protocol: 'continuous', transport: { type: 'tcp', host: '127.0.0.1', port: 1 }, legal_for_trade: true },
    ];
    const r = check({ ...base, devices: { ...(base.devices as object), scales }, canteen: { stations: [{ id: 'c1', scale: 'checkout-1', interval_g: 2, zero_tolerance_g: 2 }] } });
    expect(r.code).toBe(2);
    const errors = r.json().errors as { path: string; message: string }[];
    expect(errors).toEqual(expect.arrayContaining([
      { path: 'devices.scales[0].legal_for_trade', message: expect.stringContaining('a hx711 scale cannot be legal for trade') },
      { path: 'devices.scales[1].metrology', message: expect.stringContaining('required with legal_for_trade') },
      { path: 'canteen.stations[0].zero_tolerance_g', message: expect.stringContaining('got 2 g; expected at most 0.25 e = 0.5 g (OIML R76-1 4.5.2)') },
    ]));
  });
});

describe('on the running gateway', () => {
  let gw: RunningGateway;
  let saleId = '';
  let admin: { cookie: string };
  const state = async (station: string) => (await (await fetch(`${gw.url}/api/canteen/stations/${station}`, { headers: admin })).json()) as { phase: string; line: { id: string; metrology?: unknown } | null; weight: { stable: boolean } | null };

  beforeAll(async () => {
    const base = await simulatorConfig();
    const sims = base.simulators as { scale: { port: number } & Record<string, unknown> };
    const tcp = { type: 'tcp', host: '127.0.0.1', port: sims.scale.port };
    const filter = { samples: 3, window_ms: 200 };
    gw = await startGateway({
      config: {
        ...base,
        simulators: { ...sims, scale: { ...sims.scale, plates_g: [487], cycle_ms: 3000 } },
        devices: {
          ...(base.devices as object),
          scales: [
            // the indicator's own flag (ST/US), legal for trade
            { id: 'legal-flag', protocol: 'continuous', transport: tcp, legal_for_trade: true, metrology: METROLOGY },
            // the same readings without the flag: the filter decides; legal for trade
            { id: 'legal-filter', protocol: 'continuous', transport: tcp, pattern: NO_STATUS, stability: filter, legal_for_trade: true, metrology: METROLOGY },
            // the same, not declared legal: the filter may price (as before)
            { id: 'plain-filter', protocol: 'continuous', transport: tcp, pattern: NO_STATUS, stability: filter },
          ],
        },
        canteen: {
          pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 },
          stations: ['legal-flag', 'legal-filter', 'plain-filter'].map((id) => ({ id, scale: id, interval_g: 2 })),
        },
      },
    });
    admin = (await gw.loginAs('admin')).headers;
  }, 60_000);
  afterAll(() => gw?.stop());

  it('prices on the indicator\'s own stable flag, never on the filter\'s, on a legal scale', async () => {
    // the filter's stable readings price a plate on the undeclared scale …
    await expect.poll(async () => (await state('plain-filter')).phase, { timeout: 30_000, interval: 50 }).toBe('priced');
    // … and the legal scale fed the same readings has priced nothing, ever
    const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
    const lines = (station: string) => db.prepare('SELECT stable_by, metrology, frames FROM canteen_lines WHERE station = ?').all(station) as { stable_by: string; metrology: string | null; frames: string }[];
    await expect.poll(() => lines('legal-flag').length, { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
    expect(lines('legal-filter')).toEqual([]);
    expect((await state('legal-filter')).phase).not.toBe('priced');
    expect(lines('plain-filter').every((l) => l.stable_by === 'filter' && l.metrology === null)).toBe(true);
    const legal = lines('legal-flag');
    expect(legal.every((l) => l.stable_by === 'scale')).toBe(true);
    // the audit keeps the raw frames that priced it and the data plate
    expect(JSON.parse(legal[0]!.frames).at(-1).raw).toMatch(/^ST,GS,\+0*\.?\d/);
    expect(JSON.parse(legal[0]!.metrology!)).toEqual({ maxG: 15000, minG: 40, typeApprovalNo: '2019C123-33', verificationNo: 'JD-2026-00417', verifiedUntil: '2099-12-31' });
    db.close();
  });

  it('puts e, Max, Min and the certificate numbers on the receipt', async () => {
    // the simulator's plate stays still ~1 s per cycle: confirm the line seen while it is priced (a 409 means it moved on; try the next)
    let sale: { id: string } | undefined;
    await expect
      .poll(
        async () => {
          const s = await state('legal-flag');
          if (s.phase !== 'priced') return false;
          const r = await fetch(`${gw.url}/api/canteen/stations/legal-flag/confirm`, { method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body: JSON.stringify({ lineId: s.line!.id }) });
          if (r.status === 201) sale = (await r.json()) as { id: string };
          else expect(r.status).toBe(409);
          return sale !== undefined;
        },
        { timeout: 60_000, interval: 50 },
      )
      .toBe(true);
    const receipt = await (await fetch(`${gw.url}/api/canteen/sales/${sale!.id}`, { headers: admin })).json();
    expect(receipt.lines[0]).toMatchObject({ intervalG: 2, metrology: { maxG: 15000, minG: 40, typeApprovalNo: '2019C123-33', verificationNo: 'JD-2026-00417' } });
    saleId = sale!.id;
  }, 90_000);

  it('exports the weighing audit of a date range for an inspector, CSV and JSON, with the raw frames', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const supervisor = (await gw.loginAs('supervisor')).headers;
    const json = await fetch(`${gw.url}/api/canteen/audit?from=${today}&to=${today}`, { headers: supervisor });
    expect(json.status).toBe(200);
    const body = await json.json();
    const row = body.sales.find((r: { sale: string }) => r.sale === saleId);
    expect(row).toMatchObject({ station: 'legal-flag', intervalG: 2, stable: true, stableBy: 'scale', maxG: 15000, minG: 40, typeApprovalNo: '2019C123-33', verificationNo: 'JD-2026-00417' });
    expect(row.frames.at(-1).raw).toMatch(/^ST,GS,/);
    const csv = await fetch(`${gw.url}/api/canteen/audit?from=${today}&to=${today}&format=csv`, { headers: supervisor });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toContain('sale,no,day,station');
    const mine = lines.find((l) => l.startsWith(saleId))!;
    expect(mine).toContain('2019C123-33');
    expect(mine).toMatch(/ST,GS,\+/); // the raw frame, quoted
    // attacks: wrong roles, nobody, a huge range, dates that are not dates
    for (const role of ['kitchen', 'cashier', 'facility'] as const) {
      expect((await fetch(`${gw.url}/api/canteen/audit?from=${today}&to=${today}`, { headers: (await gw.loginAs(role)).headers })).status).toBe(403);
    }
    expect((await fetch(`${gw.url}/api/canteen/audit?from=${today}&to=${today}`, { headers: (await gw.pairKiosk('legal-flag')).headers })).status).toBe(403);
    expect((await fetch(`${gw.url}/api/canteen/audit?from=${today}&to=${today}`)).status).toBe(401);
    const refused = async (q: string, reason: RegExp) => {
      const r = await fetch(`${gw.url}/api/canteen/audit?${q}`, { headers: supervisor });
      expect(r.status).toBe(400);
      expect((await r.json()).error).toMatch(reason);
    };
    await refused('from=2000-01-01&to=2099-12-31', /more than 92 days/);
    await refused('from=2026-02-30&to=2026-03-01', /from: got "2026-02-30"; expected a real date/);
    await refused(`from=${today}`, /to: got null/);
    await refused('from=2026-03-02&to=2026-03-01', /before from/);
    await refused("from=2026-01-01'--&to=2026-01-02", /from/);
    await refused('from=2026-01-01&to=2026-01-02&format=xlsx', /format/);
    const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
    const exports = db.prepare("SELECT actor, detail FROM audit_log WHERE action = 'weighing audit export'").all() as { actor: string; detail: string }[];
    db.close();
    expect(exports.map((e) => e.actor)).toEqual(['test-supervisor', 'test-supervisor']);
  }, 120_000); // signs in five identities with the real CLI
});

describe('verification expiry on the running gateway', () => {
  let gw: RunningGateway;
  let admin: { cookie: string };
  const siteDay = (offsetDays: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(Date.now() + offsetDays * 86_400_000));
  const get = async (url: string, headers: Record<string, string> = admin) => (await fetch(`${gw.url}${url}`, { headers })).json();
  const send = async (method: string, url: string, body: unknown, headers: Record<string, string> = admin) =>
    fetch(`${gw.url}${url}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  beforeAll(async () => {
    const base = await simulatorConfig();
    const sims = base.simulators as { scale: { port: number } & Record<string, unknown> };
    const tcp = { type: 'tcp', host: '127.0.0.1', port: sims.scale.port };
    gw = await startGateway({
      config: {
        ...base,
        simulators: { ...sims, scale: { ...sims.scale, plates_g: [487], cycle_ms: 60_000 } },
        devices: {
          ...(base.devices as object),
          scales: [
            { id: 'expired', protocol: 'continuous', transport: tcp, legal_for_trade: true, metrology: { ...METROLOGY, verified_until: siteDay(-1) } },
            { id: 'due-soon', protocol: 'continuous', transport: tcp, legal_for_trade: true, metrology: { ...METROLOGY, verified_until: siteDay(10) } },
          ],
        },
        canteen: { stations: [{ id: 'expired', scale: 'expired', interval_g: 2 }, { id: 'due-soon', scale: 'due-soon', interval_g: 2 }] },
      },
    });
    admin = (await gw.loginAs('admin')).headers;
    expect((await send('POST', '/api/canteen/dishes', { id: 'pork', name: '红烧肉', price_mode: 'by_weight', price_fen: 1280, per_grams: 500 })).status).toBe(201);
    expect((await send('POST', '/api/canteen/dishes', { id: 'set', name: '套餐', price_mode: 'per_portion', price_fen: 1200 })).status).toBe(201);
  }, 60_000);
  afterAll(() => gw?.stop());

  it('warns 30 days before and reports the lapsed verification to /admin', async () => {
    const list = await get('/api/canteen/verifications');
    expect(list).toEqual([
      expect.objectContaining({ scale: 'expired', state: 'expired', daysLeft: -1, verificationNo: 'JD-2026-00417' }),
      expect.objectContaining({ scale: 'due-soon', state: 'due_soon', daysLeft: 10 }),
    ]);
  });

  it('shows the warnings on /admin in Chinese and takes a new verification from the page', async () => {
    const browser = await launchBrowser();
    try {
      const { page, errors, close } = await newKioskPage(browser);
      await page.context().addCookies((await gw.loginAs('admin')).cookies);
      await page.goto(`${gw.url}/admin`);
      const row = (scale: string) => page.locator(`[data-testid="scale-verification"][data-scale="${scale}"]`);
      await row('due-soon').waitFor({ timeout: 20_000 });
      expect(await row('due-soon').textContent()).toContain(`检定将于 ${siteDay(10)} 到期（还剩 10 天）`);
      expect(await row('expired').textContent()).toContain(`检定已于 ${siteDay(-1)} 过期，已停止按重量计价`);
      await row('due-soon').locator('input[name="verificationNo"]').fill('JD-2027-9');
      await row('due-soon').locator('input[name="verifiedUntil"]').fill(siteDay(400));
      await row('due-soon').locator('button[type="submit"]').click();
      await expect.poll(() => row('due-soon').getAttribute('data-state'), { timeout: 10_000 }).toBe('valid');
      expect(errors).toEqual([]);
      await close();
    } finally {
      await browser.close();
    }
  }, 90_000);

  it('stops pricing by weight after expiry while per-portion sales go on, until an admin enters a new verification (audited)', async () => {
    const kiosk = (await gw.pairKiosk('expired')).headers;
    const cashier = (await gw.loginAs('cashier')).headers; // signed in before the plate arrives: the steps below fit its ~27 s on the scale
    const state = async () => (await get('/api/canteen/stations/expired', kiosk)) as { phase: string; reason: string | null; line: { totalFen: number } | null };
    // the plate stays on the scale (60 s cycle)
    await expect.poll(async () => (await state()).reason, { timeout: 75_000, interval: 100 }).toBe('choose_dish'); // within one 60 s cycle
    expect((await send('POST', '/api/canteen/stations/expired/select', { dishId: 'pork' }, kiosk)).status).toBe(200);
    expect(await state()).toMatchObject({ phase: 'stable', reason: 'verification_expired', line: null });
    // a per-portion dish is still sold
    expect((await send('POST', '/api/canteen/stations/expired/select', { dishId: 'set' }, kiosk)).status).toBe(200);
    expect(await state()).toMatchObject({ phase: 'priced', line: { totalFen: 1200 } });
    // a cashier or kitchen account cannot enter a verification; bad dates are refused with the reason
    expect((await send('PUT', '/api/canteen/verifications/expired', { verificationNo: 'X', verifiedUntil: siteDay(300) }, cashier)).status).toBe(403);
    const bad = await send('PUT', '/api/canteen/verifications/expired', { verificationNo: 'JD-2027-1', verifiedUntil: '2027-02-30' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/verifiedUntil.*real date/);
    expect((await send('PUT', '/api/canteen/verifications/expired', { verificationNo: 'JD-2027-1', verifiedUntil: siteDay(-2) })).status).toBe(400);
    expect((await send('PUT', '/api/canteen/verifications/nope', { verificationNo: 'JD-2027-1', verifiedUntil: siteDay(300) })).status).toBe(404);
    const ok = await send('PUT', '/api/canteen/verifications/expired', { verificationNo: 'JD-2027-1', verifiedUntil: siteDay(365) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ scale: 'expired', state: 'valid', verificationNo: 'JD-2027-1', enteredBy: 'test-admin' });
    // pricing by weight resumes
    expect((await send('POST', '/api/canteen/stations/expired/select', { dishId: 'pork' }, kiosk)).status).toBe(200);
    expect(await state()).toMatchObject({ phase: 'priced', line: { totalFen: expect.any(Number) } });
    const db = new Database(path.join(gw.dataDir, 'canteen-edge.db'), { readonly: true });
    const audit = db.prepare("SELECT actor, role, detail FROM audit_log WHERE action = 'scale verification'").all();
    db.close();
    expect(audit).toEqual([
      { actor: 'test-admin', role: 'admin', detail: JSON.stringify({ scale: 'due-soon', verificationNo: 'JD-2027-9', verifiedUntil: siteDay(400) }) }, // from the page
      { actor: 'test-admin', role: 'admin', detail: JSON.stringify({ scale: 'expired', verificationNo: 'JD-2027-1', verifiedUntil: siteDay(365) }) },
    ]);
  }, 120_000);
});
