// The face-pay section of /admin in Chromium: staff record consent (the person's
// own, and a guardian's for a minor) against the consent text version shown,
// enrol a face by uploading a real photo (../shared/images, cropped into a temp
// dir), export what is held, then withdraw consent: face pay stops, the template
// is gone, and the audit view lists each act by the signed-in admin. The minor is
// enrolled from the admin's webcam (Chromium's fake camera playing a real photo),
// then deleted on request. First of all the site records its personal-information impact
// assessment in the form at /admin (face pay and enrolment are off until then), and the
// consent notice names the processor, its contact, the effect and how to withdraw.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { image, SHARED_MODELS_DIR } from '../../bench/recognition/photos.ts';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { ROOT, simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-bio-admin-'));

let browser: Browser;
let gw: RunningGateway;

beforeAll(async () => {
  gw = await startGateway({
    env: { CANTEEN_EDGE_MODELS_DIR: SHARED_MODELS_DIR },
    config: {
      ...(await simulatorConfig()),
      site: { name: '测试食堂', processor: { name: '某某大学后勤集团', contact: '0571-8765 4321' } },
      canteen: { stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2 }] },
      payments: {
        accounts: [
          { id: 'zhang', person: '张三明', card_id: '0012345678', opening_balance_fen: 5000 },
          { id: 'xiaoli', person: '李小华', card_id: '0087654321', opening_balance_fen: 3000 },
        ],
      },
    },
  });
  const webcam = path.join(tmp, 'webcam.y4m');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-i', image('minivision_image_T1.jpg'), '-t', '1', '-r', '10', '-vf', 'scale=-2:480,pad=640:480:(ow-iw)/2:0:gray,format=yuv420p', webcam]);
  browser = await launchBrowser({ fakeCamera: webcam });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** A head-and-shoulders photo of person A, as staff would upload it. */
async function photoFile(): Promise<string> {
  const img = sharp(image('compreface_002_A.jpg')).rotate();
  const { width, height } = await img.metadata();
  const file = path.join(tmp, 'zhang.jpg');
  writeFileSync(file, await img.extract({ left: 0, top: Math.round(height! * 0.05), width: width!, height: Math.round(width! * 0.9) }).resize(1200).jpeg({ quality: 90 }).toBuffer());
  return file;
}

const row = (page: Page, account: string) => page.locator(`[data-testid="bio-person"][data-account="${account}"]`);
const people = async () => (await (await fetch(`${gw.url}/api/biometrics/people`, { headers: (await gw.loginAs('admin')).headers })).json()).people as { account_id: string; enrolled_at: number | null; consent: { given_by: string; guardian_name: string | null; guardian_relation: string | null; minor: boolean; text_version: string } | null }[];

