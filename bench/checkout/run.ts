// From a stable reading to the priced line on the checkout page: the real gateway
// (`canteen-edge start`) on its scale simulator, the page in Debian's Chromium.
// For each plate: when the gateway received the first stable reading (the reading's
// `at`), when it published the priced station state (`at` of the state), and when
// the page's total changed (a MutationObserver in the page). Same machine clock.
//   npx tsx bench/checkout/run.ts [--plates N]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { io } from 'socket.io-client';
import { stringify } from 'yaml';

const { values } = parseArgs({ options: { plates: { type: 'string', default: '30' } } });
const PLATES = Number(values.plates);
const CYCLE_MS = 2200;
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const [httpPort, scalePort] = [await freePort(), await freePort()];
const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-bench-checkout-'));
writeFileSync(
  path.join(dir, 'gateway.yaml'),
  stringify({
    server: { host: '127.0.0.1', port: httpPort },
    log: { level: 'warn' },
    paths: { data_dir: path.join(dir, 'data') },
    simulators: { scale: { enabled: true, port: scalePort, interval_ms: 50, cycle_ms: CYCLE_MS, plates_g: [487, 652, 530, 611, 398] } },
    devices: { scales: [{ id: 'checkout-1', protocol: 'continuous', transport: { type: 'tcp', host: '127.0.0.1', port: scalePort } }] },
    canteen: {
      pricing: { mode: 'uniform', price_fen: 1280, per_grams: 500 },
      stations: [{ id: 'checkout-1', scale: 'checkout-1', interval_g: 2, trays: [{ id: 'std', name: 'plate', tare_g: 136 }] }],
    },
  }),
);
const gateway = spawn(process.execPath, [path.join(ROOT, 'bin/canteen-edge.js'), 'start', '--config', path.join(dir, 'gateway.yaml')], { stdio: ['ignore', 'ignore', 'inherit'] });
const url = `http://127.0.0.1:${httpPort}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${url}/healthz`)).ok) break;
  } catch {
    if (i > 200) throw new Error('gateway did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The kiosk screen is paired with the station, as on a real box.
const { code } = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'bin/canteen-edge.js'), 'kiosk', 'pair', '--station', 'checkout-1', '--config', path.join(dir, 'gateway.yaml')], { encoding: 'utf8' })) as { code: string };
const paired = await fetch(`${url}/api/auth/pair`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
const token = /ce_kiosk=([^;]+)/.exec(paired.headers.get('set-cookie') ?? '')?.[1];
if (!token) throw new Error(`pairing failed: ${paired.status} ${await paired.text()}`);

// The gateway's side: the reading time and publish time of each priced line.
const priced = new Map<number, { readingAt: number; stateAt: number }>();
const socket = io(`${url}/kiosk`, { transports: ['websocket'], auth: { token } });
socket.on('station:state', (s: { phase: string; at: number; weight: { at: number } | null; line: { totalFen: number } | null }) => {
  if (s.phase === 'priced' && s.line && s.weight && !priced.has(s.line.totalFen)) priced.set(s.line.totalFen, { readingAt: s.weight.at, stateAt: s.at });
});

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
const context = await browser.newContext({ viewport: { width: 1024, height: 600 } });
await context.addCookies([{ name: 'ce_kiosk', value: token, url }]);
const page = await context.newPage();
await page.goto(url);
await page.waitForSelector('[data-testid="station"]');
await page.evaluate(() => {
  const seen: { fen: number; at: number }[] = [];
  (window as unknown as { __priced: typeof seen }).__priced = seen;
  new MutationObserver(() => {
    const el = document.querySelector('[data-testid="total"]');
    const fen = Number(el?.getAttribute('data-fen'));
    if (el && fen && !seen.some((s) => s.fen === fen && Date.now() - s.at < 1000)) seen.push({ fen, at: Date.now() });
  }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-fen'] });
});

process.stderr.write(`weighing ${PLATES} plates, one every ${CYCLE_MS} ms…\n`);
const samples: { total: number; server: number; page: number }[] = [];
const deadline = Date.now() + (PLATES + 3) * CYCLE_MS;
let used = 0;
while (samples.length < PLATES && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 200));
  const dom = (await page.evaluate(() => (window as unknown as { __priced: { fen: number; at: number }[] }).__priced)) ?? [];
  for (const d of dom.slice(used)) {
    const g = priced.get(d.fen);
    if (!g) continue;
    samples.push({ total: d.at - g.readingAt, server: g.stateAt - g.readingAt, page: d.at - g.stateAt });
    priced.delete(d.fen); // the same total comes back five plates later
    used += 1;
  }
}
await browser.close();
socket.close();
gateway.kill('SIGTERM');

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const row = (name: string, xs: number[]) => `| ${name} | ${q(xs, 0.5)} | ${q(xs, 0.95)} | ${Math.max(...xs)} |`;
console.log(`\n${samples.length} plates priced (uniform price, e = 2 g, scale lines every 50 ms)\n`);
console.log('| ms | p50 | p95 | max |\n| --- | --- | --- | --- |');
console.log(row('stable reading → priced line on the page', samples.map((s) => s.total)));
console.log(row('  in the gateway: reading → priced state published', samples.map((s) => s.server)));
console.log(row('  to the page: state published → total on screen', samples.map((s) => s.page)));
const ratio = q(samples.map((s) => s.total), 0.5) / Math.max(1, q(samples.map((s) => s.page), 0.5));
console.log(`\nwhole path / delivery and render alone (p50): ${ratio.toFixed(2)}`);
process.exit(samples.length === PLATES ? 0 : 1);
