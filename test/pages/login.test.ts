// /login in Chromium against the real gateway: a page that needs a role sends the
// browser to /login?next=…, staff sign in (and see why a wrong password fails),
// sign out, a kiosk screen is paired with its station by a one-time code, and no
// page trips the Content Security Policy.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newKioskPage } from '../helpers/browser.ts';
import { BIN, ROOT, simulatorConfig, startGateway, type RunningGateway } from '../helpers/gateway.ts';

const SHOTS = path.join(os.tmpdir(), 'canteen-edge-pages');
let browser: Browser;
let gw: RunningGateway;

const cli = (args: string[], input = '') =>
  execFileSync(process.execPath, [BIN, ...args, '--config', gw.configFile], { cwd: ROOT, env: { ...process.env, CANTEEN_EDGE_DATA_DIR: gw.dataDir }, input, encoding: 'utf8', stdio: 'pipe' });

/** A kiosk page that also collects Content Security Policy reports from the console. */
async function open(): Promise<{ page: Page; errors: string[]; csp: string[]; close(): Promise<void> }> {
  const p = await newKioskPage(browser);
  const csp: string[] = [];
  p.page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
  });
  return { ...p, csp };
}

const pathOf = (page: Page) => new URL(page.url()).pathname + new URL(page.url()).search;
const banner = (page: Page) => page.getByTestId('conn-banner');

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const base = await simulatorConfig();
  gw = await startGateway({ config: { ...base, canteen: { stations: [{ id: 'checkout-1', name: '1 号结算台', scale: 'checkout-1', interval_g: 2 }] } } });
  cli(['user', 'add', '--name', 'wang', '--role', 'admin', '--password-stdin'], 'Zs8-secure-2026');
  cli(['user', 'add', '--name', 'liu', '--role', 'kitchen', '--password-stdin'], 'Kt4-secure-2026');
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
});

async function signIn(page: Page, username: string, password: string): Promise<void> {
  const form = page.getByTestId('login-form');
  await form.getByLabel('用户名').fill(username);
  await form.getByLabel('密码').fill(password);
  await form.getByRole('button', { name: '登录' }).click();
}

describe('the sign-in page', { timeout: 60_000 }, () => {
  it('sends an unsigned browser from /admin to /login, explains a wrong password, then returns to /admin', async () => {
    const { page, errors, csp, close } = await open();
    try {
      await page.goto(`${gw.url}/admin`);
      expect(pathOf(page)).toBe('/login?next=%2Fadmin');
      await expect.poll(() => page.textContent('body')).toContain('工作人员登录');
      await signIn(page, 'wang', 'not-the-password');
      await expect.poll(() => page.getByTestId('login-error').textContent()).toBe('用户名或密码错误');
      expect(await page.getByLabel('密码').inputValue()).toBe('');
      await page.screenshot({ path: path.join(SHOTS, 'login-failed.png') });
      await signIn(page, 'wang', 'Zs8-secure-2026');
      await page.waitForURL(`${gw.url}/admin`);
      await expect.poll(() => banner(page).getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
      // the session cookie is out of reach of scripts
      expect(await page.evaluate(() => document.cookie)).toBe('');
      const [cookie] = await page.context().cookies();
      expect(cookie).toMatchObject({ name: 'ce_session', httpOnly: true, sameSite: 'Strict' });
      expect(errors).toEqual([]);
      expect(csp).toEqual([]);
    } finally {
      await close();
    }
  });

  it('tells kitchen staff that /admin is not theirs, and signs them out', async () => {
    const { page, errors, close } = await open();
    try {
      await page.goto(`${gw.url}/login`);
      await signIn(page, 'liu', 'Kt4-secure-2026');
      await page.waitForURL(`${gw.url}/kitchen`); // their own page
      await page.goto(`${gw.url}/admin`);
      expect(pathOf(page)).toBe('/login?next=%2Fadmin');
      const signedIn = page.getByTestId('signed-in');
      await expect.poll(() => signedIn.getAttribute('data-role')).toBe('kitchen');
      expect(await signedIn.textContent()).toContain('已登录：liu（后厨员工）');
      expect(await page.getByTestId('need-role').textContent()).toBe('当前账号无权打开该页面，请换一个账号登录');
      await page.screenshot({ path: path.join(SHOTS, 'login-need-role.png') });
      await page.getByTestId('sign-out').click();
      await expect.poll(() => signedIn.count()).toBe(0);
      await page.goto(`${gw.url}/kitchen`);
      expect(pathOf(page)).toBe('/login?next=%2Fkitchen');
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });

  it('never follows ?next= off the site', async () => {
    const { page, close } = await open();
    try {
      await page.goto(`${gw.url}/login?next=${encodeURIComponent('//evil.example/x')}`);
      await signIn(page, 'wang', 'Zs8-secure-2026');
      await page.waitForURL(`${gw.url}/admin`);
    } finally {
      await close();
    }
  });

  it('pairs a kiosk screen once with a code, which then always shows its station', async () => {
    const { page, errors, csp, close } = await open();
    try {
      await page.goto(gw.url);
      expect(pathOf(page)).toBe('/login?next=%2F');
      const pair = page.getByTestId('pair-form');
      await pair.getByLabel('配对码').fill('WRNG-CODE');
      await pair.getByRole('button', { name: '配对' }).click();
      await expect.poll(() => page.getByTestId('pair-error').textContent()).toBe('配对码无效或已过期');
      const { code } = JSON.parse(cli(['kiosk', 'pair', '--station', 'checkout-1'])) as { code: string };
      await pair.getByLabel('配对码').fill(code);
      await page.screenshot({ path: path.join(SHOTS, 'login-pair.png') });
      await pair.getByRole('button', { name: '配对' }).click();
      await page.waitForURL(`${gw.url}/?station=checkout-1`);
      await expect.poll(() => banner(page).getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
      await expect.poll(() => page.getByTestId('station').count(), { timeout: 10_000 }).toBe(1);
      // the next day: the same screen opens straight on its station
      await page.goto(gw.url);
      expect(pathOf(page)).toBe('/?station=checkout-1');
      const [cookie] = await page.context().cookies();
      expect(cookie).toMatchObject({ name: 'ce_kiosk', httpOnly: true, sameSite: 'Strict' });
      expect(cookie!.expires * 1000 - Date.now()).toBeGreaterThan(360 * 86_400_000);
      await page.goto(`${gw.url}/login`);
      await expect.poll(() => page.getByTestId('paired').getAttribute('data-station')).toBe('checkout-1');
      expect(errors).toEqual([]);
      expect(csp).toEqual([]);
    } finally {
      await close();
    }
  });

  it('is in English after the language toggle', async () => {
    const { page, close } = await open();
    try {
      await page.goto(`${gw.url}/login`);
      await page.getByRole('button', { name: 'English' }).click();
      await expect.poll(() => page.textContent('body')).toContain('Staff sign-in');
      expect(await page.textContent('body')).toContain('Pair this kiosk');
      await page.screenshot({ path: path.join(SHOTS, 'login-en.png') });
    } finally {
      await close();
    }
  });

  it('runs every page within the Content Security Policy', async () => {
    const { page, errors, csp, close } = await open();
    try {
      await page.context().addCookies((await gw.loginAs('admin')).cookies);
      for (const url of ['/admin', '/energy', '/kitchen', '/?station=checkout-1', '/login']) {
        await page.goto(`${gw.url}${url}`);
        if (url !== '/login') await expect.poll(() => banner(page).getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');
        await page.waitForTimeout(1000);
      }
      expect(csp).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await close();
    }
  });
});
