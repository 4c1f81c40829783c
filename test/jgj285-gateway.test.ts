// The running gateway (`canteen-edge start`, a child process) against the province
// simulator's building-energy receiver, per platform profile: online from boot
// (login and heartbeat before any report), the platform clock offset, reports and
// the profile's acknowledgement, an outage then `continuous` backfill in order, a
// wrong key, a garbled frame, an unknown answer, and kill -9 mid-report. Backlogs
// are written into the gateway's outbox before it starts (the box was offline):
// the meters only close a 15-minute period every 15 minutes.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from '../gateway/outbox/outbox.ts';
import { ProvinceSim } from '../gateway/sim/province/province.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';
import { formatTime } from '../gateway/uplink/jgj285/xml.ts';
import type { ProfileName } from '../gateway/uplink/jgj285/profiles.ts';
import type { EnergyInterval } from '../gateway/wire/energy.ts';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { spawn } from 'node:child_process';
import { cli } from './helpers/cli.ts';
import { BIN, ROOT, simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { freePort } from './helpers/ports.ts';

const AES = 'abcdefghijklmnop';
const LOGIN = 'login-secret';
const NINGBO_IV = 'ponmlkjihgfedcba';
const Q = 900_000;
// main-meter: its counter at the period end as function 1 (the guideline's raw value) and its consumption as function 2
const METERS = { 'main-meter': { function: '1', coding: '01D20', consumption_function: '2' }, lighting: { meter: 'L-01', function: '2', coding: '01A00', value: 'consumption' } };
const RECORDS_PER_PERIOD = 3;

let cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function province(profile: ProfileName, clockSkewMs = 0) {
  const sim = new ProvinceSim({ host: '127.0.0.1', httpPort: 0, jgj285: { aesKey: AES, loginKey: LOGIN, profile, aesIv: profile === 'ningbo-2018' ? NINGBO_IV : undefined, clockSkewMs } });
  await sim.start();
  cleanup.push(() => sim.stop());
  return { sim, rx: sim.jgj285! };
}

async function gatewayConfig(profile: ProfileName, port: number, over: Record<string, unknown> = {}) {
  return simulatorConfig({
    uplinks: [
      {
        id: 'energy',
        type: 'jgj285',
        profile,
        host: '127.0.0.1',
        port,
        building_id: '330100A001',
        gateway_id: '01',
        aes_key: AES,
        login_key: LOGIN,
        ...(profile === 'ningbo-2018' ? { aes_iv: NINGBO_IV } : {}),
        heartbeat_s: 5,
        timeout_ms: 3000,
        meter_functions: METERS,
        unmapped_meters: 'skip',
        backoff: { min_ms: 100, max_ms: 1000, offline_after_ms: 60_000 },
        ...over,
      },
    ],
  });
}

async function start(config: Record<string, unknown>, dataDir?: string): Promise<RunningGateway> {
  const gw = await startGateway({ config, dataDir });
  cleanup.push(() => gw.stop());
  return gw;
}

/** The latest closed period start, and `n` whole periods back from it (oldest first). */
function periods(n: number, now = Date.now()): number[] {
  const latest = Math.floor(now / Q) * Q - Q;
  return Array.from({ length: n }, (_, i) => latest - (n - 1 - i) * Q);
}

/**
 * Waits out the last 90 s of a 15-minute period: a test that tells `report` (the latest closed
 * period) from `continuous` (older) must not see a new period close while it runs.
 */
async function clearOfPeriodEnd(): Promise<void> {
  const left = Q - (Date.now() % Q);
  if (left < 90_000) await new Promise((r) => setTimeout(r, left + 1000));
}

/** Writes closed intervals into the outbox of a stopped gateway's data directory, as the energy module does. */
function seed(dataDir: string, starts: number[]): void {
  const db = openDatabase(dataDir);
  const outbox = new Outbox(db, 'box-seeded');
  for (const start of starts)
    for (const meter of Object.keys(METERS)) {
      const i: EnergyInterval = { meter, medium: 'electricity', unit: 'kWh', period: '15m', start, end: start + Q, amount: (start / Q) % 7, estimated: false, anomalies: 0, reading: 1000 + start / Q };
      outbox.appendNow('intervals', i, { key: `${i.meter}:${i.period}:${i.start}` });
    }
  outbox.close();
  db.close();
}

const freshDataDir = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-jgj-gw-')), 'data');
const times = (starts: number[]) => starts.map((s) => formatTime(s, 'Asia/Shanghai'));

async function staffLinks(gw: RunningGateway): Promise<{ uplink: string; state: string; lastError: string | null }[]> {
  const s = await gw.loginAs('admin');
  return ((await (await fetch(`${gw.url}/readyz`, { headers: s.headers })).json()) as { uplinks: { uplink: string; state: string; lastError: string | null }[] }).uplinks;
}

describe.each(['guideline', 'server3', 'ningbo-2018'] as const)('jgj285 profile %s against the running gateway', (profile) => {
  it('logs in and beats from boot with the clock offset, then backfills an outage with continuous, in order, each period acknowledged once', async () => {
    const { sim, rx } = await province(profile, 90_000);
    const dataDir = freshDataDir();
    const config = await gatewayConfig(profile, rx.port);
    let gw = await start(config, dataDir);
    // online from boot: no report is due, the platform sees the login and a heartbeat anyway
    await expect.poll(() => rx.counters.heartbeats, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(rx.counters).toMatchObject({ loginsPassed: 1, loginsRefused: 0, reports: 0, badCrc: 0, badFrames: 0, badXml: 0 });
    await expect.poll(() => /"offsetMs":(\d+)/.exec(gw.stdout() + gw.stderr())?.[1], { timeout: 10_000 }).toBeDefined();
    const offset = Number(/"offsetMs":(\d+)/.exec(gw.stdout() + gw.stderr())![1]);
    expect(Math.abs(offset - 90_000)).toBeLessThan(2000);
    await gw.stop();

    // the box was offline for two hours; then the platform drops the first two reports too
    await clearOfPeriodEnd();
    const starts = periods(8);
    seed(dataDir, starts);
    rx.fault = { mode: 'reset', times: 2 };
    gw = await start(config, dataDir);
    const want = times(starts);
    await expect.poll(() => want.every((t) => rx.acksByTime.get(t) === 1), { timeout: 30_000 }).toBe(true);
    expect([...rx.acksByTime.values()].every((n) => n === 1)).toBe(true);
    const got = (sim.ledger.recent.get('intervals') ?? []).map((r) => r.payload as { time: string; operation: string; parser?: string; meter: string; coding: string; name?: string });
    const seeded = got.filter((p) => want.includes(p.time));
    expect(seeded).toHaveLength(8 * RECORDS_PER_PERIOD);
    // in order, oldest first; every period but the latest closed one is a `continuous` resend
    expect([...new Set(seeded.map((p) => p.time))]).toEqual(want);
    expect(seeded.filter((p) => p.operation === 'continuous').map((p) => p.time)).toEqual(want.slice(0, 7).flatMap((t) => [t, t, t]));
    expect(seeded.filter((p) => p.time === want[7]).map((p) => p.operation)).toEqual(['report', 'report', 'report']);
    expect(seeded.every((p) => p.parser === 'yes')).toBe(true);
    // raw value (the counter at the period end) and, where configured, the consumption, with the sub-item's Chinese name
    const first = starts[0]!;
    expect(seeded.filter((p) => p.time === want[0])).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ meter: 'main-meter', function: '1', coding: '01D20', name: '厨房餐厅', value: 1000 + first / Q }),
        expect.objectContaining({ meter: 'main-meter', function: '2', coding: '01D20', name: '厨房餐厅', value: Number(((first / Q) % 7).toFixed(2)) }),
        expect.objectContaining({ meter: 'L-01', function: '2', coding: '01A00', name: '照明插座用电', value: Number(((first / Q) % 7).toFixed(2)) }),
      ]),
    );
    expect(sim.ledger.report().intervals).toMatchObject({ duplicates: 0 });
    expect(rx.counters).toMatchObject({ faulted: 2, badCrc: 0, badXml: 0 });
    await expect.poll(async () => (await staffLinks(gw)).find((l) => l.uplink === 'energy')?.state, { timeout: 10_000 }).toBe('online');
  }, 200_000);

  it('skips a garbled frame before the acknowledgement: counted and logged by the gateway, nothing resent', async () => {
    const { sim, rx } = await province(profile);
    const dataDir = freshDataDir();
    const starts = periods(3);
    seed(dataDir, starts);
    rx.fault = { mode: 'garble', times: 3 };
    const gw = await start(await gatewayConfig(profile, rx.port), dataDir);
    await expect.poll(() => times(starts).every((t) => rx.acksByTime.get(t) === 1), { timeout: 30_000 }).toBe(true);
    // each garbled frame was skipped by the gateway, which took the ack right after it: no timeout, no resend
    expect(rx.counters).toMatchObject({ faulted: 3 });
    await expect.poll(() => /"badFrames":(\d+)/.exec(gw.stdout() + gw.stderr())?.[1], { timeout: 10_000 }).toBeDefined();
    expect(sim.ledger.report().intervals).toMatchObject({ duplicates: 0 });
  }, 60_000);

  it('a wrong login key: the link says login refused, nothing is taken, the backlog stays', async () => {
    const { sim, rx } = await province(profile);
    const dataDir = freshDataDir();
    seed(dataDir, periods(2));
    const gw = await start(await gatewayConfig(profile, rx.port, { login_key: 'wrong' }), dataDir);
    await expect.poll(async () => (await staffLinks(gw)).find((l) => l.uplink === 'energy')?.lastError ?? '', { timeout: 20_000 }).toMatch(/login refused/);
    expect(rx.counters.loginsRefused).toBeGreaterThanOrEqual(1);
    expect(rx.counters).toMatchObject({ loginsPassed: 0, reports: 0 });
    expect(sim.ledger.report()).toEqual({});
  }, 60_000);
});

