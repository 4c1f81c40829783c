// Toledo 8217 against test/peers/scale_toledo.py (a checkout scale in 8217 mode,
// written from the protocol description) on a 7E1 socat pty and over TCP:
// status frames while the plate moves, then weights; over capacity and under
// zero; garbage and truncated frames; Z, T, Twwwww, C reaching the scale; the
// cable pulled and plugged in again; `canteen-edge scale read`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScale } from '../drivers/scale/create.ts';
import type { ScaleDriver } from '../drivers/scale/driver.ts';
import { ptyLine, startScalePeer, waitForReading, waitForState, type PtyLine, type ScalePeer } from './helpers/scale/peers.ts';
import { cli } from './helpers/cli.ts';

const FAST = { poll_ms: 30, reply_timeout_ms: 300, timeout_ms: 1000 };
const LINK = { link: { minBackoffMs: 50, maxBackoffMs: 200, presenceCheckMs: 100 } };

describe('Toledo 8217 on a serial line (9600 7E1)', () => {
  let line: PtyLine;
  let peer: ScalePeer;
  let scale: ScaleDriver;

  beforeAll(async () => {
    line = await ptyLine();
    peer = await startScalePeer('scale_toledo.py', { device: line.a });
    scale = createScale({ id: 'checkout-2', protocol: 'toledo', transport: { type: 'serial', path: line.b }, division_g: 1, ...FAST }, LINK);
    const connected = waitForState(scale, 'connected');
    scale.start();
    await connected;
  });

  afterAll(async () => {
    await scale?.stop();
    await peer?.stop();
    await line?.stop();
  });

  it('opens the line 7E1 by default', () => {
    expect(scale.description).toMatch(/ 9600 7E1$/);
  });

  it('status frames while the plate moves, then the stable weight', async () => {
    await peer.set({ load: 345, motion: true });
    const moving = await waitForReading(scale, (r) => r.raw === '\x02?A');
    expect(moving).toMatchObject({ grams: 0, noWeight: true, stable: false, stableBy: 'scale', overload: false });
    await peer.set({ motion: false });
    expect(await waitForReading(scale, (r) => !r.noWeight)).toEqual(expect.objectContaining({ grams: 345, stable: true, net: false, raw: '\x02 0.345' }));
  });

  it('over capacity and under zero', async () => {
    await peer.set({ load: 20_000 });
    expect(await waitForReading(scale, (r) => r.overload)).toMatchObject({ noWeight: true, stable: false, raw: '\x02?B' });
    await peer.set({ load: -50 });
    expect(await waitForReading(scale, (r) => r.underload)).toMatchObject({ noWeight: true, stable: false, raw: '\x02?D' });
    await peer.set({ load: 0 });
    await waitForReading(scale, (r) => r.grams === 0 && r.stable);
  });

  it('garbage and truncated frames are counted and skipped', async () => {
    const before = scale.counters.garbled;
    await peer.send({ corrupt: 'garbage', times: 1 });
    await expect.poll(() => scale.counters.garbled - before).toBe(1);
    await peer.send({ corrupt: 'truncate', times: 1 });
    await expect.poll(() => scale.counters.garbled - before).toBe(2);
    await peer.send({ write: '\x02?\r' }); // a status frame without its byte
    await peer.set({ load: 75 });
    await waitForReading(scale, (r) => r.grams === 75);
    expect(scale.counters.garbled - before).toBeGreaterThanOrEqual(2);
    expect(scale.state).toBe('connected');
  });

  it('zero, tare, preset tare and clear tare reach the scale and change what it reports', async () => {
    await peer.set({ load: 3 });
    await waitForReading(scale, (r) => r.grams === 3);
    await scale.zero();
    await waitForReading(scale, (r) => r.grams === 0 && r.stable);

    await peer.set({ load: 123 });
    await waitForReading(scale, (r) => r.grams === 120);
    expect(await scale.tare()).toBeUndefined(); // the protocol does not say how much
    expect(await waitForReading(scale, (r) => r.raw === '\x02 0.000N')).toMatchObject({ grams: 0, net: true, stable: true });
    await peer.set({ load: 123 + 352 });
    expect(await waitForReading(scale, (r) => r.grams === 352)).toMatchObject({ net: true, raw: '\x02 0.352N' });
    await expect(scale.zero()).rejects.toThrow('zero not taken: status 0x60 (net)'); // gross mode only

    await scale.clearTare();
    expect(await waitForReading(scale, (r) => !r.net)).toMatchObject({ grams: 472 });
    await scale.presetTare(150);
    expect(await waitForReading(scale, (r) => r.net)).toMatchObject({ grams: 322, tare: 150 });
    await scale.clearTare();

    const { received, state } = await peer.stats();
    expect(received).toMatchObject({ Z: 2, T: 1, T00150: 1, C: 2 }); // the refused zero reached it too
    expect(state).toMatchObject({ zero: 3, tare: 0 });
  });

  it('the scale refuses zero in motion', async () => {
    await peer.set({ load: 200, motion: true });
    await expect(scale.zero()).rejects.toThrow('zero not taken: status 0x41 (in motion)');
    await expect(scale.tare()).rejects.toThrow('tare not taken: status 0x41 (in motion)');
    await peer.set({ motion: false });
  });

  it('reports the cable pulled and picks the scale up again when it returns', async () => {
    await peer.set({ load: 250 });
    await waitForReading(scale, (r) => r.grams === 247);
    const lost = waitForState(scale, 'lost');
    await line.unplug();
    expect((await lost).reason).toMatch(/closed|vanished \(unplugged\)/);
    await peer.stop();
    const back = waitForState(scale, 'back');
    await line.plug();
    peer = await startScalePeer('scale_toledo.py', { device: line.a });
    await peer.set({ load: 400 });
    await back;
    expect(await waitForReading(scale, (r) => !r.noWeight)).toMatchObject({ grams: 400, stable: true });
  });
});

