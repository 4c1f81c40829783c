// Kitchen zones at /admin in Chromium against the real gateway: the camera's latest frame as
// the background, a triangle drawn by three clicks and closed on its first point, a point
// dragged, the config's zone redrawn by dragging its corner, saved; after a reload the zones
// are there with where each came from, the API and the audit log agree; facility staff reach
// neither the page nor the routes.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraZonesMsg } from '../../gateway/kitchen/zones.ts';
import { requireShared, SHARED_MODELS_DIR } from '../../bench/recognition/photos.ts';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

const SHOTS = path.join(os.tmpdir(), 'canteen-edge-pages');
let browser: Browser;
let gw: RunningGateway;

beforeAll(async () => {
  requireShared(['yolox_nano.onnx', 'coco.names']);
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchBrowser();
  const base = (await simulatorConfig()) as { devices: { cameras: Record<string, unknown>[] } };
  gw = await startGateway({
    config: {
      ...base,
      devices: { ...base.devices, cameras: [{ ...base.devices.cameras[0]!, width: 640, height: 360 }] },
      kitchen: {
        cameras: [
          {
            camera: 'kitchen-line',
            zones: [{ id: 'line', name: '切配区', points: [[0, 0], [1, 0], [1, 1], [0, 1]] }],
            rules: [{ id: 'person-on-line', alert: 'person_in_zone', when: { label: 'person' }, zones: ['line'] }],
          },
        ],
      },
    },
    env: { CANTEEN_EDGE_MODELS_DIR: SHARED_MODELS_DIR },
  });
}, 90_000);

afterAll(async () => {
  const stopped = await gw?.stop();
  if (stopped && stopped.code !== 0) console.log(stopped.stderr);
  await browser?.close();
});

async function openAdmin(page: Page): Promise<void> {
  await page.context().addCookies((await gw.loginAs('admin')).cookies);
  await page.goto(`${gw.url}/admin`);
  await expect.poll(() => page.getByTestId('zones-snapshot').getAttribute('data-state'), { timeout: 20_000 }).toBe('ok');
}

const zonesOf = async () =>
  (await (await fetch(`${gw.url}/api/kitchen/cameras/kitchen-line/zones`, { headers: (await gw.loginAs('admin')).headers })).json()) as CameraZonesMsg;

