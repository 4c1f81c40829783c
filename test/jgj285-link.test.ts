// The jgj285 uplink against the simulator's jgj285 receiver: login, heartbeat
// clock offset, reports and their acknowledgement, and the outbox + forwarder
// driving it through a connection reset. Both sides are our code: this checks
// them against each other and against the framing vectors of
// jgj285-frame.test.ts, not against a real provincial platform.
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EnergyInterval } from '../gateway/wire/energy.ts';
import { Forwarder, type LinkStatus } from '../gateway/outbox/forwarder.ts';
import { Outbox, type StoredRecord } from '../gateway/outbox/outbox.ts';
import { Jgj285Receiver } from '../gateway/sim/province/jgj285-receiver.ts';
import { Ledger } from '../gateway/sim/province/ledger.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';
import { Jgj285LoginRefused, Jgj285Uplink, createJgj285Uplink, type Jgj285UplinkOptions } from '../gateway/uplink/jgj285/client.ts';
import { FrameCodec, parseKey16, resolveIv } from '../gateway/uplink/jgj285/frame.ts';
import { jgj285UplinkSchema } from '../gateway/uplink/jgj285/schema.ts';
import { buildMessage, formatTime } from '../gateway/uplink/jgj285/xml.ts';

const AES = 'abcdefghijklmnop';
const LOGIN = 'login-secret';
const T0 = Date.UTC(2025, 0, 1, 0, 0); // 08:00 in Shanghai
const Q = 900_000;
const METERS = {
  'kitchen-main': { function: '1', coding: '01D20', value: 'consumption' },
  lighting: { meter: 'L-01', function: '2', coding: '01A00', value: 'consumption' },
  'water-main': { function: '1', coding: '02000', value: 'consumption' },
} as const;

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function receiver(opts: { clockSkewMs?: number } = {}) {
  const ledger = new Ledger();
  const rx = new Jgj285Receiver(ledger, { aesKey: AES, loginKey: LOGIN, ...opts });
  await rx.start();
  cleanup.push(() => rx.stop());
  return { ledger, rx };
}

function uplink(port: number, over: Partial<Jgj285UplinkOptions> = {}) {
  const u = new Jgj285Uplink({
    id: 'energy',
    host: '127.0.0.1',
    port,
    buildingId: '330100A001',
    gatewayId: '01',
    aesKey: AES,
    loginKey: LOGIN,
    heartbeatMs: 60_000,
    timeoutMs: 2000,
    meterFunctions: METERS,
    ...over,
  });
  cleanup.push(() => u.close());
  return u;
}

function interval(meter: string, k: number, amount: number, extra: Partial<EnergyInterval> = {}): EnergyInterval {
  const water = meter.startsWith('water');
  return { meter, medium: water ? 'water' : 'electricity', unit: water ? 'm3' : 'kWh', period: '15m', start: T0 + k * Q, end: T0 + (k + 1) * Q, amount, estimated: false, anomalies: 0, ...extra };
}

/** Sends a batch as the forwarder does: again from after `upTo` until all of it was taken; `retries` failures are retried. */
async function sendAll(u: Jgj285Uplink, batch: StoredRecord[], retries = 0) {
  const rejected: { id: string; reason: string }[] = [];
  const errors: string[] = [];
  let sends = 0;
  while (batch.length) {
    sends += 1;
    let r;
    try {
      r = await u.send('intervals', batch, `b${batch[0]!.seq}-${batch.at(-1)!.seq}`, new AbortController().signal);
    } catch (err) {
      errors.push((err as Error).message);
      if (errors.length > retries) throw err;
      continue;
    }
    rejected.push(...(r.rejected ?? []));
    if (r.upTo === undefined) break;
    batch = batch.filter((b) => b.seq > r.upTo!);
  }
  return { rejected, errors, sends };
}

