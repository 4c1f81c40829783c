import { describe, expect, it } from 'vitest';
import { buildKiosk } from '../kiosk/build.ts';

const PAGES = ['/', '/kitchen', '/energy', '/admin'];
const MAX_JS_BYTES = 150_000;

describe('buildKiosk', () => {
  it('builds every page with its assets in memory', async () => {
    const files = await buildKiosk();
    for (const url of PAGES) {
      const page = files.get(url);
      expect(page, url).toBeDefined();
      expect(page!.contentType).toMatch(/^text\/html/);
      const html = page!.body.toString('utf8');
      expect(html).toContain('<html lang="zh-CN">');
      expect(html).toContain('<meta name="viewport" content="width=device-width,initial-scale=1">');

      const assets = [...html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
      expect(assets.some((a) => a.endsWith('.css')), url).toBe(true);
      expect(html).toMatch(/<script type="module" src="\/assets\/[^"]+\.js">/);
      for (const a of assets) expect(files.has(a), `${url} references ${a}`).toBe(true);

      const jsBytes = assets.filter((a) => a.endsWith('.js')).reduce((n, a) => n + files.get(a)!.body.length, 0);
      expect(jsBytes, `${url} JS bytes`).toBeLessThan(MAX_JS_BYTES);
    }
    for (const [url, file] of files) {
      if (url.endsWith('.js')) {
        expect(file.contentType).toMatch(/^text\/javascript/);
        expect(file.body.length, url).toBeLessThan(MAX_JS_BYTES);
      }
      if (url.endsWith('.css')) expect(file.contentType).toMatch(/^text\/css/);
    }
  });

  it('can build unminified', async () => {
    const min = await buildKiosk();
    const dev = await buildKiosk({ minify: false });
    expect(dev.get('/assets/checkout.js')!.body.length).toBeGreaterThan(min.get('/assets/checkout.js')!.body.length);
  });
});
