import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { findFreshBuild, hashInputs, readKioskDist, writeKioskDist } from '../gateway/kiosk-dist.ts';
import { buildKiosk, buildKioskWithInputs } from '../kiosk/build.ts';
import { startGateway } from './helpers/gateway.ts';

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

const temps: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-kiosk-dist-'));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

describe('kiosk/dist (built once, keyed by the sources)', () => {
  it('keeps a build on disk that reads back byte for byte, and knows when a source changed', async () => {
    const { files, inputs } = await buildKioskWithInputs();
    expect(inputs).toContain('kiosk/pages/checkout.tsx');
    expect(inputs).toContain('kiosk/i18n.ts');
    expect(inputs.some((i) => i.includes('node_modules'))).toBe(false);
    const dist = tempDir();
    const hashed = hashInputs(inputs);
    const dir = writeKioskDist(dist, files, hashed);
    expect(path.basename(dir)).toBe(hashed.key);
    expect(findFreshBuild(dist)).toBe(dir);
    const back = readKioskDist(dir);
    expect([...back.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [url, f] of files) {
      expect(back.get(url)!.contentType, url).toBe(f.contentType);
      expect(back.get(url)!.body.equals(f.body), url).toBe(true);
    }
    // a source that no longer hashes the same makes the build stale
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    manifest.inputs['kiosk/pages/checkout.tsx'] = '0'.repeat(64);
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
    expect(findFreshBuild(dist)).toBeUndefined();
  });

  // Descendants of a process, from /proc (Linux): [pid, command name].
  const descendants = (root: number): [number, string][] => {
    const parent = new Map<number, { ppid: number; comm: string }>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        parent.set(Number(name), { ppid, comm });
      } catch {
        /* gone meanwhile */
      }
    }
    const out: [number, string][] = [];
    const stack = [root];
    while (stack.length) {
      const p = stack.pop()!;
      for (const [pid, info] of parent) if (info.ppid === p) (out.push([pid, info.comm]), stack.push(pid));
    }
    return out;
  };

  // A module loaded late may run one short-lived esbuild (tsx's transformSync); a resident
  // esbuild service never goes away. Waits until none is left, and returns what is left.
  const esbuildGone = async (pid: number): Promise<string[]> => {
    const left = () => descendants(pid).filter(([, comm]) => /esbuild/.test(comm)).map(([p]) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { return ''; } }).filter(Boolean);
    const deadline = Date.now() + 30_000;
    while (left().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    return left();
  };

  it('a gateway in a checkout without a build makes it once, says so in one line, and keeps no esbuild running', { timeout: 120_000 }, async () => {
    const dist = tempDir();
    const LINE = /kiosk pages missing or out of date: building them once/g;
    const gw = await startGateway({ env: { CANTEEN_EDGE_KIOSK_DIST: dist } });
    try {
      expect((gw.stdout() + gw.stderr()).match(LINE)?.length).toBe(1);
      expect(findFreshBuild(dist)).toBeDefined();
      const page = await fetch(`${gw.url}/login`);
      expect(page.status).toBe(200);
      const script = /<script type="module" src="(\/assets\/[^"]+\.js)">/.exec(await page.text())?.[1];
      expect(script).toBeDefined();
      expect((await fetch(`${gw.url}${script}`)).status).toBe(200);
      expect(await esbuildGone(gw.child.pid!)).toEqual([]);
    } finally {
      await gw.stop();
    }
    // the next start uses that build: no second build
    const again = await startGateway({ env: { CANTEEN_EDGE_KIOSK_DIST: dist } });
    try {
      expect((again.stdout() + again.stderr()).match(LINE)).toBeNull();
      expect((await fetch(`${again.url}/login`)).status).toBe(200);
      expect(await esbuildGone(again.child.pid!)).toEqual([]);
    } finally {
      await again.stop();
    }
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
