// DL/T 645-2007 end to end: the simulated meter (test/peers/dlt645_meter.py, Debian's
// python3, written from the standard and not from our code) on one end of a real
// socat pty pair or behind a TCP port; the real `canteen-edge dlt645 read` command
// and the Dlt645Client on a SharedBus on the other.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Dlt645Client, Dlt645Error } from '../drivers/dlt645/client.ts';
import { SerialByteStream, TcpByteStream } from '../drivers/serial/byte-stream.ts';
import { SharedBus } from '../drivers/serial/shared-bus.ts';
import { cli } from './helpers/cli.ts';
import { freePort } from './helpers/ports.ts';
import { meterOnPty, startMeter, type RunningMeter } from './peers/dlt645_sim.ts';

const ADDRESS = '202107072529';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** A fresh meter on a fresh pty pair, with a client on the gateway end. */
async function ptyMeter(args: string[] = [], client: { timeoutMs?: number; retries?: number } = {}) {
  const sim = await meterOnPty(args);
  cleanups.push(sim.stop);
  const bus = new SharedBus(new SerialByteStream({ path: sim.pty.gw, baudRate: 2400, parity: 'even' }), { interRequestDelayMs: 5 });
  cleanups.push(() => bus.close());
  return { ...sim, bus, client: new Dlt645Client(bus, { timeoutMs: 500, ...client }) };
}

const requests = (m: RunningMeter) => m.events.filter((e) => e.event === 'request');

describe('dlt645 over a socat pty pair: the CLI', () => {
  let sim: Awaited<ReturnType<typeof meterOnPty>>;
  beforeAll(async () => {
    sim = await meterOnPty();
  });
  afterAll(() => sim?.stop());

  // cli() blocks this process until the command exits: the meter's event lines are read afterwards, with waitFor
  it('reads the worked example 317.76 kWh, a negative current and a negative power: exact JSON, exit 0', async () => {
    const r = cli(['dlt645', 'read', '--port', sim.pty.gw, '--address', ADDRESS, '--di', '00000000', '--di', '02020200', '--di', '02030000', '--di', '02010100']);
    expect(r.stderr).toContain('dlt645:'); // progress on stderr …
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({
      // … and one JSON document on stdout
      address: ADDRESS,
      values: {
        '00000000': { value: 317.76, unit: 'kWh' },
        '02020200': { value: -1.25, unit: 'A' },
        '02030000': { value: -0.2345, unit: 'kW' },
        '02010100': { value: 220.1, unit: 'V' },
      },
      errors: {},
    });
    // the meter got exactly the example request after the FE preamble, and sent the example reply
    const request = await sim.meter.waitFor((e) => e.event === 'request');
    expect(request.raw).toBe('fefefefe6829250707212068110433333333' + '4e16');
    expect((await sim.meter.waitFor((e) => e.event === 'reply')).hex).toBe('fefefefe6829250707212068910833333333a94a36332e16');
    await sim.meter.waitFor((e) => e.event === 'request' && e.n === 4);
    expect(requests(sim.meter).every((e) => e.preamble === true)).toBe(true);
  });

  it('reports an abnormal reply (no such data) and an unknown DI format in errors, exit 1, the other DIs still read', () => {
    const r = cli(['dlt645', 'read', '--port', sim.pty.gw, '--address', ADDRESS, '--di', '0400010c', '--di', '04000402', '--di', '02800002']);
    expect(r.code).toBe(1);
    expect(r.json()).toEqual({
      address: ADDRESS,
      values: { '02800002': { value: 50.01, unit: 'Hz' } },
      errors: {
        '0400010C': 'abnormal reply: no such data (DI not supported) (ERR 0x02)',
        '04000402': 'unknown DI format; raw 000000123456',
      },
    });
  });

  it('--address auto discovers the meter with read-address (0x13 to AAAAAAAAAAAA)', async () => {
    const r = cli(['dlt645', 'read', '--port', sim.pty.gw, '--address', 'auto', '--di', '02020100', '--di', '02060000']);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({ address: ADDRESS, values: { '02020100': { value: 5.123, unit: 'A' }, '02060000': { value: 0.982, unit: '' } }, errors: {} });
    expect(r.stderr).toContain(`answers as ${ADDRESS}`);
    await sim.meter.waitFor((e) => e.event === 'request' && e.control === '13' && e.address === 'AAAAAAAAAAAA');
  });

  it('exits 2 on usage errors naming the flag, without touching the line', async () => {
    await new Promise((r) => setTimeout(r, 100));
    const before = requests(sim.meter).length;
    const bad = cli(['dlt645', 'read', '--port', sim.pty.gw, '--address', '12345', '--di', '00000000']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--address "12345": expected 12 digits or auto/);
    const badDi = cli(['dlt645', 'read', '--port', sim.pty.gw, '--address', ADDRESS, '--di', '0000000']);
    expect(badDi.code).toBe(2);
    expect(badDi.stderr).toMatch(/--di "0000000": expected 8 hex digits/);
    const both = cli(['dlt645', 'read', '--port', sim.pty.gw, '--tcp', '127.0.0.1:1', '--address', ADDRESS, '--di', '00000000']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exactly one of --port PATH or --tcp HOST:PORT/);
    expect(cli(['dlt645', 'read', '--port', sim.pty.gw, '--address', ADDRESS, '--di', '00000000', '--parity', 'mark']).stderr).toMatch(/--parity "mark"/);
    await new Promise((r) => setTimeout(r, 300)); // any request would have been logged by now
    expect(requests(sim.meter).length).toBe(before);
  });
});