describe('`canteen-edge sim province --jgj-profile`', () => {
  it('runs as its own process speaking ningbo-2018 (separate IV, UTF-16): the gateway logs in and reports; faults and skew set over HTTP', async () => {
    const jgjPort = await freePort();
    const child = spawn(process.execPath, [BIN, 'sim', 'province', '--port', '0', '--jgj-port', String(jgjPort), '--jgj-aes-key', AES, '--jgj-login-key', LOGIN, '--jgj-aes-iv', NINGBO_IV, '--jgj-profile', 'ningbo-2018'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanup.push(() => void child.kill('SIGTERM'));
    const started = await new Promise<{ http: { port: number }; jgj285: { port: number } }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        try {
          resolve(JSON.parse(out));
        } catch {
          /* not the whole document yet */
        }
      });
      child.once('exit', (code) => reject(new Error(`sim province exited ${code}`)));
    });
    expect(started.jgj285.port).toBe(jgjPort);
    const url = `http://127.0.0.1:${started.http.port}`;
    const control = await fetch(`${url}/control/jgj285`, { method: 'POST', body: JSON.stringify({ clockSkewMs: -60_000, fault: { mode: 'garble', times: 1 } }) });
    expect(control.status).toBe(200);
    expect((await fetch(`${url}/control/jgj285`, { method: 'POST', body: JSON.stringify({ fault: { mode: 'sulk' } }) })).status).toBe(400);

    const dataDir = freshDataDir();
    await clearOfPeriodEnd();
    const starts = periods(2);
    seed(dataDir, starts);
    const gw = await start(await gatewayConfig('ningbo-2018', jgjPort), dataDir);
    const report = async () => ((await (await fetch(`${url}/report`)).json()) as { jgj285: { loginsPassed: number; reportsAcked: number; continuous: number; badXml: number } });
    await expect.poll(async () => (await report()).jgj285.reportsAcked, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    expect((await report()).jgj285).toMatchObject({ loginsPassed: 1, continuous: 1, badXml: 0 });
    const ids = (await (await fetch(`${url}/ids/intervals`)).json()) as string[];
    expect(ids.filter((id) => times(starts).some((t) => id.endsWith(t)))).toHaveLength(2 * RECORDS_PER_PERIOD);
    await expect.poll(() => /"offsetMs":(-\d+)/.exec(gw.stdout() + gw.stderr())?.[1], { timeout: 15_000 }).toBeDefined();
    expect(Math.abs(Number(/"offsetMs":(-\d+)/.exec(gw.stdout() + gw.stderr())![1]) + 60_000)).toBeLessThan(2000);
  }, 160_000);

  it('refuses an unknown --jgj-profile with did you mean (exit 2)', () => {
    const r = cli(['sim', 'province', '--port', '0', '--jgj-port', '0', '--jgj-aes-key', AES, '--jgj-login-key', LOGIN, '--jgj-profile', 'ningbo']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--jgj-profile: got "ningbo": unknown profile; did you mean "ningbo-2018"?');
  });
});

