// server.trust_proxy: the sign-in rate limit (and the audit log) count per client
// address. By default that is the connection's address and X-Forwarded-For is
// ignored (anyone could send it); behind a reverse proxy, trust_proxy: true takes
// the client from X-Forwarded-For.
import { afterEach, expect, it } from 'vitest';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

let gw: RunningGateway | undefined;

afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

async function gateway(trustProxy?: boolean) {
  const base = await simulatorConfig();
  gw = await startGateway({
    config: {
      ...base,
      server: { ...(base.server as object), ...(trustProxy === undefined ? {} : { trust_proxy: trustProxy }) },
      auth: { login_rate_limit: { max_failures: 2, max_failures_per_user: 100 } },
    },
  });
  return gw;
}

const login = (g: RunningGateway, from: string, username = 'nobody') =>
  fetch(`${g.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': from }, body: JSON.stringify({ username, password: 'wrong' }) }).then((r) => r.status);

it('ignores X-Forwarded-For by default: every failure counts against the connection', async () => {
  const g = await gateway();
  expect(await login(g, '10.0.0.1')).toBe(401);
  expect(await login(g, '10.0.0.2')).toBe(401);
  expect(await login(g, '10.0.0.3')).toBe(429);
}, 60_000);

it('with trust_proxy: true, counts per forwarded client and audits that address', async () => {
  const g = await gateway(true);
  expect(await login(g, '10.0.0.1', 'mallory')).toBe(401);
  expect(await login(g, '10.0.0.1', 'mallory')).toBe(401);
  expect(await login(g, '10.0.0.1', 'mallory')).toBe(429);
  expect(await login(g, '10.0.0.2', 'mallory')).toBe(401);
  const admin = await g.loginAs('admin');
  const audit = await (await fetch(`${g.url}/api/auth/audit?limit=20`, { headers: admin.headers })).json();
  const rows = (Array.isArray(audit) ? audit : audit.entries) as { actor: string; client: string; result: string }[];
  // the lock of 10.0.0.1 on mallory is recorded for the admins, with the forwarded address
  expect(rows.filter((r) => r.actor === 'mallory').map((r) => `${r.client} ${r.result}`).sort()).toEqual(['10.0.0.1 locked', '10.0.0.1 rate-limited', '10.0.0.1 refused', '10.0.0.1 refused', '10.0.0.2 refused']);
}, 60_000);