const stored = (payloads: unknown[]): StoredRecord[] => payloads.map((p, i) => ({ stream: 'intervals', seq: i + 1, id: `box:intervals:${i + 1}`, at: 0, json: JSON.stringify(p) }));
const rxId = (meter: string, k: number) => {
  const m = METERS[meter as keyof typeof METERS] as { meter?: string; function: string };
  return `01:${m.meter ?? meter}:${m.function}:${formatTime(T0 + k * Q, 'Asia/Shanghai')}`;
};

describe('jgj285 session', () => {
  it('logs in with MD5(sequence + key), beats, and records the platform clock offset', async () => {
    const { rx } = await receiver({ clockSkewMs: 120_000 });
    const offsets: number[] = [];
    const u = uplink(rx.port, { heartbeatMs: 150, onClockOffset: (o) => offsets.push(o) });
    await u.connect();
    expect(u.status).toMatchObject({ connected: true, connects: 1, logins: 1, heartbeats: 1 });
    expect(Math.abs(u.status.clockOffsetMs! - 120_000)).toBeLessThan(1000);
    expect(rx.counters).toMatchObject({ loginsPassed: 1, loginsRefused: 0, heartbeats: 1 });
    rx.clockSkewMs = -30_000;
    await expect.poll(() => u.status.heartbeats, { timeout: 3000 }).toBeGreaterThanOrEqual(3);
    expect(Math.abs(u.status.clockOffsetMs! + 30_000)).toBeLessThan(1000);
    expect(offsets.length).toBe(u.status.heartbeats);
    expect(rx.counters.connections).toBe(1); // heartbeats ride the same session
  });

  it('refuses a wrong login key: a link error, nothing sent or acknowledged', async () => {
    const { rx, ledger } = await receiver();
    const u = uplink(rx.port, { loginKey: 'wrong' });
    await expect(u.send('intervals', stored([interval('kitchen-main', 0, 1)]), 'b1', new AbortController().signal)).rejects.toBeInstanceOf(Jgj285LoginRefused);
    expect(u.status).toMatchObject({ connected: false, logins: 0, loginsRefused: 1, reportsAcked: 0 });
    expect(u.status.lastError).toMatch(/login refused/);
    expect(rx.counters).toMatchObject({ loginsPassed: 0, loginsRefused: 1, reports: 0, reportsAcked: 0 });
    expect(ledger.report()).toEqual({});
  });

  it('reconnects and logs in again on its own when the platform drops an idle session', async () => {
    const { rx } = await receiver();
    const u = uplink(rx.port, { heartbeatMs: 100 });
    await u.connect();
    rx.dropConnections();
    await expect.poll(() => u.status.connects, { timeout: 3000 }).toBe(2);
    await expect.poll(() => u.status.connected, { timeout: 3000 }).toBe(true);
    expect(rx.counters.loginsPassed).toBe(2);
  });

  it('the receiver counts bad CRCs and refuses data before login', async () => {
    const { rx } = await receiver();
    const key = parseKey16(AES, 'k');
    const codec = new FrameCodec(key, resolveIv('zero', key));
    const frame = codec.encode(1, buildMessage({ building_id: 'b', gateway_id: 'g', body: { kind: 'data', operation: 'report', sequence: '1', time: '20250101080000', meters: [] } }));
    const bad = Buffer.from(frame);
    bad[20]! ^= 0xff;
    const sock = net.connect(rx.port, '127.0.0.1');
    cleanup.push(() => void sock.destroy());
    await new Promise((r) => sock.once('connect', r));
    const closed = new Promise((r) => sock.once('close', r));
    sock.write(Buffer.concat([Buffer.from('noise'), bad, frame]));
    await closed;
    expect(rx.counters).toMatchObject({ badCrc: 1, unauthenticated: 1, reports: 0 });
  });
});

