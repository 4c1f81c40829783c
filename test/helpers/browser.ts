import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * `fakeCamera`: a .y4m or .mjpeg file Chromium plays (looped) as the camera, with the
 * permission prompt auto-accepted: what getUserMedia sees in page tests of the kiosk camera.
 */
export async function launchBrowser(opts: { fakeCamera?: string } = {}): Promise<Browser> {
  const camera = opts.fakeCamera
    ? ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${opts.fakeCamera}`]
    : [];
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      ...camera,
    ],
  });
}

/** A page in a fresh context shaped like the kiosk's 1024×600 touch screen. Errors thrown in the page are collected in `errors`. */
export async function newKioskPage(browser: Browser): Promise<{ page: Page; errors: string[]; close(): Promise<void> }> {
  const context = await browser.newContext({
    viewport: { width: 1024, height: 600 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    hasTouch: true,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  return { page, errors, close: () => context.close() };
}
