// Starts the real `canteen-edge start` command as a child process on free ports,
// with the built-in simulators, a fresh data directory and a config file written
// for the test. Waits until /healthz answers.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freePort } from './ports.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/canteen-edge.js');

export interface RunningGateway {
  url: string;
  port: number;
  dataDir: string;
  configFile: string;
  child: ChildProcess;
  /** everything written so far */
  stdout(): string;
  stderr(): string;
  /**
   * Signs in as a staff role: creates the account `test-<role>` once with the real
   * CLI (`canteen-edge user add`), then POST /api/auth/login. Cached per role.
   */
  loginAs(role: TestRole): Promise<TestSession>;
  /** Pairs a kiosk with a station (`canteen-edge kiosk pair` + POST /api/auth/pair). Cached per station. */
  pairKiosk(station: string): Promise<TestSession>;
  /** SIGTERM, then wait for exit */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: string | null; stderr: string; stdout: string; ms: number }>;
}

export type TestRole = 'kitchen' | 'supervisor' | 'facility' | 'cashier' | 'admin';

/** A signed-in session, ready for fetch (`headers`), socket.io-client (`auth: { token }`: headers are shared by every namespace on one connection) and Playwright (`cookies`). */
export interface TestSession {
  /** `name=value` of the session cookie */
  cookie: string;
  token: string;
  headers: { cookie: string };
  /** for `page.context().addCookies(…)` */
  cookies: { name: string; value: string; url: string }[];
}

/** A config with both simulators on free ports and devices pointing at them; `patch` is merged over it. */
export async function simulatorConfig(patch: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const [meterPort, scalePort] = [await freePort(), await freePort()];
  const base = {
    site: { name: '测试食堂 Test canteen' },
    server: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
    simulators: {
      energy_meter: { enabled: true, port: meterPort },
      scale: { enabled: true, port: scalePort, interval_ms: 100 },
    },
    devices: {
      meters: [{ id: 'main-meter', profile: 'sdm630', transport: { type: 'tcp', host: '127.0.0.1', port: meterPort }, poll_ms: 500 }],
      scales: [{ id: 'checkout-1', protocol: 'continuous', transport: { type: 'tcp', host: '127.0.0.1', port: scalePort } }],
      cameras: [{ id: 'kitchen-line', source: { type: 'files', path: path.join(ROOT, 'config/sim-camera') }, fps: 2 }],
    },
  };
  return { ...base, ...patch };
}

export async function startGateway(
  opts: {
    config?: Record<string, unknown>;
    /** an existing config file (the shipped config/gateway.yaml) instead of `config` */
    configFile?: string;
    env?: Record<string, string>;
    /** default: a fresh directory */ dataDir?: string;
    /** CANTEEN_EDGE_PORT; default: a free port */ port?: number;
  } = {},
): Promise<RunningGateway> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-test-'));
  const dataDir = opts.dataDir ?? path.join(dir, 'data');
  const configFile = opts.configFile ?? path.join(dir, 'gateway.yaml');
  if (!opts.configFile) writeFileSync(configFile, stringify(opts.config ?? (await simulatorConfig())));
  const port = opts.port ?? (await freePort());
  const env = { ...process.env, CANTEEN_EDGE_PORT: String(port), CANTEEN_EDGE_DATA_DIR: dataDir, ...opts.env };
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited ${child.exitCode} during start:\n${err}\n${out}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`gateway did not answer /healthz within 20 s:\n${err}\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const sessions = new Map<string, Promise<TestSession>>();
  const run = (args: string[], stdin?: string) =>
    new Promise<string>((resolve, reject) => {
      const c = execFile(process.execPath, [BIN, ...args, '--config', configFile], { cwd: ROOT, env, timeout: 30_000 }, (e, stdout, stderr) =>
        e ? reject(new Error(`canteen-edge ${args.join(' ')}: ${stderr || e.message}`)) : resolve(stdout),
      );
      c.stdin!.end(stdin ?? '');
    });
  const session = async (path: string, body: unknown, cookieName: string): Promise<TestSession> => {
    const r = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
    const token = new RegExp(`${cookieName}=([^;]+)`).exec(r.headers.get('set-cookie') ?? '')?.[1];
    if (!token) throw new Error(`POST ${path}: no ${cookieName} cookie`);
    const cookie = `${cookieName}=${token}`;
    return { cookie, token, headers: { cookie }, cookies: [{ name: cookieName, value: token, url }] };
  };
  const cached = (key: string, make: () => Promise<TestSession>) => {
    if (!sessions.has(key)) sessions.set(key, make().catch((e) => (sessions.delete(key), Promise.reject(e))));
    return sessions.get(key)!;
  };

  return {
    url,
    port,
    dataDir,
    configFile,
    child,
    stdout: () => out,
    stderr: () => err,
    loginAs: (role) =>
      cached(`role:${role}`, async () => {
        const username = `test-${role}`;
        const password = `pw-${randomBytes(12).toString('hex')}`;
        // a gateway restarted on the same data directory has the account already: give it a new password
        await run(['user', 'add', '--name', username, '--role', role, '--password-stdin'], password).catch((e: Error) =>
          /already an account/.test(e.message) ? run(['user', 'passwd', '--name', username, '--password-stdin'], password) : Promise.reject(e),
        );
        return session('/api/auth/login', { username, password }, 'ce_session');
      }),
    pairKiosk: (station) =>
      cached(`kiosk:${station}`, async () => {
        const { code } = JSON.parse(await run(['kiosk', 'pair', '--station', station])) as { code: string };
        return session('/api/auth/pair', { code }, 'ce_kiosk');
      }),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      const t0 = Date.now();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const result = await exited;
      clearTimeout(killer);
      return { ...result, stderr: err, stdout: out, ms: Date.now() - t0 };
    },
  };
}