describe('jgj285 reports', () => {
  it('sends one report per period, one <meter> per platform meter, and refuses what it cannot map', async () => {
    const { rx, ledger } = await receiver();
    const u = uplink(rx.port, { estimatedError: '1' });
    const batch = stored([
      interval('kitchen-main', 1, 2.345),
      interval('kitchen-main', 0, 1.5),
      interval('lighting', 0, 0.25, { estimated: true }),
      interval('water-main', 0, 0.1234),
      interval('fridge', 0, 9), // not in meter_functions
      { ...interval('kitchen-main', 0, 6), period: '1h' },
      { hello: 'world' },
    ]);
    const result = await sendAll(u, batch);
    expect(result.sends).toBe(2); // one report, one send: 08:15 (first in the outbox), then 08:00 with the rest
    expect(result.rejected).toEqual([
      { id: 'box:intervals:5', reason: 'meter "fridge" has no meter_functions entry on uplink energy' },
      { id: 'box:intervals:6', reason: 'period 1h: only 15m intervals are reported over jgj285' },
      { id: 'box:intervals:7', reason: 'not an energy interval (meter, start, amount)' },
    ]);
    expect(rx.counters).toMatchObject({ reports: 2, reportsAcked: 2, records: 4 });
    const got = new Map(ledger.recent.get('intervals')!.map((r) => [r.id, r.payload]));
    expect(got.get(rxId('kitchen-main', 0))).toMatchObject({ building_id: '330100A001', meter: 'kitchen-main', function: '1', coding: '01D20', value: 1.5, time: '20250101080000' });
    expect(got.get(rxId('kitchen-main', 1))).toMatchObject({ value: 2.35, time: '20250101081500' });
    expect(got.get(rxId('lighting', 0))).toMatchObject({ meter: 'L-01', function: '2', coding: '01A00', value: 0.25, error: '1' });
    expect(got.get(rxId('water-main', 0))).toMatchObject({ coding: '02000', value: 0.12, error: undefined });
    // periods in the outbox's order: 08:15 was appended first
    expect(ledger.ids('intervals')[0]).toMatch(/:20250101081500$/);
  });

  it('skips unmapped meters when told to, and maps the config through the factory', async () => {
    const { rx, ledger } = await receiver();
    const cfg = jgj285UplinkSchema.parse({
      id: 'energy',
      type: 'jgj285',
      host: '127.0.0.1',
      port: rx.port,
      building_id: '330100A001',
      gateway_id: '01',
      aes_key: Buffer.from(AES).toString('hex'),
      login_key: LOGIN,
      meter_functions: METERS,
      unmapped_meters: 'skip',
      report_time: 'end',
      value_decimals: 3,
    });
    const u = createJgj285Uplink({ ...cfg, aes_key: cfg.aes_key as string, login_key: cfg.login_key as string }, 'box');
    cleanup.push(() => u.close());
    const result = await u.send('intervals', stored([interval('kitchen-main', 0, 1.2346), interval('fridge', 0, 9)]), 'b1', new AbortController().signal);
    expect(result.rejected).toEqual([]);
    expect(ledger.recent.get('intervals')!.map((r) => r.payload)).toMatchObject([{ meter: 'kitchen-main', value: 1.235, time: '20250101081500' }]);
  });

  it('a report refused by the platform dead-letters its records; the others are delivered', async () => {
    const { rx } = await receiver();
    rx.fault = { mode: 'refuse', reason: 'unknown building' };
    const u = uplink(rx.port);
    const result = await u.send('intervals', stored([interval('kitchen-main', 0, 1), interval('lighting', 0, 1)]), 'b1', new AbortController().signal);
    expect(result.rejected).toEqual([
      { id: 'box:intervals:1', reason: 'platform refused the report of 20250101080000: unknown building' },
      { id: 'box:intervals:2', reason: 'platform refused the report of 20250101080000: unknown building' },
    ]);
  });

  it('takes one report per send: a refusal and a reset are answered period by period, nothing acknowledged is resent', async () => {
    const { rx, ledger } = await receiver();
    rx.fault = { mode: 'refuse', reason: 'bad coding', times: 1, then: { mode: 'reset', times: 1 } };
    const u = uplink(rx.port);
    const batch = stored([interval('kitchen-main', 0, 1), interval('kitchen-main', 1, 2), interval('kitchen-main', 2, 3)]);
    const result = await sendAll(u, batch, 1);
    expect(result.errors).toEqual(['connection closed by the platform']);
    expect(result.rejected).toEqual([{ id: 'box:intervals:1', reason: 'platform refused the report of 20250101080000: bad coding' }]);
    expect(rx.counters).toMatchObject({ reports: 4, faulted: 2, loginsPassed: 2 }); // 08:00 refused, 08:15 reset, then 08:15 and 08:30
    expect(ledger.report().intervals).toMatchObject({ unique: 2, duplicates: 0 });
  });

  it('sends the counter at the period end as the raw function value, the consumption beside it where configured, and refuses an interval without a reading', async () => {
    const { rx, ledger } = await receiver();
    const u = uplink(rx.port, {
      meterFunctions: { 'kitchen-main': { function: '1', coding: '01D20', consumption_function: '9' }, lighting: { meter: 'kitchen-main', function: '1', coding: '01A00' } },
    });
    const result = await sendAll(u, stored([interval('kitchen-main', 0, 1.25, { reading: 4321.5 }), interval('lighting', 0, 2, { reading: 7 }), interval('kitchen-main', 1, 1)]));
    expect(result.rejected).toEqual([
      { id: 'box:intervals:2', reason: 'meter "lighting": platform meter kitchen-main function 1 already carries another meter\'s reading; readings cannot be summed' },
      {
        id: 'box:intervals:3',
        reason: 'meter "kitchen-main": no counter reading known at the end of its period (no reading came after it, or a counter anomaly followed), so no raw value to report; map it with value: consumption to send the consumption',
      },
    ]);
    expect(ledger.recent.get('intervals')!.map((r) => r.payload)).toEqual([
      expect.objectContaining({ meter: 'kitchen-main', function: '1', coding: '01D20', name: '厨房餐厅', value: 4321.5, parser: 'yes', operation: 'continuous' }),
      expect.objectContaining({ meter: 'kitchen-main', function: '9', coding: '01D20', name: '厨房餐厅', value: 1.25 }),
    ]);
  });

  it('waits on past a request of the platform (server3 net_query) and takes the acknowledgement after it; an odd answer is an error quoting it', async () => {
    const { rx } = await receiver();
    const query = '<?xml version="1.0" encoding="utf-8"?><root><common><building_id>330100A001</building_id><gateway_id>01</gateway_id><type>query</type></common><net_query operation="query"><query>query</query></net_query></root>';
    rx.fault = { mode: 'prefix', xml: query, times: 1 };
    const u = uplink(rx.port);
    expect((await sendAll(u, stored([interval('kitchen-main', 0, 1)]))).errors).toEqual([]);
    expect(rx.counters).toMatchObject({ reports: 1, reportsAcked: 1, faulted: 1 });
    rx.fault = { mode: 'odd-answer', xml: '<root><common><type>report_ack</type></common><data operation="report_ack"><result>maybe</result></data></root>' };
    await expect(u.send('intervals', stored([interval('kitchen-main', 1, 1)]), 'b2', new AbortController().signal)).rejects.toThrow(
      /^unknown answer from the platform \(<data operation="report_ack"> without a <result> or <report_ack> of pass or fail\): <root>.*<result>maybe<\/result>/,
    );
  });

  it('refuses other streams as a batch (it never carries them)', async () => {
    const u = uplink(1);
    expect(u.streams).toEqual(['intervals']);
    await expect(u.send('readings', [], 'b', new AbortController().signal)).rejects.toThrow(/carries only intervals/);
  });
});

