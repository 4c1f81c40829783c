// A box whose models are not installed yet (a fresh install without network), as its
// people see it in Chromium against the real gateway: the kitchen board says in Chinese
// that detection is off and why — no file path, no model file name — and /admin lists
// each model with its feature in Chinese, its state and what to do.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

let browser: Browser;
let gw: RunningGateway;

beforeAll(async () => {
  const base = await simulatorConfig();
  // no CANTEEN_EDGE_MODELS_DIR: the fresh data dir has no models
  gw = await startGateway({
    config: {
      ...base,
      kitchen: {
        cameras: [
          {
            camera: 'kitchen-line',
            rules: [{ id: 'person-on-line', alert: 'person_in_zone', severity: 'critical', message: '切配区有人 Person at the line', when: { label: 'person', min_score: 0.5 }, min_duration_ms: 1000, min_frames: 2 }],
          },
        ],
      },
    },
  });
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

it('the kitchen board says in Chinese that detection is off for want of its model, without paths', { timeout: 120_000 }, async () => {
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.context().addCookies((await gw.loginAs('kitchen')).cookies);
    await page.goto(`${gw.url}/kitchen`);
    const problem = page.getByTestId('camera-problem');
    await expect.poll(() => problem.count(), { timeout: 60_000 }).toBe(1);
    expect(await problem.getAttribute('data-reason')).toBe('kitchen.detectionOffMissing');
    const text = (await problem.textContent()) ?? '';
    expect(text).toContain('后厨识别已关闭：识别模型未安装');
    expect(text).not.toMatch(/\/|\.onnx|models dir|yolox/);
    // /readyz keeps the reason for the installer (signed in: the details are for staff), still without the path
    const ready = await (await fetch(`${gw.url}/readyz`, { headers: (await gw.loginAs('admin')).headers })).json();
    const cam = ready.devices.find((d: { id: string }) => d.id === 'kitchen-line');
    expect(cam.lastError).toBe('detection off: model yolox_nano not installed (install it: canteen-edge models pull --only yolox_nano)');
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
});

it('/admin lists each model with its feature in Chinese, its state and what to do', { timeout: 120_000 }, async () => {
  const { page, errors, close } = await newKioskPage(browser);
  try {
    const admin = await gw.loginAs('admin');
    await page.context().addCookies(admin.cookies);
    await page.goto(`${gw.url}/admin`);
    const ops = await (await fetch(`${gw.url}/api/admin/ops`, { headers: admin.headers })).json();
    await expect.poll(() => page.getByTestId('model-row').count(), { timeout: 15_000 }).toBe(ops.models.length);
    const row = (name: string) => page.locator(`[data-testid="model-row"][data-model="${name}"]`);
    expect(await row('MobileFaceNet').getAttribute('data-state')).toBe('missing');
    expect(await row('MobileFaceNet').getByTestId('model-feature').textContent()).toBe('刷脸支付');
    expect(await row('MiniFASNetV2_2.7_80x80').getByTestId('model-feature').textContent()).toBe('活体检测');
    expect(await row('mobilenetv2-12-int8').getByTestId('model-feature').textContent()).toBe('菜品识别');
    expect(await row('yolox_nano').getByTestId('model-feature').textContent()).toBe('后厨识别');
    const todo = (await row('yolox_nano').getByTestId('model-todo').textContent()) ?? '';
    expect(todo).toContain('canteen-edge models pull');
    expect(todo).toMatch(/^在设备上运行/);
    const shown = (await page.getByTestId('model-row').allTextContents()).join('\n');
    expect(shown).not.toMatch(/not found|models dir|\/tmp\//); // no English path errors
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
});