it('records consent (self and guardian), enrols by upload and from the webcam, exports, withdraws and deletes', async () => {
  const { page, errors, close } = await newKioskPage(browser);
  page.on('dialog', (d) => void d.accept());
  try {
    await page.context().addCookies((await gw.loginAs('admin')).cookies);
    await page.goto(`${gw.url}/admin`);

    // the impact assessment (PIPL arts. 55-56): missing, so face pay is off; the form is filled in and saved
    await page.getByTestId('pia-missing').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('pia-missing').textContent()).toContain('刷脸支付和人脸录入保持关闭');
    const status = async () => (await (await fetch(`${gw.url}/api/biometrics/status`, { headers: (await gw.loginAs('admin')).headers })).json()) as { available: boolean; reason: string | null };
    expect(await status()).toMatchObject({ available: false, reason: 'no_impact_assessment' });
    await page.getByTestId('pia-assessed_on').fill('2026-12-01');
    await page.getByTestId('pia-assessor').fill('后勤集团信息安全小组');
    await page.getByTestId('pia-necessity').fill('刷脸为自愿选项，饭卡、二维码、密码始终可用。');
    await page.getByTestId('pia-risks').fill('误识别误扣款；模板泄露。');
    expect(await page.getByTestId('pia-save').isDisabled()).toBe(true); // every part of art. 56 is needed
    await page.getByTestId('pia-measures').fill('本机加密存储，活体检测，撤回即删除，审计。');
    await page.getByTestId('pia-conclusion').fill('风险可控，同意开通。');
    await page.getByTestId('pia-save').click();
    await expect.poll(() => page.getByTestId('pia').getAttribute('data-recorded'), { timeout: 10_000 }).toBe('true');
    expect(await page.getByTestId('pia-latest').textContent()).toContain('后勤集团信息安全小组');
    expect(await status()).toMatchObject({ available: true, reason: null });

    const form = page.getByTestId('consent-form');
    await form.waitFor();
    const version = await form.getByTestId('consent-text').getAttribute('data-version');
    expect(version).toBeTruthy();
    expect(await form.textContent()).toContain(version!);
    // the notice (PIPL arts. 17, 30): who processes the data and how to reach them, the effect, how to withdraw, the other ways to pay
    const notice = (await form.getByTestId('consent-text').textContent())!;
    expect(await form.getByTestId('consent-processor').textContent()).toContain('某某大学后勤集团');
    expect(notice).toContain('0571-8765 4321');
    for (const heading of ['个人信息处理者', '用途', '对您的影响', '保存期限', '如何撤回', '其他支付方式']) expect(notice, heading).toContain(heading);
    expect(notice).toMatch(/饭卡、二维码或密码/);

    // the person's own consent
    await page.getByTestId('consent-account').selectOption('zhang');
    await page.getByTestId('consent-save').click();
    await expect.poll(() => row(page, 'zhang').getAttribute('data-consent'), { timeout: 10_000 }).toBe('self');
    expect(await row(page, 'zhang').textContent()).toContain('张*明');

    // a minor: the guardian consents, by name and relation
    await page.getByTestId('consent-account').selectOption('xiaoli');
    await page.getByTestId('consent-minor').check();
    expect(await page.getByTestId('consent-save').isDisabled()).toBe(true); // no guardian named yet
    await page.getByTestId('consent-guardian').fill('李大明');
    expect(await page.getByTestId('consent-save').isDisabled()).toBe(true); // nor the relation
    await page.getByTestId('consent-relation').fill('父亲');
    await page.getByTestId('consent-save').click();
    await expect.poll(() => row(page, 'xiaoli').getAttribute('data-consent'), { timeout: 10_000 }).toBe('guardian');
    expect(await row(page, 'xiaoli').textContent()).toContain('李大明');
    const xiaoli = (await people()).find((p) => p.account_id === 'xiaoli')!;
    expect(xiaoli.consent).toMatchObject({ given_by: 'guardian', minor: true, guardian_name: '李大明', guardian_relation: '父亲', text_version: version });

    // enrol zhang from an uploaded photo
    await page.getByTestId('enrol-account').selectOption('zhang');
    await page.getByTestId('enrol-files').setInputFiles(await photoFile());
    await expect.poll(() => page.getByTestId('enrol-count').getAttribute('data-count'), { timeout: 10_000 }).toBe('1');
    await page.getByTestId('enrol-submit').click();
    await expect.poll(() => page.getByTestId('enrol-result').getAttribute('data-ok'), { timeout: 60_000 }).toBe('true');
    await expect.poll(() => row(page, 'zhang').getAttribute('data-enrolled'), { timeout: 10_000 }).toBe('true');
    expect((await people()).find((p) => p.account_id === 'zhang')!.enrolled_at).toBeGreaterThan(0);

    // export: what is held about the person, as a JSON download, never the template bytes
    const [download] = await Promise.all([page.waitForEvent('download'), row(page, 'zhang').getByTestId('bio-export').click()]);
    expect(download.suggestedFilename()).toBe('biometrics-zhang.json');
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8'));
    expect(exported.account_id).toBe('zhang');
    expect(exported.consents.length).toBeGreaterThan(0);
    expect(JSON.stringify(exported)).not.toMatch(/"embedding"|"vector"|"ciphertext"/);

    // withdraw (confirmed in the dialog): consent and template gone, face pay stops
    await row(page, 'zhang').getByTestId('bio-withdraw').click();
    await expect.poll(() => row(page, 'zhang').getAttribute('data-consent'), { timeout: 10_000 }).toBe('none');
    expect(await row(page, 'zhang').getAttribute('data-enrolled')).toBe('false');
    const zhang = (await people()).find((p) => p.account_id === 'zhang')!;
    expect(zhang).toMatchObject({ consent: null, enrolled_at: null });

    // the audit trail, newest first, by the signed-in admin
    await row(page, 'zhang').getByTestId('bio-audit').click();
    await expect.poll(() => page.getByTestId('bio-audit-view').getAttribute('data-account'), { timeout: 10_000 }).toBe('zhang');
    await expect
      .poll(async () => page.locator('[data-testid="bio-audit-view"] [data-testid="audit-line"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action'))), { timeout: 10_000 })
      .toEqual(['withdraw', 'export', 'enrol', 'consent']);
    expect(await page.getByTestId('bio-audit-view').textContent()).toContain('test-admin');

    // the minor, from the webcam; then deleted on request (the audit record stays)
    await page.getByTestId('enrol-webcam').click();
    await expect.poll(() => page.getByTestId('enrol-shot').isEnabled(), { timeout: 10_000 }).toBe(true);
    await page.getByTestId('enrol-shot').click();
    await expect.poll(() => page.getByTestId('enrol-count').getAttribute('data-count'), { timeout: 10_000 }).toBe('1');
    await page.getByTestId('enrol-account').selectOption('xiaoli');
    await page.getByTestId('enrol-submit').click();
    await expect.poll(() => row(page, 'xiaoli').getAttribute('data-enrolled'), { timeout: 60_000 }).toBe('true');
    expect(await page.locator('video').count()).toBe(0); // the webcam closes after enrolling
    await page.screenshot({ path: '/tmp/canteen-edge-pages/admin-biometrics.png', fullPage: true });
    await row(page, 'xiaoli').getByTestId('bio-delete').click();
    await expect.poll(() => row(page, 'xiaoli').count(), { timeout: 10_000 }).toBe(0);
    expect((await people()).find((p) => p.account_id === 'xiaoli')).toBeUndefined();
    const audit = (await (await fetch(`${gw.url}/api/biometrics/audit?account_id=xiaoli`, { headers: (await gw.loginAs('admin')).headers })).json()).audit;
    expect(audit.map((l: { action: string }) => l.action)).toEqual(['delete', 'enrol', 'consent']);
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 180_000);
