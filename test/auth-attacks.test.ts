// Sign-in attacks of issue 11 against the real running gateway: 50 parallel guesses
// from one address (at most the limit may be checked), a lock that holds one address
// and one username only (never the username for everyone), the admins told of the
// lock (audit log and the /admin operations view), and the limit surviving a restart.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN, ROOT, simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

const PASSWORD = 'kitchen-password-1';
let gw: RunningGateway;
let config: Record<string, unknown>;

function cli(args: string[], input = ''): void {
  execFileSync(process.execPath, [BIN, ...args, '--config', gw.configFile], { cwd: ROOT, env: { ...process.env, CANTEEN_EDGE_DATA_DIR: gw.dataDir }, input, stdio: 'pipe' });
}

/** A sign-in from a given local address (127.0.0.x), on its own connection, as another client would. */
function login(username: string, password: string, from: string): Promise<{ status: number; json: any }> {
  const data = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const req = http.request(`${gw.url}/api/auth/login`, { method: 'POST', agent: false, localAddress: from, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

beforeAll(async () => {
  config = await simulatorConfig();
  gw = await startGateway({ config });
  cli(['user', 'add', '--name', 'zhang.wei', '--role', 'kitchen', '--password-stdin'], PASSWORD);
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

it('checks at most auth.login_rate_limit.max_failures (5) of 50 parallel sign-ins; the others are 429 without a hash', async () => {
  const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => login('zhang.wei', `guess-${i}-x`, '127.0.0.20')));
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
  expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
  // and the right password from that address is refused too, while the lock lasts
  expect((await login('zhang.wei', PASSWORD, '127.0.0.20')).status).toBe(429);
}, 60_000);

it('locks that address for that username only: the person signs in from elsewhere; the admins are told', async () => {
  expect((await login('zhang.wei', PASSWORD, '127.0.0.21')).status).toBe(200);
  const admin = await gw.loginAs('admin');
  const audit = (await (await fetch(`${gw.url}/api/auth/audit?limit=200`, { headers: admin.headers })).json()) as { actor: string; action: string; client: string | null; result: string }[];
  expect(audit.filter((a) => a.action === 'login locked')).toEqual([expect.objectContaining({ actor: 'zhang.wei', client: '127.0.0.20', result: 'locked' })]);
  // on /admin: the operations view lists recent warnings
  const ops = (await (await fetch(`${gw.url}/api/admin/ops`, { headers: admin.headers })).json()) as { lastErrors: { level: string; msg: string }[] };
  expect(ops.lastErrors).toEqual(expect.arrayContaining([expect.objectContaining({ msg: expect.stringMatching(/sign-in as "zhang\.wei" from 127\.0\.0\.20 locked/) })]));
}, 60_000);

it('keeps the limit across a restart (SQLite, not memory)', async () => {
  const dataDir = gw.dataDir;
  expect((await gw.stop()).code).toBe(0);
  gw = await startGateway({ config, env: { CANTEEN_EDGE_DATA_DIR: dataDir } });
  expect((await login('zhang.wei', PASSWORD, '127.0.0.20')).status).toBe(429);
  expect((await login('zhang.wei', PASSWORD, '127.0.0.22')).status).toBe(200);
}, 90_000);
