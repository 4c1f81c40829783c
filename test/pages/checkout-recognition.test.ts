// A sale where the dish is recognised from a real photo: three dishes are enrolled
// from photos (../shared/images) shown to the station camera, then a different
// crop of one of them is on the camera when the plate settles. The page shows that
// dish with price and nutrition right to the fen. Uses the real MobileNetV2 from
// ../shared/models; the photos are cropped into a temp dir, never into the project.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SHARED_IMAGES_DIR, SHARED_MODELS_DIR } from '../../bench/recognition/photos.ts';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { ROOT, simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

const IMAGES = SHARED_IMAGES_DIR;
const camDir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-station-cam-'));
const DISHES_CSV = [
  'id,name,name_en,price_mode,price_yuan,per_grams,kcal,protein_g,fat_g,carbohydrate_g,sodium_mg,active',
  'salad,蔬菜沙拉,Salad,by_weight,12.80,500,120,3.1,7.2,9.8,215,true',
  'tomatoes,番茄,Tomatoes,by_weight,6.00,500,18,0.9,0.2,3.9,5,true',
  'coffee,咖啡,Coffee,per_portion,8.00,,2,0.1,0,0.3,2,true',
].join('\n');

/** Puts one picture in front of the station camera (the file source reads the folder on every frame). */
async function show(file: string, crop: (w: number, h: number) => sharp.Region): Promise<void> {
  const img = sharp(path.join(IMAGES, file)).rotate();
  const { width, height } = await img.metadata();
  const jpeg = await img.extract(crop(width!, height!)).jpeg({ quality: 90 }).toBuffer();
  for (const f of ['view.jpg']) rmSync(path.join(camDir, f), { force: true });
  writeFileSync(path.join(camDir, 'view.jpg'), jpeg);
}
const centre = (share: number) => (w: number, h: number) => ({ left: Math.round((w * (1 - share)) / 2), top: Math.round((h * (1 - share)) / 2), width: Math.round(w * share), height: Math.round(h * share) });
const shifted = (w: number, h: number) => ({ left: Math.round(w * 0.18), top: Math.round(h * 0.05), width: Math.round(w * 0.7), height: Math.round(h * 0.75) });

let browser: Browser;
let gw: RunningGateway;

beforeAll(async () => {
  await show('pexels_cc0_healthy-salad.jpg', centre(1));
  const base = await simulatorConfig();
  const sims = base.simulators as { scale: Record<string, unknown> };
  const devices = base.devices as Record<string, unknown[]>;
  gw = await startGateway({
    env: { CANTEEN_EDGE_MODELS_DIR: SHARED_MODELS_DIR },
    config: {
      ...base,
      simulators: { ...sims, scale: { ...sims.scale, plates_g: [487] } },
      devices: { ...devices, cameras: [...devices.cameras!, { id: 'station-cam', source: { type: 'files', path: camDir }, fps: 5 }] },
      canteen: { stations: [{ id: 'checkout-1', scale: 'checkout-1', camera: 'station-cam', interval_g: 2, trays: [{ id: 'std', name: '标准餐盘', tare_g: 136 }] }] },
    },
  });
  browser = await launchBrowser();
  const admin = (await gw.loginAs('admin')).headers;
  const imported = await fetch(`${gw.url}/api/canteen/dishes/import`, { method: 'POST', headers: { 'content-type': 'text/csv', ...admin }, body: DISHES_CSV });
  expect(await imported.json()).toEqual({ created: 3, updated: 0 });
  const enrol = async (dish: string, file: string) => {
    await show(file, centre(0.9));
    await new Promise((r) => setTimeout(r, 600)); // a few frames of the new picture
    const r = await fetch(`${gw.url}/api/canteen/dishes/${dish}/enrol`, { method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body: JSON.stringify({ station: 'checkout-1', photos: 3 }) });
    expect(r.status).toBe(200);
  };
  await enrol('tomatoes', 'pexels_cc0_sharing-tomatoes.jpg');
  await enrol('salad', 'pexels_cc0_healthy-salad.jpg');
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  rmSync(camDir, { recursive: true, force: true });
});

it('enrols a dish from /admin with photos taken at the station', async () => {
  await show('skimage_coffee.png', centre(0.9));
  await new Promise((r) => setTimeout(r, 600));
  const { page, errors, close } = await newKioskPage(browser);
  try {
    await page.context().addCookies((await gw.loginAs('admin')).cookies);
    await page.goto(`${gw.url}/admin`);
    const enrol = page.locator('[data-testid="enrol"][data-dish="coffee"]');
    expect(await enrol.getAttribute('data-photos')).toBe('0');
    await enrol.locator('button').click();
    await expect.poll(() => enrol.getAttribute('data-photos'), { timeout: 20_000 }).toBe('3');
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
  // the diner's plate: another crop of the salad photo than the ones enrolled
  await show('pexels_cc0_healthy-salad.jpg', shifted);
}, 60_000);

it('recognises the dish from the camera and prices it to the fen', async () => {
  const recognition = await (await fetch(`${gw.url}/api/canteen/recognition`, { headers: (await gw.loginAs('admin')).headers })).json();
  expect(recognition).toEqual({ available: true, enrolled: expect.arrayContaining([{ dishId: 'salad', count: 3 }, { dishId: 'tomatoes', count: 3 }, { dishId: 'coffee', count: 3 }]) });
  const { page, errors, close } = await newKioskPage(browser);
  const kiosk = await gw.pairKiosk('checkout-1');
  const station = async () => (await (await fetch(`${gw.url}/api/canteen/stations/checkout-1`, { headers: kiosk.headers })).json()) as { phase: string; dishId: string | null; candidates: { dishId: string; score: number }[] };
  try {
    await page.context().addCookies(kiosk.cookies);
    await page.goto(gw.url);
    // wait for a fresh plate so that recognition ran on the salad crop now on camera
    await expect.poll(async () => (await station()).phase, { timeout: 20_000 }).toBe('zero');
    await expect.poll(async () => (await station()).phase, { timeout: 20_000, interval: 100 }).toBe('priced');
    const s = await station();
    expect(s.dishId).toBe('salad');
    expect(s.candidates[0]!.dishId).toBe('salad');
    expect(s.candidates[0]!.score).toBeGreaterThanOrEqual(0.72);
    await expect.poll(() => page.getByTestId('dish-name').first().textContent()).toContain('蔬菜沙拉');
    // 487 g rounded to e = 2 → 488, less the 136 g plate = 352 g; 352 × 1280 fen / 500 g = 901.12 → 901
    expect(Number(await page.getByTestId('weight-grams').getAttribute('data-value'))).toBe(352);
    expect(await page.getByTestId('total').getAttribute('data-fen')).toBe('901');
    const nutrients = await page.$$eval('[data-testid="nutrient"]', (els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-key'), Number(e.getAttribute('data-value'))])));
    // per 100 g × 3.52: kcal 422.4 → 422, protein 10.9, fat 25.3, carbohydrate 34.5, sodium 756.8 → 757
    expect(nutrients).toMatchObject({ kcal: 422, protein_g: 10.9, fat_g: 25.3, carbohydrate_g: 34.5, sodium_mg: 757 });
    await page.screenshot({ path: path.join(os.tmpdir(), 'canteen-edge-pages', 'checkout-recognised.png') });
    expect(errors).toEqual([]);
  } finally {
    await close();
  }
}, 60_000);