describe('jgj285 behind the outbox and forwarder', () => {
  async function rig(over: Partial<Jgj285UplinkOptions> = {}) {
    const { rx, ledger } = await receiver();
    const outbox = new Outbox(openDatabase(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-jgj-'))), 'box7');
    const u = uplink(rx.port, { timeoutMs: 500, ...over });
    const states: LinkStatus[] = [];
    const fwd = new Forwarder(outbox, u, { batchSize: 30, minBackoffMs: 20, maxBackoffMs: 200, offlineAfterMs: 10_000, onState: (s) => states.push(s) });
    cleanup.push(() => fwd.stop());
    // period by period, as the accountant announces them: a batch of 30 is ten whole periods
    const put = (from: number, to: number) =>
      Promise.all(
        Array.from({ length: to - from }, (_, j) =>
          Object.keys(METERS).map((m) => {
            const i = interval(m, from + j, (from + j) / 10);
            return outbox.append('intervals', i, { key: `${i.meter}:${i.period}:${i.start}` });
          }),
        ).flat(),
      );
    const drained = () => outbox.backlog('energy', 'intervals') === 0;
    return { rx, ledger, outbox, u, fwd, states, put, drained };
  }

  it('delivers every interval, and after connection resets reconnects, logs in again and resends: duplicates counted, unique set complete', async () => {
    const { rx, ledger, outbox, u, fwd, put, drained } = await rig();
    await put(0, 20);
    fwd.start();
    await expect.poll(drained, { timeout: 10_000 }).toBe(true);
    expect(ledger.report().intervals).toMatchObject({ unique: 60, duplicates: 0 });

    // mid-batch: three reports (13:00-13:30) acknowledged, then the platform takes the
    // 13:45 report but the connection drops before its ack — twice
    rx.fault = { mode: 'reset-after-take', after: 3, times: 2 };
    await put(20, 40);
    await expect.poll(drained, { timeout: 10_000 }).toBe(true);
    const report = ledger.report().intervals!;
    expect(report.unique).toBe(120);
    expect(report.duplicates).toBe(6); // the 13:45 report (three meters) taken three times
    expect(rx.counters.reports).toBe(20 + 22); // the retried batch did not resend 13:00-13:30
    expect(new Set(ledger.ids('intervals'))).toEqual(new Set(Object.keys(METERS).flatMap((m) => Array.from({ length: 40 }, (_, k) => rxId(m, k)))));
    expect(rx.counters).toMatchObject({ faulted: 2, loginsPassed: 3 });
    expect(u.status.logins).toBe(3);
    expect(outbox.deadLetters()).toEqual([]);
    expect(fwd.link.state).toBe('online');
  });

  it('a platform that stops answering times out, backs off, and drains once it answers again', async () => {
    const { rx, ledger, fwd, states, put, drained } = await rig();
    rx.fault = { mode: 'hang' };
    await put(0, 4);
    fwd.start();
    await expect.poll(() => fwd.link.state, { timeout: 5000 }).toBe('backing-off');
    expect(fwd.link.lastError).toMatch(/no report_ack for continuous \d+ \(20250101080000\) within 500 ms/);
    rx.fault = { mode: 'ok' };
    await expect.poll(drained, { timeout: 10_000 }).toBe(true);
    expect(ledger.report().intervals).toMatchObject({ unique: 12, duplicates: 0 });
    expect(states.at(-1)!.state).toBe('online');
  });

  it('a wrong login key keeps the link backing off with nothing acknowledged', async () => {
    const { rx, outbox, fwd, put } = await rig({ loginKey: 'wrong' });
    await put(0, 2);
    fwd.start();
    await expect.poll(() => rx.counters.loginsRefused, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(fwd.link.state).toBe('backing-off');
    expect(fwd.link.lastError).toMatch(/login refused/);
    expect(outbox.backlog('energy', 'intervals')).toBe(6);
    expect(outbox.deadLetters()).toEqual([]);
    expect(rx.counters.reports).toBe(0);
  });
});
