// The kiosk and the face-pay law in Chromium (issue 11 B): with the face models present but
// no personal-information impact assessment on record (PIPL art. 55), the checkout page does
// not offer face pay nor face enrolment — card, QR and PIN are there; once the site records
// the assessment the page offers both. Self-enrolment asks for the account's PIN after the
// card, and its consent notice names the processor and contact, the effect, retention, how
// to withdraw and the other ways to pay, in Chinese first.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FACE_MODELS, requireShared, SHARED_MODELS_DIR } from '../../bench/face/photos.ts';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { recordImpactAssessment } from '../helpers/face.ts';
import { simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

let gw: RunningGateway;
let browser: Browser;
let admin: Record<string, string>;

beforeAll(async () => {
  requireShared(FACE_MODELS);
  const base = await simulatorConfig();
  const sims = base.simulators as { scale: Record<string, unknown> };
  gw = await startGateway({
    config: {
      ...base,
      site: { name: '测试食堂', processor: { name: '某某区机关事务中心', contact: '食堂办公室 0571-1234 5678' } },
      paths: { models_dir: SHARED_MODELS_DIR },
      simulators: { ...sims, scale: { ...sims.scale, plates_g: [487], cycle_ms: 12_000 } },
      canteen: { pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 }, stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: 'plate', tare_g: 136 }] }] },
      payments: { accounts: [{ id: 'wang', person: '王小五', card_id: '0011223344', birth_date: '1980-04-04', opening_balance_fen: 5000 }] },
    },
  });
  admin = (await gw.loginAs('admin')).headers;
  expect((await fetch(`${gw.url}/api/payments/accounts/wang/pin`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ pin: '1357' }) })).status).toBe(204);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

const station = (page: Page) => page.getByTestId('station');

it('before the impact assessment the kiosk offers no face pay and no enrolment, card/QR/PIN stay; afterwards it offers both', async () => {
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.context().addCookies((await gw.pairKiosk('checkout-1')).cookies);
    await page.goto(gw.url);
    await expect.poll(() => station(page).getAttribute('data-face'), { timeout: 30_000 }).toBe('false');
    await expect.poll(() => station(page).getAttribute('data-phase'), { timeout: 60_000, interval: 50 }).toBe('priced');
    for (const m of ['card', 'qr', 'pin']) expect(await page.getByTestId(`pay-${m}`).isVisible(), m).toBe(true);
    expect(await page.getByTestId('pay-face').count()).toBe(0);
    await expect.poll(() => station(page).getAttribute('data-phase'), { timeout: 60_000, interval: 50 }).toBe('zero');
    expect(await station(page).getAttribute('data-face')).toBe('false');
    expect(await page.getByTestId('enrol-link').count()).toBe(0);

    await recordImpactAssessment(gw.url, admin);
    // the page asks again at the next change of the scale's phase
    await expect.poll(() => station(page).getAttribute('data-face'), { timeout: 60_000 }).toBe('true');
    await expect.poll(() => station(page).getAttribute('data-phase'), { timeout: 60_000, interval: 50 }).toBe('priced');
    expect(await page.getByTestId('pay-face').isVisible()).toBe(true);
    expect(await page.getByTestId('pay-face').textContent()).toBe('刷脸支付');
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 240_000);

it('kiosk enrolment asks for the PIN after the card, and its notice names processor, contact, effect, retention, withdrawal and the other ways', async () => {
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.context().addCookies((await gw.pairKiosk('checkout-1')).cookies);
    await page.goto(gw.url);
    await expect.poll(() => station(page).getAttribute('data-face'), { timeout: 30_000 }).toBe('true');
    await expect.poll(() => station(page).getAttribute('data-phase'), { timeout: 60_000, interval: 50 }).toBe('zero');
    await page.getByTestId('enrol-link').click();
    await page.getByTestId('enrol-card').waitFor();
    await page.keyboard.type('0011223344');
    await page.keyboard.press('Enter');
    await page.getByTestId('enrol-pin').waitFor();
    expect(await page.getByTestId('kiosk-enrol').textContent()).toContain('请输入饭卡账户的支付密码');
    await page.getByTestId('enrol-pin').fill('1357');
    await page.getByTestId('enrol-pin-next').click();
    const notice = page.getByTestId('consent-text');
    await notice.waitFor({ timeout: 10_000 });
    const text = (await notice.textContent())!;
    expect(await page.getByTestId('consent-processor').textContent()).toBe('某某区机关事务中心 · 联系方式: 食堂办公室 0571-1234 5678');
    for (const heading of ['个人信息处理者', '用途', '对您的影响', '保存期限', '如何撤回', '其他支付方式']) expect(text, heading).toContain(heading);
    expect(text).toContain('连续 365 天未使用的模板自动删除');
    expect(text).toMatch(/撤回后面部模板立即删除/);
    expect(text).toMatch(/饭卡、二维码或密码/);
    await page.screenshot({ path: '/tmp/canteen-edge-pages/kiosk-enrol-notice.png', fullPage: true });
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 240_000);