describe('kitchen zones at /admin', () => {
  it('draws a triangle by clicks on the frame, drags a point, redraws the config zone, saves; after a reload the zones are there', { timeout: 120_000 }, async () => {
    const { page, errors, close } = await newKioskPage(browser);
    try {
      await openAdmin(page);
      // the background is the camera's latest clean frame
      expect(await page.getByTestId('zones-snapshot').evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([640, 360]);
      const line = page.locator('[data-testid="zone-row"][data-zone="line"]');
      await expect(line.getAttribute('data-source')).resolves.toBe('config');
      await expect(line.getByTestId('zone-source').textContent()).resolves.toBe('配置默认');
      await expect(line.getByTestId('zone-rules').textContent()).resolves.toContain('person-on-line');
      expect(await line.getByTestId('zone-delete').isDisabled()).toBe(true);

      const canvas = page.getByTestId('zones-canvas');
      await canvas.scrollIntoViewIfNeeded();
      /** a point of the frame (normalised) on the screen */
      const at = async (x: number, y: number) => {
        const box = (await canvas.boundingBox())!;
        return { x: box.x + x * box.width, y: box.y + y * box.height };
      };
      const drag = async (from: { x: number; y: number }, to: [number, number]) => {
        await page.mouse.move(from.x, from.y);
        await page.mouse.down();
        const end = await at(...to);
        await page.mouse.move((from.x + end.x) / 2, (from.y + end.y) / 2);
        await page.mouse.move(end.x, end.y);
        await page.mouse.up();
      };
      // three clicks: a new zone with three points, not closed yet
      for (const [x, y] of [[0.2, 0.3], [0.5, 0.3], [0.35, 0.7]] as const) {
        const p = await at(x, y);
        await page.mouse.click(p.x, p.y);
      }
      const shape = page.locator('[data-testid="zone-shape"][data-zone="zone-2"]');
      await expect(shape.getAttribute('data-points')).resolves.toBe('3');
      await expect(shape.getAttribute('data-closed')).resolves.toBe('no');
      // a click on the first point closes it
      await shape.locator('[data-testid="zone-vertex"][data-index="0"]').click();
      await expect(shape.getAttribute('data-closed')).resolves.toBe('yes');
      await expect(shape.getAttribute('data-points')).resolves.toBe('3');

      // drag its second point from (0.5, 0.3) to (0.6, 0.2)
      await drag(await at(0.5, 0.3), [0.6, 0.2]);
      await expect(shape.getAttribute('data-points')).resolves.toBe('3');

      const row = page.locator('[data-testid="zone-row"][data-source="new"]');
      await row.getByTestId('zone-id').fill('sink');
      await row.getByTestId('zone-name').fill('水池');

      // the config's zone: select it, drag its top-left corner inwards
      await line.click();
      const corner = page.locator('[data-testid="zone-shape"][data-zone="line"] [data-testid="zone-vertex"][data-index="0"]');
      const c = (await corner.boundingBox())!;
      await drag({ x: c.x + c.width * 0.75, y: c.y + c.height * 0.75 }, [0.1, 0.1]);

      await page.getByTestId('zones-save').click();
      await expect(page.getByTestId('zones-saved').textContent()).resolves.toBe('已保存，规则已按新区域运行');
      expect(await page.getByTestId('zones-error').count()).toBe(0);
      await page.screenshot({ path: path.join(SHOTS, 'admin-zones.png'), fullPage: true });

      // stored: normalised, where the clicks and the drags were
      const saved = await zonesOf();
      const sink = saved.zones.find((z) => z.id === 'sink')!;
      expect(sink).toMatchObject({ name: '水池', source: 'site', anchor: 'centre', updatedBy: 'test-admin' });
      const near = (pts: [number, number][], want: [number, number][]) => {
        expect(pts).toHaveLength(want.length);
        pts.forEach(([x, y], i) => {
          expect(x).toBeCloseTo(want[i]![0], 2);
          expect(y).toBeCloseTo(want[i]![1], 2);
        });
      };
      near(sink.points, [[0.2, 0.3], [0.6, 0.2], [0.35, 0.7]]);
      const redrawn = saved.zones.find((z) => z.id === 'line')!;
      expect(redrawn.source).toBe('override');
      near(redrawn.points, [[0.1, 0.1], [1, 0], [1, 1], [0, 1]]);

      // after a reload the page shows them, with where each came from
      await page.reload();
      await expect.poll(() => page.getByTestId('zone-row').count(), { timeout: 15_000 }).toBe(2);
      const sinkRow = page.locator('[data-testid="zone-row"][data-zone="sink"]');
      await expect(sinkRow.getAttribute('data-source')).resolves.toBe('site');
      await expect(sinkRow.getByTestId('zone-source').textContent()).resolves.toBe('现场绘制');
      await expect(sinkRow.getByTestId('zone-name').inputValue()).resolves.toBe('水池');
      await expect(page.locator('[data-testid="zone-shape"][data-zone="sink"]').getAttribute('data-points')).resolves.toBe('3');
      await expect(line.getByTestId('zone-source').textContent()).resolves.toBe('现场重绘（覆盖配置）');

      // back to the config's default from the page
      await line.getByTestId('zone-default').click();
      await page.getByTestId('zones-save').click();
      await expect.poll(async () => (await zonesOf()).zones.map((z) => `${z.id}:${z.source}`)).toEqual(['line:config', 'sink:site']);

      // audited: who, camera, zone
      const audit = (await (await fetch(`${gw.url}/api/auth/audit?limit=50`, { headers: (await gw.loginAs('admin')).headers })).json()) as { actor: string; action: string; detail: string }[];
      const zoneLines = audit.filter((a) => a.action === 'kitchen zone').map((a) => `${a.actor} ${a.detail}`).reverse();
      expect(zoneLines).toEqual([
        'test-admin {"camera":"kitchen-line","zone":"line","change":"redrawn"}',
        'test-admin {"camera":"kitchen-line","zone":"sink","change":"drawn"}',
        'test-admin {"camera":"kitchen-line","zone":"line","change":"default"}',
      ]);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('facility staff reach neither the page nor the zone routes', async () => {
    const facility = await gw.loginAs('facility');
    expect((await fetch(`${gw.url}/admin`, { headers: facility.headers, redirect: 'manual' })).headers.get('location')).toBe('/login?next=%2Fadmin');
    expect((await fetch(`${gw.url}/api/kitchen/cameras/kitchen-line/zones`, { headers: facility.headers })).status).toBe(403);
    const put = await fetch(`${gw.url}/api/kitchen/cameras/kitchen-line/zones`, { method: 'PUT', headers: { ...facility.headers, 'content-type': 'application/json' }, body: JSON.stringify({ zones: [] }) });
    expect(put.status).toBe(403);
    expect((await zonesOf()).zones.map((z) => z.id)).toEqual(['line', 'sink']);
  });
});