describe('jgj285 config check', () => {
  it('names a wrong profile with "did you mean", and a sub-item code outside the table with the nearest valid codes', async () => {
    const config = await gatewayConfig('server3', 8600);
    const uplink = (config.uplinks as Record<string, unknown>[])[0]!;
    uplink.profile = 'sever3';
    uplink.meter_functions = { 'main-meter': { function: '1', coding: '01D2C' } };
    config.energy = { groups: [{ id: 'kitchen', name: '厨房', sub_item: '01B30', meters: ['main-meter'] }] };
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-jgj-cfg-')), 'gateway.yaml');
    writeFileSync(file, stringify(config));
    const r = cli(['config', 'check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.json().errors).toEqual(
      expect.arrayContaining([
        { path: 'uplinks[0].profile', message: 'got "sever3" (string); unknown profile; did you mean "server3"? expected one of guideline, server3, ningbo-2018, custom' },
        { path: 'uplinks[0].meter_functions.main-meter.coding', message: 'got "01D2C" (string); not in the sub-item code table (分项能耗编码); nearest valid codes: 01D20 厨房餐厅, 01D2A 炊事, 01D2B 厨房通风' },
        { path: 'energy.groups[0].sub_item', message: 'got "01B30" (string); not in the sub-item code table (分项能耗编码); nearest valid codes: 01B00 空调用电, 01B10 冷热站, 01B20 空调末端' },
      ]),
    );
  }, 30_000);
});

describe('jgj285 acknowledgements against the running gateway', () => {
  it('an answer that is no known acknowledgement is an error quoting the XML, then the backlog drains once the platform answers properly', async () => {
    const { rx } = await province('server3');
    const dataDir = freshDataDir();
    const starts = periods(2);
    seed(dataDir, starts);
    const odd = '<?xml version="1.0" encoding="UTF-8"?><root><common><building_id>330100A001</building_id><gateway_id>01</gateway_id><type>report_ack</type></common><report_config operation="report_ack"><report_ack>ok-thanks</report_ack></report_config></root>';
    rx.fault = { mode: 'odd-answer', xml: odd };
    const gw = await start(await gatewayConfig('server3', rx.port), dataDir);
    await expect.poll(async () => (await staffLinks(gw)).find((l) => l.uplink === 'energy')?.lastError ?? '', { timeout: 20_000 }).toMatch(/unknown answer from the platform/);
    const link = (await staffLinks(gw)).find((l) => l.uplink === 'energy')!;
    expect(link.lastError).toContain('<report_ack>ok-thanks</report_ack>');
    expect(link.state).not.toBe('online');
    expect(rx.counters.reportsAcked).toBe(0);
    rx.fault = { mode: 'ok' };
    await expect.poll(() => times(starts).every((t) => rx.acksByTime.get(t) === 1), { timeout: 30_000 }).toBe(true);
  }, 60_000);

  it('a platform acknowledging only in the data-result form is refused as unknown by an uplink told to accept only report-config', async () => {
    const { rx } = await province('guideline'); // answers <data operation="report_ack">
    const dataDir = freshDataDir();
    seed(dataDir, periods(1));
    const gw = await start(await gatewayConfig('guideline', rx.port, { ack_forms: ['report-config'] }), dataDir);
    await expect.poll(async () => (await staffLinks(gw)).find((l) => l.uplink === 'energy')?.lastError ?? '', { timeout: 20_000 }).toMatch(/unknown answer from the platform to a report: .*<data operation="report_ack">/);
  }, 60_000);
});

describe('jgj285 kill -9 mid-report', () => {
  it('each period is acknowledged exactly once across a kill -9 and restart, wherever the kill falls', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 6 }), async (acked) => {
        // each run stops what it started, also when it fails (fast-check runs the property again to shrink)
        try {
          await killAndRestart(acked);
        } finally {
          for (const c of cleanup.splice(0).reverse()) await c();
        }
      }),
      { numRuns: 3, seed: 1414 },
    );
  }, 300_000);
});

