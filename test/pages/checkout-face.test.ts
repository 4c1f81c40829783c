// Paying by face at the kiosk in Chromium, the camera fed from real photos
// (../shared/images, person A in two different photos): A is enrolled from one
// photo over the HTTP API, the kiosk camera plays the other. The diner sees the
// liveness check, their masked name and balances, confirms, gets the receipt, and
// the ledger drops by exactly the price. With someone else on the camera (the
// minivision live sample: a real capture, so it passes liveness and fails the
// match) the page says "not recognised" and card, QR and PIN stay on screen (she
// then pays by card). The fake camera is a .y4m made with ffmpeg from the photo
// in a temp dir; nothing is written into the project.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SHARED_IMAGES_DIR, SHARED_MODELS_DIR } from '../../bench/recognition/photos.ts';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { recordImpactAssessment } from '../helpers/face.ts';
import { cliAsync } from '../helpers/cli.ts';
import { startMirror } from '../helpers/mirror.ts';
import { ROOT, simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

const IMAGES = SHARED_IMAGES_DIR;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-face-cam-'));
const PRICE_FEN = 901; // 487 g − 136 g tray = 351 g at ¥12.80 / 500 g
const QR_SECRET = 'campus-app-test-secret';

/** Framing a portrait photo as a 640×480 webcam picture (ffmpeg filters). */
const FRAMING = {
  /** the 4:3 band from `top` (share of the height), where the face of a half-length portrait is */
  band: (top: number) => `crop=iw:iw*3/4:0:ih*${top},scale=640:480`,
  /** the whole photo, grey on both sides (ffmpeg applies the EXIF rotation) */
  whole: 'scale=-2:480,pad=640:480:(ow-iw)/2:0:gray',
};

/** A one-second clip of one photo that Chromium loops as the webcam. */
function cameraClip(photo: string, framing: string): string {
  const out = path.join(tmp, `${path.parse(photo).name}.y4m`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', path.join(IMAGES, photo), '-t', '1', '-r', '10', '-vf', `${framing},format=yuv420p`, out]);
  return out;
}

/** Person A's other photo (full length) as an enrolment image: the head and shoulders, base64 JPEG. */
async function enrolmentImage(): Promise<string> {
  const img = sharp(path.join(IMAGES, 'compreface_001_A.jpg')).rotate();
  const { width, height } = await img.metadata();
  const side = Math.round(width! * 0.3);
  const jpeg = await img.extract({ left: Math.round(width! * 0.305), top: Math.round(height! * 0.19), width: side, height: side }).resize(800).jpeg({ quality: 90 }).toBuffer();
  return jpeg.toString('base64');
}

let gw: RunningGateway;
const browsers: Browser[] = [];

beforeAll(async () => {
  const base = await simulatorConfig();
  const sims = base.simulators as { scale: Record<string, unknown> };
  gw = await startGateway({
    env: { CANTEEN_EDGE_MODELS_DIR: SHARED_MODELS_DIR },
    config: {
      ...base,
      // a long weighing cycle: the plate stays on the scale ~18 s, time for a wrong PIN and a retry on a busy box
      simulators: { ...sims, scale: { ...sims.scale, plates_g: [487], cycle_ms: 40_000 } },
      canteen: { pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 }, stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: 'plate', tare_g: 136 }] }] },
      payments: {
        accounts: [
          { id: 'zhang', person: '张三明', card_id: '0012345678', opening_balance_fen: 5000 },
          { id: 'li', person: '李四', card_id: '0087654321', birth_date: '1979-10-01', opening_balance_fen: 3000 },
        ],
        qr_secret: QR_SECRET,
      },
    },
  });
  const admin = { 'content-type': 'application/json', ...(await gw.loginAs('admin')).headers };
  const post = async (url: string, body: unknown) => {
    const r = await fetch(`${gw.url}${url}`, { method: 'POST', headers: admin, body: JSON.stringify(body) });
    if (r.status !== 201) throw new Error(`POST ${url}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  // face pay starts once the site's impact assessment is on record (PIPL art. 55)
  await recordImpactAssessment(gw.url, admin);
  // kiosk self-enrolment needs the card and the account's PIN
  expect((await fetch(`${gw.url}/api/payments/accounts/li/pin`, { method: 'POST', headers: admin, body: JSON.stringify({ pin: '2580' }) })).status).toBe(204);
  const { version } = await (await fetch(`${gw.url}/api/biometrics/consent-text`, { headers: admin })).json();
  await post('/api/biometrics/consents', { account_id: 'zhang', given_by: 'self', minor: false, text_version: version });
  const enrolled = await post('/api/biometrics/enrolments', { account_id: 'zhang', images: [await enrolmentImage()] });
  expect(enrolled.images_used).toBe(1);
  await gw.pairKiosk('checkout-1');
}, 240_000);

afterAll(async () => {
  for (const b of browsers) await b.close();
  await gw?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const phase = (page: Page) => page.getByTestId('station').getAttribute('data-phase');
const balance = async (id: string): Promise<number> => {
  const accounts = await (await fetch(`${gw.url}/api/payments/accounts`, { headers: (await gw.loginAs('admin')).headers })).json();
  return accounts.find((a: { id: string }) => a.id === id).balance_fen;
};

/** A kiosk page whose camera shows `photo`, at a freshly priced plate, with "pay by face" tapped. */
async function faceAtPricedPlate(photo: string, framing: string) {
  const browser = await launchBrowser({ fakeCamera: cameraClip(photo, framing) });
  browsers.push(browser);
  const kiosk = await newKioskPage(browser);
  await kiosk.page.context().addCookies((await gw.pairKiosk('checkout-1')).cookies);
  await kiosk.page.goto(gw.url);
  await payAtPricedPlate(kiosk.page, 'face');
  await kiosk.page.getByTestId('face-pay').waitFor();
  return kiosk;
}

/** Waits for the next plate to be priced, then taps one way to pay. */
async function payAtPricedPlate(page: Page, method: 'face' | 'card' | 'qr' | 'pin') {
  await expect.poll(() => phase(page), { timeout: 90_000 }).toBe('zero');
  await expect.poll(() => phase(page), { timeout: 90_000, interval: 50 }).toBe('priced');
  expect(await page.getByTestId('total').getAttribute('data-fen')).toBe(String(PRICE_FEN));
  await page.getByTestId(`pay-${method}`).click();
}

async function expectOtherWaysOnScreen(page: Page) {
  for (const m of ['card', 'qr', 'pin']) expect(await page.getByTestId(`method-${m}`).isVisible(), m).toBe(true);
}

it('pays by face: liveness, masked name and balances, confirm, receipt; the ledger drops by the price', async () => {
  const before = await balance('zhang');
  const { page, errors, close } = await faceAtPricedPlate('compreface_002_A.jpg', FRAMING.band(0.1));
  try {
    await expectOtherWaysOnScreen(page);
    expect(await page.getByTestId('camera').getAttribute('data-state')).not.toBe('denied');
    // liveness frames are counted on screen while the face is checked
    await expect.poll(() => page.getByTestId('face-pay').getAttribute('data-state'), { timeout: 60_000 }).toBe('matched');
    const section = page.getByTestId('face-pay');
    expect(Number(await section.getAttribute('data-needed'))).toBeGreaterThan(0);
    expect(await section.getAttribute('data-frames')).toBe(await section.getAttribute('data-needed'));
    const candidate = page.getByTestId('face-candidate');
    expect(await page.getByTestId('face-person').textContent()).toBe('张*明');
    expect(Number(await candidate.getAttribute('data-balance'))).toBe(before);
    expect(Number(await candidate.getAttribute('data-after'))).toBe(before - PRICE_FEN);
    await expectOtherWaysOnScreen(page);
    await page.screenshot({ path: '/tmp/canteen-edge-pages/checkout-face-matched.png' });

    await page.getByTestId('face-confirm').click();
    await expect.poll(() => page.getByTestId('receipt').getAttribute('data-status'), { timeout: 10_000 }).toBe('paid');
    expect(await page.getByTestId('receipt').textContent()).toContain('刷脸');
    expect(await balance('zhang')).toBe(before - PRICE_FEN);
    // the camera view is gone and its tracks with it
    expect(await page.locator('video').count()).toBe(0);
    await page.screenshot({ path: '/tmp/canteen-edge-pages/checkout-face-paid.png' });
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 240_000);

it('says "not recognised" for someone not enrolled, keeps card / QR / PIN on screen, and the card then pays', async () => {
  const before = { zhang: await balance('zhang'), li: await balance('li') };
  const { page, errors, close } = await faceAtPricedPlate('minivision_image_T1.jpg', FRAMING.whole);
  try {
    await expect.poll(() => page.getByTestId('face-pay').getAttribute('data-state'), { timeout: 60_000 }).toBe('declined');
    expect(await page.getByTestId('face-declined').getAttribute('data-reason')).toBe('not_recognised');
    expect(await page.getByTestId('face-declined').textContent()).toContain('未能识别');
    expect(await page.getByTestId('face-candidate').count()).toBe(0);
    await expectOtherWaysOnScreen(page);
    expect(await phase(page)).toBe('awaiting_payment');
    await page.screenshot({ path: '/tmp/canteen-edge-pages/checkout-face-declined.png' });

    await page.getByTestId('method-card').click();
    await page.getByTestId('card-input').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('INPUT');
    await page.keyboard.type('0087654321');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('receipt').getAttribute('data-status'), { timeout: 10_000 }).toBe('paid');
    expect(await balance('li')).toBe(before.li - PRICE_FEN);
    expect(await balance('zhang')).toBe(before.zhang);
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 240_000);

it('pays by PIN on the on-screen keypad (a wrong PIN is declined first) and by the campus app\'s QR code', async () => {
  const admin = { 'content-type': 'application/json', ...(await gw.loginAs('admin')).headers };
  const set = await fetch(`${gw.url}/api/payments/accounts/li/pin`, { method: 'POST', headers: admin, body: JSON.stringify({ pin: '2580' }) });
  expect(set.ok).toBe(true);
  const before = { zhang: await balance('zhang'), li: await balance('li') };
  const browser = await launchBrowser();
  browsers.push(browser);
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.context().addCookies((await gw.pairKiosk('checkout-1')).cookies);
    await page.goto(gw.url);
    await payAtPricedPlate(page, 'pin');
    const key = (k: string) => page.locator(`[data-testid="pin-key"][data-key="${k}"]`).click();
    await page.getByTestId('pin-account').fill('li');
    for (const k of '1111') await key(k);
    expect(await page.getByTestId('pin-dots').getAttribute('data-length')).toBe('4');
    await page.getByTestId('pin-submit').click();
    await expect.poll(() => page.getByTestId('pin-declined').getAttribute('data-reason'), { timeout: 10_000 }).toBe('wrong_pin');
    expect(await balance('li')).toBe(before.li);
    await page.screenshot({ path: '/tmp/canteen-edge-pages/checkout-pin-declined.png' });
    for (const k of '2580') await key(k);
    await page.getByTestId('pin-submit').click();
    await expect.poll(() => page.getByTestId('receipt').getAttribute('data-status'), { timeout: 10_000 }).toBe('paid');
    expect(await balance('li')).toBe(before.li - PRICE_FEN);

    await payAtPricedPlate(page, 'qr');
    await page.getByTestId('qr-input').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('INPUT');
    const expiry = Math.floor(Date.now() / 1000) + 120;
    const code = `CE1.zhang.${expiry}.${createHmac('sha256', QR_SECRET).update(`zhang.${expiry}`).digest('hex')}`;
    await page.keyboard.type(`${code.slice(0, -1)}${code.endsWith('0') ? '1' : '0'}`); // a scanner is a keyboard; one digit off first
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await page.getByTestId('qr-error').textContent()) ?? '', { timeout: 10_000 }).toContain('signature');
    // the scanner types into whatever has the focus: the field must have it back
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('qr-input');
    await page.keyboard.type(code);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('receipt').getAttribute('data-status'), { timeout: 10_000 }).toBe('paid');
    expect(await balance('zhang')).toBe(before.zhang - PRICE_FEN);
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 240_000);

it('enrols at the kiosk: card, the account\'s PIN, the consent text agreed to (nothing pre-ticked), one photo from the camera', async () => {
  const browser = await launchBrowser({ fakeCamera: cameraClip('minivision_image_T1.jpg', FRAMING.whole) });
  browsers.push(browser);
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.context().addCookies((await gw.pairKiosk('checkout-1')).cookies);
    await page.goto(gw.url);
    await expect.poll(() => phase(page), { timeout: 60_000 }).toBe('zero');
    await page.getByTestId('enrol-link').click();
    await page.getByTestId('enrol-card').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('INPUT');
    await page.keyboard.type('0087654321'); // li's card, on the reader
    await page.keyboard.press('Enter');
    // a card alone does not enrol a face: the account's PIN too
    await page.getByTestId('enrol-pin').waitFor();
    expect(await page.getByTestId('enrol-pin-next').isDisabled()).toBe(true);
    await page.getByTestId('enrol-pin').fill('2580'); // li's PIN (the PIN-pay test sets the same)
    await page.getByTestId('enrol-pin-next').click();
    const text = await (await fetch(`${gw.url}/api/biometrics/consent-text`, { headers: (await gw.loginAs('admin')).headers })).json();
    await expect.poll(() => page.getByTestId('consent-text').getAttribute('data-version'), { timeout: 10_000 }).toBe(text.version);
    expect(await page.getByTestId('consent-text').textContent()).toContain(text.zh.alternative);
    expect(await page.getByTestId('enrol-agree').isChecked()).toBe(false);
    expect(await page.getByTestId('enrol-continue').isDisabled()).toBe(true);
    await page.getByTestId('enrol-adult').check();
    expect(await page.getByTestId('enrol-continue').isDisabled()).toBe(true); // agreeing is its own act
    await page.getByTestId('enrol-agree').check();
    await page.getByTestId('enrol-continue').click();
    await expect.poll(() => page.getByTestId('enrol-capture').isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.getByTestId('enrol-capture').click();
    const outcome = page.locator('[data-testid="enrol-done"], [data-testid="enrol-error"]').first();
    await outcome.waitFor({ timeout: 60_000 });
    expect(await outcome.textContent()).toContain('李*'); // an error shows its text here
    expect(await outcome.getAttribute('data-testid')).toBe('enrol-done');
    const people = (await (await fetch(`${gw.url}/api/biometrics/people`, { headers: (await gw.loginAs('admin')).headers })).json()).people;
    expect(people.find((p: { account_id: string }) => p.account_id === 'li')).toMatchObject({ consent: { given_by: 'self', minor: false, text_version: text.version } });
    expect(people.find((p: { account_id: string }) => p.account_id === 'li').enrolled_at).toBeGreaterThan(0);
    await page.getByTestId('enrol-close').click();
    expect(await page.locator('video').count()).toBe(0);
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 240_000);

it('without the face models the checkout does not offer face pay (card, QR and PIN do); models pull --mirror http://… and a reload bring it (once the impact assessment is on record), with no restart', async () => {
  const base = await simulatorConfig();
  const sims = base.simulators as { scale: Record<string, unknown> };
  // no CANTEEN_EDGE_MODELS_DIR: the fresh data dir has no models
  const bare = await startGateway({
    config: {
      ...base,
      simulators: { ...sims, scale: { ...sims.scale, plates_g: [487], cycle_ms: 24_000 } },
      canteen: { pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 }, stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: 'plate', tare_g: 136 }] }] },
      payments: { accounts: [{ id: 'zhang', person: '张三明', card_id: '0012345678', opening_balance_fen: 5000 }] },
    },
  });
  // the site's models mirror: an HTTP server on the LAN holding the weights
  const mirror = await startMirror(SHARED_MODELS_DIR);
  const browser = await launchBrowser({ fakeCamera: cameraClip('compreface_002_A.jpg', FRAMING.band(0.1)) });
  browsers.push(browser);
  const { page, errors, close } = await newKioskPage(browser);
  try {
    // said once at start, plainly, with the command
    expect(bare.stderr()).toContain('以下功能已关闭：刷脸支付');
    expect(bare.stderr()).toContain('canteen-edge models pull');
    await page.context().addCookies((await bare.pairKiosk('checkout-1')).cookies);
    await page.goto(bare.url);
    await expect.poll(() => phase(page), { timeout: 90_000 }).toBe('zero');
    expect(await page.getByTestId('enrol-link').count()).toBe(0);
    await expect.poll(() => phase(page), { timeout: 90_000, interval: 50 }).toBe('priced');
    expect(await page.getByTestId('pay-face').count()).toBe(0);
    for (const m of ['card', 'qr', 'pin']) expect(await page.getByTestId(`pay-${m}`).isVisible(), m).toBe(true);

    const pulled = await cliAsync(['models', 'pull', '--mirror', mirror.url, '--no-upstream', '--models-dir', path.join(bare.dataDir, 'models'), '--config', bare.configFile]);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.json().failed).toEqual([]);
    const ready = await (await fetch(`${bare.url}/readyz`)).json();
    expect(ready.models.every((m: { state: string }) => m.state === 'ok')).toBe(true);
    await recordImpactAssessment(bare.url, (await bare.loginAs('admin')).headers);
    bare.child.kill('SIGHUP');
    // the open page learns it at once: the face button appears beside the others
    await expect.poll(() => page.getByTestId('pay-face').count(), { timeout: 60_000 }).toBe(1);
    await page.getByTestId('pay-face').click();
    await expect.poll(() => page.getByTestId('face-pay').getAttribute('data-state'), { timeout: 30_000 }).not.toBe('starting');
    expect(await page.getByTestId('face-pay').getAttribute('data-state')).not.toBe('unavailable');
    await expectOtherWaysOnScreen(page);
    expect(errors).toEqual([]);
  } finally {
    await close();
    await mirror.close();
    await bare.stop();
  }
}, 300_000);
