// SIGHUP on the real `canteen-edge start` process: the config is read again, what
// can change live (log level, site name, sign-in limits) is applied and logged as applied, other
// changed keys are logged as needing a restart; an invalid config is logged with
// its errors and the gateway keeps running on the old one.
import { writeFileSync } from 'node:fs';
import { io as connect } from 'socket.io-client';
import { stringify } from 'yaml';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

let gw: RunningGateway;
let config: Record<string, any>;

const lines = () =>
  gw
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, any>);
const countOf = (msg: RegExp) => lines().filter((l) => msg.test(l.msg)).length;

/** Sends SIGHUP and returns the log line it produced. */
async function hup(msg: RegExp): Promise<Record<string, any>> {
  const before = countOf(msg);
  gw.child.kill('SIGHUP');
  await expect.poll(() => countOf(msg), { timeout: 10_000 }).toBe(before + 1);
  return lines().filter((l) => msg.test(l.msg)).at(-1)!;
}

async function siteName(): Promise<string> {
  const { token } = await gw.loginAs('admin');
  const socket = connect(`${gw.url}/admin`, { auth: { token }, transports: ['websocket'] });
  try {
    return await new Promise<string>((resolve, reject) => {
      socket.once('snapshot', (s: { site: { name: string } }) => resolve(s.site.name));
      socket.once('connect_error', reject);
    });
  } finally {
    socket.close();
  }
}

beforeAll(async () => {
  config = await simulatorConfig({ log: { level: 'info' } });
  gw = await startGateway({ config });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

const failedLogin = () =>
  fetch(`${gw.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'nobody', password: 'wrong' }) }).then((r) => r.status);

it('applies the log level, site name and sign-in limit live and reports the key that needs a restart', async () => {
  await fetch(`${gw.url}/healthz`);
  expect(lines().some((l) => l.level === 20)).toBe(false);
  expect(await siteName()).toBe('测试食堂 Test canteen');

  const next = structuredClone(config);
  next.log.level = 'debug';
  next.site.name = '新名字食堂 Renamed canteen';
  next.devices.meters[0].poll_ms = 700;
  next.auth = { login_rate_limit: { max_failures: 1 } };
  writeFileSync(gw.configFile, stringify(next));
  const line = await hup(/^config reloaded/);
  expect([...line.applied].sort()).toEqual(['auth.login_rate_limit.max_failures', 'log.level', 'site.name']);
  expect(line.restartNeeded).toEqual(['devices.meters[0].poll_ms']);
  expect(line.msg).toBe(`config reloaded: applied ${line.applied.join(', ')}; needs a restart: devices.meters[0].poll_ms`);
  expect(lines().find((l) => /config changes wait for a restart/.test(l.msg))).toMatchObject({ level: 40, restartNeeded: ['devices.meters[0].poll_ms'] });

  // live: debug lines (the access log) appear, new page connections get the new name
  await fetch(`${gw.url}/healthz`);
  await expect.poll(() => lines().some((l) => l.level === 20 && l.msg === 'request' && l.url === '/healthz'), { timeout: 5000 }).toBe(true);
  expect(await siteName()).toBe('新名字食堂 Renamed canteen');
  // one failed sign-in from here is now the limit (it was 5)
  expect(await failedLogin()).toBe(401);
  expect(await failedLogin()).toBe(429);

  // nothing new: the restart-only change is still pending, nothing is applied again
  const again = await hup(/^config reloaded/);
  expect(again).toMatchObject({ applied: [], restartNeeded: ['devices.meters[0].poll_ms'] });
});

it('keeps running on the old config when the new one is invalid, and says why', async () => {
  const broken = structuredClone(config);
  broken.log.level = 'loud';
  broken.server.prot = 9000;
  writeFileSync(gw.configFile, stringify(broken));
  const line = await hup(/^config reload refused/);
  expect(line.level).toBe(50);
  expect(line.errors.map((e: { path: string }) => e.path).sort()).toEqual(['log.level', 'server.prot']);
  expect(line.msg).toMatch(/keeping the running config$/);

  expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  // still at debug from the earlier reload
  const n = lines().filter((l) => l.level === 20).length;
  await fetch(`${gw.url}/healthz`);
  await expect.poll(() => lines().filter((l) => l.level === 20).length, { timeout: 5000 }).toBeGreaterThan(n);

  writeFileSync(gw.configFile, stringify(config));
  const { code } = await gw.stop();
  expect(code).toBe(0);
});