/** Seeds 8 periods, kills the gateway -9 while the platform holds report `acked + 1` unanswered, restarts it: every period acknowledged once. */
async function killAndRestart(acked: number): Promise<void> {
  const { sim, rx } = await province('server3');
  const dataDir = freshDataDir();
  const starts = periods(8);
  seed(dataDir, starts);
  // the platform takes report number `acked + 1` into its books but the ack never comes: kill -9 then
  rx.fault = { mode: 'hang', after: acked, take: true };
  const config = await gatewayConfig('server3', rx.port, { timeout_ms: 30_000 });
  const gw = await startGateway({ config, dataDir });
  try {
    await expect.poll(() => rx.counters.faulted, { timeout: 30_000 }).toBe(1);
  } finally {
    await gw.stop('SIGKILL');
  }
  rx.fault = { mode: 'ok' };
  await start(config, dataDir);
  const want = times(starts);
  await expect
    .poll(() => want.every((t) => rx.acksByTime.get(t) === 1), { timeout: 30_000 })
    .toBe(true)
    .catch((e: Error) => {
      throw new Error(`${e.message}: kill after ${acked} acknowledged; acknowledgements per period ${JSON.stringify([...rx.acksByTime])}; ${JSON.stringify(rx.counters)}`);
    });
  expect([...rx.acksByTime.values()].every((n) => n === 1)).toBe(true);
  // the one report taken without an ack came again (three functions): the platform recognises the duplicates
  expect(sim.ledger.report().intervals).toMatchObject({ duplicates: RECORDS_PER_PERIOD });
  expect(new Set(sim.ledger.ids('intervals').filter((id) => want.some((t) => id.endsWith(t)))).size).toBe(8 * RECORDS_PER_PERIOD);
}