describe('dlt645 over a socat pty pair: the client', () => {
  it('follows a two-frame reply (0xB1, then 0x12 with SEQ 1 → 0x92) and reads points in the MeterRead shape', async () => {
    const { client, meter, bus } = await ptyMeter();
    const r = await client.readPoints(ADDRESS, [
      { name: 'forward_tariffs', unit: 'kWh', di: '0001FF00' },
      { name: 'current_b', unit: 'A', di: '02020200' },
      { name: 'power_total', unit: 'W', di: '02030000' },
      { name: 'power_b', unit: 'kW', di: '02030200' },
      { name: 'energy', unit: 'kWh', di: '00000000' },
    ]);
    expect(r).toEqual({
      values: {
        forward_tariffs: { value: 300, unit: 'kWh', elements: [300, 100, 120, 50, 30] },
        current_b: { value: -1.25, unit: 'A' },
        power_total: { value: -234.5, unit: 'W' },
        power_b: { value: -0.275, unit: 'kW' },
        energy: { value: 317.76, unit: 'kWh' },
      },
      errors: {},
      requests: 6,
    });
    const seen = requests(meter).map((e) => `${e.control}:${e.data}`);
    expect(seen.slice(0, 2)).toEqual(['11:00ff0100', '12:00ff010001']);
    expect(meter.events.filter((e) => e.event === 'reply').map((e) => e.control).slice(0, 2)).toEqual(['B1', '92']);
    expect(bus.counters).toMatchObject({ requests: 6, replies: 6, timeouts: 0, skipped: { preamble: 24 } });
  });

  it('discovers the address and broadcasts the time in Beijing time', async () => {
    const { client, meter } = await ptyMeter();
    expect(await client.readAddress()).toBe(ADDRESS);
    await client.broadcastTime(new Date('2024-03-05T04:06:07Z'));
    const e = await meter.waitFor((x) => x.event === 'broadcast-time');
    expect(e.time).toBe('2024-03-05T12:06:07');
  });

  it('skips line noise before a reply (a stray 68 in it too) and resynchronises', async () => {
    const { client, bus, meter } = await ptyMeter(['--garbage', '2']);
    expect(await client.read(ADDRESS, '00000000')).toEqual({ value: 317.76, unit: 'kWh' });
    expect(await client.read(ADDRESS, '02020200')).toEqual({ value: -1.25, unit: 'A' });
    expect(await client.read(ADDRESS, '02010200')).toEqual({ value: 219.8, unit: 'V' }); // clean again
    expect(meter.events.filter((e) => e.kind === 'garbage')).toHaveLength(2);
    expect(bus.counters.skipped.garbage).toBe(2 * 14);
    expect(bus.counters).toMatchObject({ requests: 3, replies: 3, timeouts: 0 });
  });

  it('skips an echo of its own request', async () => {
    const { client, bus } = await ptyMeter(['--echo', '1']);
    expect(await client.read(ADDRESS, '02020300')).toEqual({ value: 0.8, unit: 'A' });
    expect(bus.counters.skipped.echo).toBe(16);
    expect(await client.read(ADDRESS, '02020100')).toEqual({ value: 5.123, unit: 'A' });
    expect(bus.counters.skipped.echo).toBe(16);
  });

  it('skips a reply with a bad checksum, times out, and the retry gets the value', async () => {
    const { client, bus, meter } = await ptyMeter(['--bad-checksum', '1'], { timeoutMs: 400, retries: 1 });
    expect(await client.read(ADDRESS, '00000000')).toEqual({ value: 317.76, unit: 'kWh' });
    expect(bus.counters.skipped.checksum).toBe(20);
    expect(bus.counters).toMatchObject({ requests: 2, replies: 1, timeouts: 1 });
    expect(requests(meter)).toHaveLength(2);
  });

  it('times out while the meter is silent, then reads again when it comes back', async () => {
    const { client, bus } = await ptyMeter(['--silent-after', '1', '--silent', '2'], { timeoutMs: 300, retries: 0 });
    expect((await client.read(ADDRESS, '02800002')).value).toBe(50.01);
    for (let i = 0; i < 2; i++) {
      const err = await client.read(ADDRESS, '02800002').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Dlt645Error);
      expect((err as Dlt645Error).kind).toBe('timeout');
      expect((err as Error).message).toBe('meter 202107072529 did not answer 02800002: no reply within 300 ms');
    }
    expect((await client.read(ADDRESS, '02800002')).value).toBe(50.01);
    expect(bus.counters).toMatchObject({ requests: 4, replies: 2, timeouts: 2 });
  });

  it('ignores a request for another address (the meter stays silent) and reports the timeout', async () => {
    const { client, meter } = await ptyMeter([], { timeoutMs: 200, retries: 0 });
    await expect(client.read('202107072530', '00000000')).rejects.toThrow(/did not answer/);
    await meter.waitFor((e) => e.event === 'ignored' && e.why === 'not my address');
    expect((await client.read(ADDRESS, '00000000')).value).toBe(317.76);
  });

  it('the CLI exits 1 with every DI in errors when the meter does not answer', async () => {
    const { pty } = await ptyMeter(['--silent', '100']);
    const r = cli(['dlt645', 'read', '--port', pty.gw, '--address', ADDRESS, '--di', '00000000', '--di', '02010100', '--timeout', '200', '--retries', '0']);
    expect(r.code).toBe(1);
    expect(r.json()).toEqual({
      address: ADDRESS,
      values: {},
      errors: {
        '00000000': 'meter 202107072529 did not answer 00000000: no reply within 200 ms',
        '02010100': 'not tried: meter 202107072529 did not answer 00000000: no reply within 200 ms',
      },
    });
    const auto = cli(['dlt645', 'read', '--port', pty.gw, '--address', 'auto', '--di', '00000000', '--timeout', '200', '--retries', '0']);
    expect(auto.code).toBe(1);
    expect(auto.json()).toEqual({ address: null, values: {}, errors: { '00000000': expect.stringMatching(/^address discovery failed: .*no reply within 200 ms/) } });
  });
});

