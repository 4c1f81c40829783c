import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
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

// Each page carries only the texts of the areas it imports (kiosk/i18n/<area>.ts); a
// component whose texts are not imported by a page would show raw keys on that page.
describe('page texts', () => {
  const KIOSK = path.resolve(import.meta.dirname, '../kiosk');
  const ENTRIES = ['checkout', 'kitchen', 'energy', 'admin', 'login'];
  const prefixesOf = (source: string, pattern: RegExp) => new Set([...source.matchAll(pattern)].map((m) => m[1]!));
  // keys as written in the dictionaries, and as used in code: t('co.total'), t(`kind.${k}`), 'ops.model.${s}'
  const DEFINED = /^\s+'([a-zA-Z]+)\.[^']*': \[/gm;
  const USED = /(?:\bt\(\s*|hasKey\(\s*)[`'"]([a-zA-Z]+)\.|[`'"]([a-zA-Z]+)\.\$\{/g;

  it('defines every key once', () => {
    const seen = new Map<string, string>();
    for (const file of ['i18n.ts', ...readdirSync(path.join(KIOSK, 'i18n')).map((f) => `i18n/${f}`)]) {
      for (const m of readFileSync(path.join(KIOSK, file), 'utf8').matchAll(/^\s+('[^']+'): \[/gm)) {
        expect(seen.get(m[1]!), `${m[1]} in ${file}`).toBeUndefined();
        seen.set(m[1]!, file);
      }
    }
    expect(seen.size).toBeGreaterThan(400);
  });

  it('gives every page the texts of every area its code uses', async () => {
    const result = await esbuild.build({
      absWorkingDir: KIOSK,
      entryPoints: ENTRIES.map((e) => `pages/${e}.tsx`),
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      splitting: true,
      outdir: '/nonexistent',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      logLevel: 'silent',
    });
    const inputs = result.metafile.inputs;
    for (const entry of ENTRIES) {
      const reachable = new Set<string>();
      const stack = [`pages/${entry}.tsx`];
      while (stack.length) {
        const f = stack.pop()!;
        if (reachable.has(f) || !inputs[f]) continue;
        reachable.add(f);
        stack.push(...inputs[f].imports.map((i) => i.path));
      }
      const own = [...reachable].filter((f) => !f.includes('node_modules'));
      const texts = own.filter((f) => f === 'i18n.ts' || f.startsWith('i18n/'));
      const code = own.filter((f) => !texts.includes(f));
      const defined = new Set(texts.flatMap((f) => [...prefixesOf(readFileSync(path.join(KIOSK, f), 'utf8'), DEFINED)]));
      const used = new Set(code.flatMap((f) => [...readFileSync(path.join(KIOSK, f), 'utf8').matchAll(USED)].map((m) => `${m[1] ?? m[2]} (${f})`)));
      const missing = [...used].filter((u) => !defined.has(u.split(' ')[0]!));
      expect(missing, `pages/${entry}.tsx uses texts it does not import`).toEqual([]);
      expect(used.size, entry).toBeGreaterThan(0);
    }
  });
});
