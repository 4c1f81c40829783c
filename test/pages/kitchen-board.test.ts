// The kitchen board in Chromium against the real gateway, the real YOLOX-nano and a camera
// reading an image directory: an empty scene (the person photo blurred beyond recognition —
// there is no empty-kitchen photo in ../shared/images) until the test puts the person photo
// in its place; the rule "person in view ≥ 1 s" then fires and the alert appears live on the
// open page, with its snapshot. Kitchen staff acknowledge and a supervisor resolves it from
// the page; the API shows who, when and the note; facility staff can do neither.
import { mkdirSync, mkdtempSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KitchenAlertMsg } from '../../gateway/wire/kitchen.ts';
import { image, requireShared, SHARED_MODELS_DIR } from '../../bench/recognition/photos.ts';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { simulatorConfig, startGateway, type RunningGateway, type TestSession } from '../helpers/gateway.ts';

const SHOTS = path.join(os.tmpdir(), 'canteen-edge-pages');
const scenes = mkdtempSync(path.join(os.tmpdir(), 'kitchen-board-'));
const SCENE = path.join(scenes, 'camera', 'scene.jpg');

let browser: Browser;
let gw: RunningGateway;

beforeAll(async () => {
  requireShared(['yolox_nano.onnx', 'coco.names']);
  mkdirSync(path.dirname(SCENE), { recursive: true });
  mkdirSync(SHOTS, { recursive: true });
  await sharp(image('darknet_person.jpg')).blur(60).jpeg().toFile(SCENE);
  browser = await launchBrowser();
  const base = (await simulatorConfig()) as { devices: Record<string, unknown> };
  gw = await startGateway({
    config: {
      ...base,
      devices: { ...base.devices, cameras: [{ id: 'kitchen-line', source: { type: 'files', path: path.dirname(SCENE) }, fps: 2, width: 640, height: 360 }] },
      kitchen: {
        cameras: [
          {
            camera: 'kitchen-line',
            zones: [{ id: 'line', points: [[0, 0], [1, 0], [1, 1], [0, 1]] }],
            rules: [{ id: 'person-on-line', alert: 'person_in_zone', severity: 'critical', message: '切配区有人 Person at the line', when: { label: 'person', min_score: 0.5 }, zones: ['line'], min_duration_ms: 1000, min_frames: 2 }],
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

async function openBoard(session: TestSession): Promise<{ page: Page; errors: string[]; close(): Promise<void> }> {
  const p = await newKioskPage(browser);
  await p.page.context().addCookies(session.cookies);
  await p.page.goto(`${gw.url}/kitchen`);
  await expect.poll(() => p.page.getByTestId('conn-banner').getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
  return p;
}

const api = async (session: TestSession, url: string, body?: unknown) =>
  fetch(`${gw.url}${url}`, { method: body ? 'POST' : 'GET', headers: { ...session.headers, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });

describe('kitchen board', () => {
  it('a new alert appears live with its snapshot; kitchen staff acknowledge, a supervisor resolves, facility staff cannot', { timeout: 120_000 }, async () => {
    const kitchen = await gw.loginAs('kitchen');
    const board = await openBoard(kitchen);
    try {
      const { page } = board;
      // the camera wall shows annotated frames, and there is no alert in the empty scene
      await expect.poll(() => page.getByTestId('camera-frame').first().getAttribute('src'), { timeout: 15_000 }).toMatch(/^\/api\/kitchen\/cameras\/kitchen-line\/annotated\.jpg\?seq=\d+$/);
      await expect.poll(() => page.getByTestId('camera-frame').first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), { timeout: 10_000 }).toBe(true);
      await page.waitForTimeout(2000);
      expect(await page.getByTestId('alert').count()).toBe(0);
      await expect(page.getByTestId('no-alerts').textContent()).resolves.toBe('暂无告警');

      // someone steps in: the person photo replaces the empty scene
      const next = path.join(scenes, 'person.jpg');
      await sharp(image('darknet_person.jpg')).jpeg().toFile(next);
      renameSync(next, SCENE);
      const row = page.getByTestId('alert').first();
      await expect.poll(() => row.getAttribute('data-state'), { timeout: 30_000 }).toBe('open');
      await expect(row.getByTestId('alert-message').textContent()).resolves.toBe('切配区有人 Person at the line');
      await expect(row.getByTestId('alert-state').textContent()).resolves.toBe('待处理');
      await expect.poll(() => row.getByTestId('alert-snapshot').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(640);
      const id = (await row.getAttribute('data-id'))!;

      // facility staff: no board, no acknowledging
      const facility = await gw.loginAs('facility');
      expect((await fetch(`${gw.url}/kitchen`, { headers: facility.headers, redirect: 'manual' })).headers.get('location')).toBe('/login?next=%2Fkitchen');
      const refused = await api(facility, `/api/kitchen/alerts/${id}/ack`, {});
      expect(refused.status).toBe(403);
      expect((await api(facility, '/api/kitchen/alerts')).status).toBe(403);

      // resolving needs a note
      await row.getByTestId('alert-resolve').click();
      await expect(row.getByTestId('alert-error').textContent()).resolves.toBe('请填写处理说明');

      // kitchen staff acknowledge from the page
      await row.getByTestId('alert-ack').click();
      await expect.poll(() => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('acknowledged');
      await expect(row.getByTestId('alert-acked').textContent()).resolves.toContain('test-kitchen 确认于');
      expect(await row.getByTestId('alert-ack').count()).toBe(0);

      // a supervisor resolves it from another board; the kitchen board hears it live
      const supervisor = await gw.loginAs('supervisor');
      const second = await openBoard(supervisor);
      try {
        const theirs = second.page.locator(`[data-testid="alert"][data-id="${id}"]`);
        await expect.poll(() => theirs.getAttribute('data-state'), { timeout: 10_000 }).toBe('acknowledged');
        await theirs.getByTestId('alert-note').fill('已提醒员工离开切配区');
        await theirs.getByTestId('alert-resolve').click();
        await expect.poll(() => theirs.getAttribute('data-state'), { timeout: 10_000 }).toBe('resolved');
        expect(second.errors).toEqual([]);
      } finally {
        await second.close();
      }
      await expect.poll(() => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('resolved');
      await expect(row.getByTestId('alert-note-text').textContent()).resolves.toBe('已提醒员工离开切配区');
      await expect(row.getByTestId('alert-resolved').textContent()).resolves.toContain('test-supervisor 处理于');

      // filters
      await page.getByTestId('filter-state').selectOption('open');
      await expect.poll(() => page.getByTestId('alert').count()).toBe(0);
      await page.getByTestId('filter-state').selectOption('resolved');
      await expect.poll(() => page.getByTestId('alert').count()).toBe(1);
      await page.getByTestId('filter-camera').selectOption('kitchen-line');
      await page.getByTestId('filter-type').selectOption('person_in_zone');
      await expect.poll(() => page.getByTestId('alert').count()).toBe(1);
      await page.screenshot({ path: path.join(SHOTS, 'kitchen-board.png') });

      // recorded: who and when, and the note
      const listed = (await (await api(kitchen, '/api/kitchen/alerts?camera=kitchen-line&state=resolved')).json()).alerts as KitchenAlertMsg[];
      expect(listed).toHaveLength(1);
      const a = listed[0]!;
      expect(a).toMatchObject({ id, type: 'person_in_zone', severity: 'critical', camera: 'kitchen-line', zone: 'line', rule: 'person-on-line', ackedBy: 'test-kitchen', resolvedBy: 'test-supervisor', note: '已提醒员工离开切配区' });
      expect(a.ackedAt).toBeGreaterThanOrEqual(a.openedAt);
      expect(a.resolvedAt).toBeGreaterThanOrEqual(a.ackedAt!);
      const snap = await api(kitchen, a.snapshotUrl!);
      expect(snap.headers.get('content-type')).toBe('image/jpeg');
      expect((await api(kitchen, `/api/kitchen/alerts/${id}/resolve`, { note: 'again' })).status).toBe(409);
      expect(board.errors).toEqual([]);
    } finally {
      await board.close();
    }
  });
});
