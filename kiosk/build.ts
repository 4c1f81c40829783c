import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export interface KioskFile { body: Buffer; contentType: string }

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(ROOT, '.out');

const PAGES = [
  { url: '/', entry: 'checkout', title: '结算台' },
  { url: '/kitchen', entry: 'kitchen', title: '后厨看板' },
  { url: '/energy', entry: 'energy', title: '能耗看板' },
  { url: '/admin', entry: 'admin', title: '管理' },
  { url: '/login', entry: 'login', title: '登录' },
] as const;

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

function html(title: string, script: string, preload: string[]): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,">
<title>${title} · canteen-edge</title>
<link rel="stylesheet" href="/assets/style.css">
${preload.map((href) => `<link rel="modulepreload" href="${href}">\n`).join('')}<script type="module" src="${script}"></script>
</head>
<body><div id="app"></div></body>
</html>
`;
}

/**
 * Bundles the kiosk pages in memory. Returns URL path → file: `/`, `/kitchen`,
 * `/energy`, `/admin` (HTML) and `/assets/*.js|css`.
 */
export async function buildKiosk(opts: { minify?: boolean } = {}): Promise<Map<string, KioskFile>> {
  return (await buildKioskWithInputs(opts)).files;
}

/**
 * The same build, with the source files it read (paths relative to the repository,
 * packages left out: package-lock.json and this file stand for them and for the HTML).
 */
export async function buildKioskWithInputs(opts: { minify?: boolean } = {}): Promise<{ files: Map<string, KioskFile>; inputs: string[] }> {
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: {
      ...Object.fromEntries(PAGES.map((p) => [p.entry, path.join(ROOT, 'pages', `${p.entry}.tsx`)])),
      style: path.join(ROOT, 'style.css'),
    },
    outdir: OUT,
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    write: false,
    bundle: true,
    splitting: true,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome100', 'firefox100', 'safari15'],
    minify: opts.minify ?? true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });

  const files = new Map<string, KioskFile>();
  const urlOf = (file: string) => `/assets/${path.relative(OUT, path.resolve(ROOT, file)).split(path.sep).join('/')}`;
  for (const f of result.outputFiles) {
    files.set(urlOf(f.path), {
      body: Buffer.from(f.contents),
      contentType: CONTENT_TYPES[path.extname(f.path)] ?? 'application/octet-stream',
    });
  }

  const outputs = result.metafile.outputs;
  for (const page of PAGES) {
    const [out, meta] = Object.entries(outputs).find(([, m]) => m.entryPoint?.endsWith(`pages/${page.entry}.tsx`)) ?? [];
    if (!out || !meta) throw new Error(`kiosk build: no output for ${page.entry}`);
    const preload = meta.imports.filter((i) => i.kind === 'import-statement').map((i) => urlOf(i.path));
    files.set(page.url, {
      body: Buffer.from(html(page.title, urlOf(out), preload)),
      contentType: CONTENT_TYPES['.html']!,
    });
  }
  const repo = path.dirname(ROOT);
  const inputs = Object.keys(result.metafile.inputs)
    .filter((f) => !f.includes('node_modules'))
    .map((f) => path.relative(repo, path.resolve(ROOT, f)).split(path.sep).join('/'));
  inputs.push('kiosk/build.ts', 'package-lock.json');
  return { files, inputs };
}