describe('Toledo 8217 over TCP', () => {
  it('reads through a converter, loses it when it closes, reconnects', async () => {
    const peer = await startScalePeer('scale_toledo.py', { tcp: 0 });
    const scale = createScale({ id: 'tcp', protocol: 'toledo', transport: { type: 'tcp', host: '127.0.0.1', port: peer.port }, ...FAST }, LINK);
    try {
      await peer.set({ load: 1234 });
      scale.start();
      expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 1234 });
      const lost = waitForState(scale, 'lost');
      await peer.send({ unplug: 500 });
      await lost;
      const back = waitForState(scale, 'back');
      await back;
      expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 1234 });
      expect(scale.counters.losses).toBe(1);
    } finally {
      await scale.stop();
      await peer.stop();
    }
  });
});

describe('canteen-edge scale read --protocol toledo', () => {
  let line: PtyLine;
  let peer: ScalePeer;

  beforeAll(async () => {
    line = await ptyLine();
    peer = await startScalePeer('scale_toledo.py', { device: line.a });
  });

  afterAll(async () => {
    await peer?.stop();
    await line?.stop();
  });

  it('prints the weight; net when a tare is active', async () => {
    await peer.set({ load: 345, motion: false });
    let r = cli(['scale', 'read', '--protocol', 'toledo', '--port', line.b, '--baud', '9600', '--parity', 'even', '--data-bits', '7']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ grams: 345, stable: true, net: false });
    await peer.set({ tare: 100 });
    r = cli(['scale', 'read', '--protocol', 'toledo', '--port', line.b]);
    expect(r.json()).toEqual({ grams: 245, stable: true, net: true });
    await peer.set({ tare: 0 });
  });

  it('--stable waits through the status frames of a moving plate', async () => {
    await peer.set({ load: 418, motion: true });
    await peer.send({ set: { motion: false }, after: 3000 });
    const r = cli(['scale', 'read', '--protocol', 'toledo', '--port', line.b, '--stable', '--timeout', '8000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ grams: 418, stable: true, net: false });
    expect(r.stderr).toContain('no weight (status only)');
  });

  it('exits 1 at the timeout while the plate keeps moving; prints overload as such', async () => {
    await peer.set({ motion: true });
    let r = cli(['scale', 'read', '--protocol', 'toledo', '--port', line.b, '--stable', '--timeout', '1200']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no stable reading within 1200 ms (last: no weight (status only))');
    await peer.set({ motion: false, load: 20_000 });
    r = cli(['scale', 'read', '--protocol', 'toledo', '--port', line.b]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ grams: null, stable: false, net: false, overload: true });
  });
});
