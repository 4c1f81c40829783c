// Issue 16, "First run": what a new user meets with the shipped config/gateway.yaml,
// through the real `canteen-edge start` command.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PAGE_WORDS } from '../gateway/cli/pairing-words.ts';
import { loginDict } from '../kiosk/i18n/login.ts';
import { cliAsync } from './helpers/cli.ts';
import { BIN, ROOT, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { freePortBlock } from './helpers/ports.ts';

const SHIPPED = path.join(ROOT, 'config/gateway.yaml');
const running: RunningGateway[] = [];
afterAll(async () => {
  await Promise.all(running.map((g) => g.stop()));
});

/** Waits for a log line of the gateway's (JSON on a pipe) that matches. */
async function logged(g: RunningGateway, match: (rec: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const line of g.stdout().split('\n')) {
      if (!line.startsWith('{')) continue;
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (match(rec)) return rec;
    }
    if (Date.now() > deadline) throw new Error(`no such log line within ${timeoutMs} ms:\n${g.stdout()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function holdPort(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

describe('port clashes', () => {
  it('two gateways on the shipped config with different CANTEEN_EDGE_PORT run side by side, each reading its own simulated meter', async () => {
    const [a, b] = [await freePortBlock(5), await freePortBlock(5)];
    const first = await startGateway({ configFile: SHIPPED, port: a });
    running.push(first);
    const second = await startGateway({ configFile: SHIPPED, port: b });
    running.push(second);
    for (const [g, p] of [[first, a], [second, b]] as const) {
      // the simulators moved next to the gateway's port, and the meter and scale devices followed them
      await logged(g, (r) => r.msg === 'simulated SDM630 meter serving Modbus TCP' && r.port === p + 1);
      await logged(g, (r) => r.msg === 'simulated scale streaming continuous ASCII' && r.port === p + 2);
      await logged(g, (r) => r.msg === 'simulated provincial service receiving batches' && r.port === p + 3);
      await logged(g, (r) => r.msg === 'device state' && r.device === 'main-meter' && r.state === 'online');
      await logged(g, (r) => r.msg === 'device state' && r.device === 'checkout-1' && r.state === 'online');
      expect((await fetch(`${g.url}/healthz`)).ok).toBe(true);
    }
  }, 180_000);

  for (const [offset, key] of [
    [1, 'simulators.energy_meter.port'],
    [0, 'server.port'],
  ] as const) {
    it(`a port held by another program (${key}) → one plain line naming the port, the part and how to change it; exit 1`, async () => {
      const base = await freePortBlock(5);
      const holder = await holdPort(base + offset);
      try {
        const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-clash-')), 'data');
        const r = await cliAsync(['start', '--config', SHIPPED], { CANTEEN_EDGE_PORT: String(base), CANTEEN_EDGE_DATA_DIR: dataDir });
        expect(r.code).toBe(1);
        const lines = r.stderr.split('\n').filter((l) => l.trim() && !l.startsWith('npm warn'));
        const clash = lines.filter((l) => l.includes('already in use'));
        expect(clash).toHaveLength(1);
        expect(clash[0]).toContain(`port ${base + offset} `);
        expect(clash[0]).toContain(key);
        expect(clash[0]).toContain('CANTEEN_EDGE_PORT');
        // no stack trace anywhere
        expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
        expect(r.stdout + r.stderr).not.toContain('"stack"');
      } finally {
        await new Promise((res) => holder.close(res));
      }
    }, 120_000);
  }
});

describe('kiosk pair', () => {
  it('prints the expiry in site time with the words of the /login page', async () => {
    // a site in another zone than this machine (UTC) and Shanghai, so neither could pass by accident
    const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-pair-'));
    const config = path.join(dir, 'gateway.yaml');
    writeFileSync(config, 'site: { name: 测试, timezone: Asia/Kathmandu }\ncanteen:\n  stations: [{ id: checkout-1, scale: checkout-1, interval_g: 2 }]\ndevices:\n  scales: [{ id: checkout-1, protocol: continuous, transport: { type: tcp, host: 127.0.0.1, port: 9 } }]\n');
    const r = await cliAsync(['kiosk', 'pair', '--station', 'checkout-1', '--config', config], { CANTEEN_EDGE_DATA_DIR: path.join(dir, 'data') });
    expect(r.code).toBe(0);
    const doc = r.json() as { code: string; expiresAt: string; expires_local: string; timezone: string };
    // Kathmandu is UTC+05:45 all year
    const local = new Date(Date.parse(doc.expiresAt) + (5 * 60 + 45) * 60_000).toISOString();
    const shown = `${local.slice(0, 10)} ${local.slice(11, 16)}`;
    expect(doc).toMatchObject({ expires_local: shown, timezone: 'Asia/Kathmandu' });
    expect(r.stderr).toContain(`${shown}（Asia/Kathmandu）前有效`);
    // the same words as the page the code is typed into
    expect(PAGE_WORDS.pairTitle).toEqual(loginDict['login.pairTitle']);
    expect(PAGE_WORDS.pairCode).toEqual(loginDict['login.pairCode']);
    expect(r.stderr).toContain(`「${loginDict['login.pairTitle'][0]}」`);
    expect(r.stderr).toContain(`"${loginDict['login.pairTitle'][1]}"`);
    expect(r.stderr).toContain(`${loginDict['login.pairCode'][0]} ${doc.code}`);
  }, 60_000);
});

describe('logs for people', () => {
  it('on a terminal: readable lines (not JSON) and the first admin password; in a pipe JSON stays (the tests above parse it)', async () => {
    const base = await freePortBlock(5);
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-tty-')), 'data');
    // util-linux `script` gives the gateway a real pseudo-terminal, as `npm start` in a terminal has
    const command = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} start --config ${JSON.stringify(SHIPPED)}`;
    const env: NodeJS.ProcessEnv = { ...process.env, CANTEEN_EDGE_PORT: String(base), CANTEEN_EDGE_DATA_DIR: dataDir, NO_COLOR: '1' };
    delete env.CANTEEN_EDGE_LOG_FORMAT;
    delete env.JOURNAL_STREAM;
    delete env.INVOCATION_ID;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 60_000;
      while (!/canteen-edge started/.test(out)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no start on the terminal:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const lines = out.split(/\r?\n/).filter((l) => l.trim());
      expect(lines.filter((l) => l.trimStart().startsWith('{"level"'))).toEqual([]);
      expect(out).toMatch(/^\d\d:\d\d:\d\d INFO +canteen-edge started +port=\d+/m);
      const password = /^password: (.+)$/m.exec(readFileSync(path.join(dataDir, 'initial-admin-password.txt'), 'utf8'))![1]!;
      expect(out).toContain(`admin / ${password}`);
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  }, 120_000);
});
