// Node-RED headless with node-red-contrib-modbus, in its own process, reading the
// same registers as ours.ts. The flow (written to <userDir>/flows.json):
//
//   [inject "start", once after 2 s] ──> [function "driver"] ──> [modbus-flex-getter] ─┐
//                                              ^                                        │
//                                              └──────────── reply (output 1) ──────────┘
//
// A closed loop, one request in flight (as our client and mbpoll): the driver
// sends {fc: 4, unitid: 1, address, quantity} for the next read of the scenario;
// each reply comes back to the driver, which counts it, decodes the float32
// points from msg.responseBuffer.buffer and sends the next read (with `window`
// > 1 it starts that many loops at once: requests pipelined on one connection,
// something our client never does on a line). After `warmup`
// replies it notes process.cpuUsage(), the time and the server's CPU; after
// `reads` more (or the time limit) it writes a RunResult to a file and stops.
// The modbus-client config node keeps the contrib's defaults (queueing on,
// commandDelay 1 ms — its minimum —, timeout 1000 ms) unless the variant turns
// queueing off. fs and process reach the function node through
// functionGlobalContext (settings.cjs); there is no HTTP server (headless).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunConfig, RunResult } from './result.ts';

export interface NodeRedInstall {
  label: string;
  /** the node binary to run it with */
  node: string;
  /** …/node_modules (holding node-red and node-red-contrib-modbus) */
  modules: string;
  /** modbus-client node "Queue commands" (bufferCommands); the contrib's default is true */
  bufferCommands?: boolean;
  /** requests kept in flight (1: a closed loop, as our client and mbpoll) */
  window?: number;
}

/** The function node's code; CFG is prepended. Runs inside Node-RED's sandbox. */
const DRIVER = `
const fs = global.get('fs'), proc = global.get('proc');
const cpuOf = (pid) => { const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
let s = context.get('s');
if (msg.payload === 'start') {
  s = { sent: 0, replies: 0, errors: 0, registers: 0, checksum: 0, done: false };
} else if (!s.done) {
  const req = msg.modbusRequest || {};
  const read = CFG.scenario.reads.find((r) => r.start === req.address && r.count === req.quantity) || { count: -1, floats: [] };
  const buf = msg.responseBuffer && msg.responseBuffer.buffer;
  s.replies += 1;
  if (!Buffer.isBuffer(buf) || buf.length !== read.count * 2) s.errors += 1;
  else {
    s.registers += read.count;
    for (const o of read.floats) s.checksum += buf.readFloatBE(o * 2);
  }
  if (!s.t0 && s.replies >= CFG.warmup) {
    s.replies = s.errors = s.registers = s.checksum = 0;
    s.cpu0 = proc.cpuUsage(); s.srv0 = cpuOf(CFG.serverPid); s.t0 = Date.now();
  }
  if (s.t0 && (s.replies >= CFG.reads || Date.now() - s.t0 > CFG.timeLimitS * 1000)) {
    s.done = true;
    const cpu = proc.cpuUsage(s.cpu0);
    const hwm = /VmHWM:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    const out = { reads: s.replies, registers: s.registers, errors: s.errors, wallS: (Date.now() - s.t0) / 1000,
      cpuS: (cpu.user + cpu.system) / 1e6, serverCpuS: cpuOf(CFG.serverPid) - s.srv0, peakRssKb: Number(hwm[1]), checksum: s.checksum };
    fs.writeFileSync(CFG.out + '.tmp', JSON.stringify(out));
    fs.renameSync(CFG.out + '.tmp', CFG.out);
  }
}
context.set('s', s);
if (s.done) return null;
const out = [];
for (let i = msg.payload === 'start' ? CFG.window : 1; i > 0; i--) {
  const next = CFG.scenario.reads[s.sent % CFG.scenario.reads.length];
  s.sent += 1;
  out.push({ payload: { fc: 4, unitid: 1, address: next.start, quantity: next.count } });
}
return [out];
`;

export function flow(cfg: RunConfig & { out: string; window: number }, bufferCommands = true): object[] {
  return [
    { id: 'b0000000000000a1', type: 'tab', label: 'bench' },
    {
      id: 'b0000000000000c1', type: 'modbus-client', name: 'pymodbus', clienttype: 'tcp', bufferCommands, stateLogEnabled: false, queueLogEnabled: false,
      failureLogEnabled: false, tcpHost: '127.0.0.1', tcpPort: cfg.port, tcpType: 'DEFAULT', serialPort: '/dev/null', serialType: 'RTU-BUFFERD',
      serialBaudrate: 9600, serialDatabits: 8, serialStopbits: 1, serialParity: 'none', serialConnectionDelay: 100, serialAsciiResponseStartDelimiter: '0x3A',
      unit_id: 1, commandDelay: 1, clientTimeout: 1000, reconnectOnTimeout: true, reconnectTimeout: 2000, parallelUnitIdsAllowed: true,
    },
    { id: 'b0000000000000i1', type: 'inject', z: 'b0000000000000a1', name: 'start', props: [{ p: 'payload' }], payload: 'start', payloadType: 'str', repeat: '', once: true, onceDelay: 2, wires: [['b0000000000000f1']] },
    { id: 'b0000000000000f1', type: 'function', z: 'b0000000000000a1', name: 'driver', func: `const CFG = ${JSON.stringify(cfg)};\n${DRIVER}`, outputs: 1, wires: [['b0000000000000g1']] },
    {
      id: 'b0000000000000g1', type: 'modbus-flex-getter', z: 'b0000000000000a1', name: 'getter', showStatusActivities: false, showErrors: false, logIOActivities: false,
      server: 'b0000000000000c1', useIOFile: false, ioFile: '', useIOForPayload: false, emptyMsgOnFail: true, keepMsgProperties: false, wires: [['b0000000000000f1'], []],
    },
  ];
}

export async function runNodeRed(install: NodeRedInstall, cfg: RunConfig): Promise<RunResult> {
  const userDir = mkdtempSync(path.join(os.tmpdir(), 'bench-node-red-'));
  const out = path.join(userDir, 'result.json');
  writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flow({ ...cfg, out, window: install.window ?? 1 }, install.bufferCommands ?? true), null, 1));
  // headless: no admin API/editor and no HTTP nodes, so no HTTP server at all
  writeFileSync(path.join(userDir, 'settings.cjs'), `module.exports = {
  flowFile: 'flows.json', userDir: ${JSON.stringify(userDir)}, httpAdminRoot: false, httpNodeRoot: false,
  credentialSecret: false, logging: { console: { level: 'warn' } },
  functionGlobalContext: { fs: require('fs'), proc: process },
};\n`);
  const red = path.join(install.modules, 'node-red', 'red.js');
  const child = spawn(install.node, [red, '--settings', path.join(userDir, 'settings.cjs'), '--userDir', userDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout!.on('data', (c: Buffer) => (stderr += c.toString()));
  const limitMs = (cfg.timeLimitS + 30) * 1000; // startup + warmup + measured phase
  const started = Date.now();
  try {
    while (!existsSync(out)) {
      if (child.exitCode !== null) throw new Error(`Node-RED exited (${child.exitCode}): ${stderr.slice(-2000)}`);
      if (Date.now() - started > limitMs) throw new Error(`no result from Node-RED within ${limitMs / 1000} s: ${stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return JSON.parse(readFileSync(out, 'utf8')) as RunResult;
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(userDir, { recursive: true, force: true });
  }
}