describe('dlt645 over TCP (a transparent RS-485-to-Ethernet converter)', () => {
  let meter: RunningMeter;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    meter = await startMeter(['--tcp-port', String(port), '--garbage', '1', '--echo', '1', '--silent-after', '3', '--silent', '1']);
  });
  afterAll(() => meter?.stop());

  it('the client resynchronises after noise and an echo, times out once, and reads again', async () => {
    const bus = new SharedBus(new TcpByteStream('127.0.0.1', port), { interRequestDelayMs: 5 });
    cleanups.push(() => bus.close());
    const client = new Dlt645Client(bus, { timeoutMs: 300, retries: 0 });
    expect(await client.read(ADDRESS, '00000000')).toEqual({ value: 317.76, unit: 'kWh' }); // echo + garbage
    expect(bus.counters.skipped).toMatchObject({ echo: 16, garbage: 14 });
    expect((await client.read(ADDRESS, '02020200')).value).toBe(-1.25);
    expect(await client.readAddress()).toBe(ADDRESS);
    await expect(client.read(ADDRESS, '02030000')).rejects.toThrow(/no reply within 300 ms/); // 4th request: silent
    expect((await client.read(ADDRESS, '02030000')).value).toBe(-0.2345);
    expect(bus.counters).toMatchObject({ requests: 5, replies: 4, timeouts: 1 });
  });

  it('the CLI reads with --tcp HOST:PORT, including the two-frame block and the abnormal reply', () => {
    const r = cli(['dlt645', 'read', '--tcp', `127.0.0.1:${port}`, '--address', ADDRESS, '--di', '00000000', '--di', '0001FF00', '--di', '02020200', '--di', '0400010C']);
    expect(r.code).toBe(1);
    expect(r.json()).toEqual({
      address: ADDRESS,
      values: {
        '00000000': { value: 317.76, unit: 'kWh' },
        '0001FF00': { value: 300, unit: 'kWh', elements: [300, 100, 120, 50, 30] },
        '02020200': { value: -1.25, unit: 'A' },
      },
      errors: { '0400010C': 'abnormal reply: no such data (DI not supported) (ERR 0x02)' },
    });
    const ok = cli(['dlt645', 'read', '--tcp', `127.0.0.1:${port}`, '--address', 'auto', '--di', '02800002']);
    expect(ok.code).toBe(0);
    expect(ok.json()).toEqual({ address: ADDRESS, values: { '02800002': { value: 50.01, unit: 'Hz' } }, errors: {} });
  });

  it('the CLI exits 1 when nothing listens on the TCP port', async () => {
    const r = cli(['dlt645', 'read', '--tcp', `127.0.0.1:${await freePort()}`, '--address', ADDRESS, '--di', '00000000']);
    expect(r.code).toBe(1);
    expect(r.json().errors['00000000']).toMatch(/cannot connect to 127\.0\.0\.1:\d+/);
  });
});
