// The face-pay section of /admin in Chromium: staff record consent (the person's
// own, and a guardian's for a minor) against the consent text version shown,
// enrol a face by uploading a real photo (../shared/images, cropped into a temp
// dir), export what is held, then withdraw consent: face pay stops, the template
// is gone, and the audit view lists each act by the signed-in admin. The minor is
// enrolled from the admin's webcam (Chromium's fake camera playing a real photo),
// then deleted on request.
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
const people = async () => (await (await fetch(`${gw.url}/api/biometrics/people`, { headers: (await gw.loginAs('admin')).headers })).json()).people as { account_id: string; enrolled_at: number | null; consent: { given_by: string; guardian_name: string | null; minor: boolean; text_version: string } | null }[];

it('records consent (self and guardian), enrols by upload and from the webcam, exports, withdraws and deletes', async () => {
  const { page, errors, close } = await newKioskPage(browser);
  page.on('dialog', (d) => void d.accept());
  try {
    await page.context().addCookies((await gw.loginAs('admin')).cookies);
    await page.goto(`${gw.url}/admin`);
    const form = page.getByTestId('consent-form');
    await form.waitFor();
    const version = await form.getByTestId('consent-text').getAttribute('data-version');
    expect(version).toBeTruthy();
    expect(await form.textContent()).toContain(version!);

    // the person's own consent
    await page.getByTestId('consent-account').selectOption('zhang');
    await page.getByTestId('consent-save').click();
    await expect.poll(() => row(page, 'zhang').getAttribute('data-consent'), { timeout: 10_000 }).toBe('self');
    expect(await row(page, 'zhang').textContent()).toContain('张*明');

    // a minor: the guardian consents, by name
    await page.getByTestId('consent-account').selectOption('xiaoli');
    await page.getByTestId('consent-minor').check();
    expect(await page.getByTestId('consent-save').isDisabled()).toBe(true); // no guardian named yet
    await page.getByTestId('consent-guardian').fill('李大明');
    await page.getByTestId('consent-save').click();
    await expect.poll(() => row(page, 'xiaoli').getAttribute('data-consent'), { timeout: 10_000 }).toBe('guardian');
    expect(await row(page, 'xiaoli').textContent()).toContain('李大明');
    const xiaoli = (await people()).find((p) => p.account_id === 'xiaoli')!;
    expect(xiaoli.consent).toMatchObject({ given_by: 'guardian', minor: true, guardian_name: '李大明', text_version: version });

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
