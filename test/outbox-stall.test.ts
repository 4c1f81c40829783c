// Fault 1 of issue 12: a hung upstream. The uplink's timeout must survive garbage
// collection (Node 20 loses AbortSignal.any + AbortSignal.timeout after a GC), and a
// gateway whose receiver hangs reports the uplink `stalled` on /readyz (503) and in
// /metrics, then forwards again by itself once the receiver answers — no restart.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT, simulatorConfig, startGateway } from './helpers/gateway.ts';
import { freePort } from './helpers/ports.ts';

function run(args: string[]): Promise<string> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve) => child.once('exit', () => resolve(out)));
}

describe('a hung upstream', () => {
  it('times out a request to a receiver that never answers even when garbage collection runs meanwhile', async () => {
    const out = await run(['--expose-gc', '--import', 'tsx', 'test/peers/hung-uplink.ts']);
    expect(out).toMatch(/^TIMEOUT \d+ POST .*: no answer within 300 ms/);
  }, 60_000);

  it('is reported stalled on /readyz and in metrics while it hangs, and forwarding resumes without a restart', async () => {
    const simPort = await freePort();
    const sim = `http://127.0.0.1:${simPort}`;
    const config = await simulatorConfig({
      server: { host: '127.0.0.1', port: 0, metrics_token: 'metrics-secret' },
      outbox: { readings_every_ms: 200 },
      uplinks: [{ id: 'province', type: 'http', url: `${sim}/ingest/{stream}`, token: 't', hmac_key: 'k', timeout_ms: 500, backoff: { min_ms: 200, max_ms: 1000, offline_after_ms: 60_000 } }],
    });
    (config.simulators as Record<string, unknown>).province = { enabled: true, host: '127.0.0.1', port: simPort, token: 't', hmac_key: 'k' };
    const gw = await startGateway({ config });
    const readings = async () => ((await (await fetch(`${sim}/report`)).json()) as { streams: Record<string, { unique: number }> }).streams.readings?.unique ?? 0;
    // anyone sees the states and reasons; signed-in staff also the link's last error
    const staff = (await gw.loginAs('facility')).headers;
    const readyz = async (headers: Record<string, string> = {}) => {
      const r = await fetch(`${gw.url}/readyz`, { headers });
      return { status: r.status, body: (await r.json()) as { reasons: string[]; uplinks: { uplink: string; state: string; lastError: string | null }[] } };
    };
    const control = (fault: unknown) => fetch(`${sim}/control`, { method: 'POST', body: JSON.stringify(fault) });
    try {
      await expect.poll(readings, { timeout: 30_000, interval: 200 }).toBeGreaterThan(0);
      expect((await readyz()).status).toBe(200);

      await control({ mode: 'hang' });
      // the link is stalled, with its reason, and the box is not ready
      await expect.poll(async () => (await readyz()).status, { timeout: 30_000, interval: 100 }).toBe(503);
      const stalledPublic = await readyz();
      expect(stalledPublic.body.uplinks[0]).toMatchObject({ uplink: 'province', state: 'stalled' });
      expect(stalledPublic.body.reasons).toContain('uplink province stalled');
      const stalled = await readyz(staff);
      expect(stalled.status).toBe(503);
      expect(stalled.body.uplinks[0]).toMatchObject({ uplink: 'province', state: 'stalled' });
      expect(stalled.body.uplinks[0]!.lastError).toMatch(/no answer|outstanding/);
      expect(stalled.body.reasons.join('\n')).toMatch(/uplink province stalled/);
      const metrics = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret' } })).text();
      expect(metrics).toMatch(/canteen_edge_uplink_state\{uplink="province",state="stalled"\} 1/);
      const during = await readings();

      await control({ mode: 'ok' });
      await expect.poll(readings, { timeout: 30_000, interval: 200 }).toBeGreaterThan(during);
      await expect.poll(async () => (await readyz()).status, { timeout: 30_000, interval: 200 }).toBe(200);
      expect((await readyz()).body.uplinks[0]!.state).toBe('online');
      const after = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer metrics-secret' } })).text();
      expect(Number(/canteen_edge_uplink_stalls_total\{uplink="province"\} (\d+)/.exec(after)?.[1])).toBeGreaterThan(0);
    } finally {
      await control({ mode: 'ok' }).catch(() => {});
      await gw.stop();
    }
  }, 120_000);
});
