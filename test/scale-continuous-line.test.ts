// Continuous output against test/peers/scale_continuous.py (an indicator that
// streams a line every 20 ms) on a socat pty and over TCP: the built-in
// `ST,GS,+0000.345kg` format, a configured pattern, a format without status
// (the stability filter decides, also on top of the scale's flag), garbage,
// truncated and over-long lines, commands on the line, silence, the cable pulled
// and plugged in again, and `canteen-edge scale read`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScale } from '../drivers/scale/create.ts';
import { ScaleNotSupported, type ScaleDriver } from '../drivers/scale/driver.ts';
import { ptyLine, startScalePeer, waitForReading, waitForState, type PtyLine, type ScalePeer } from './helpers/scale/peers.ts';
import { cli } from './helpers/cli.ts';

const FAST = { timeout_ms: 500 };
const LINK = { link: { minBackoffMs: 50, maxBackoffMs: 200, presenceCheckMs: 100 } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('continuous ST,GS lines on a serial line', () => {
  let line: PtyLine;
  let peer: ScalePeer;
  let scale: ScaleDriver;

  beforeAll(async () => {
    line = await ptyLine();
    peer = await startScalePeer('scale_continuous.py', { device: line.a, interval_ms: 20 });
    scale = createScale(
      { id: 'checkout-3', protocol: 'continuous', transport: { type: 'serial', path: line.b }, division_g: 1, commands: { zero: 'Z\r\n', tare: 'T\r\n', clear_tare: 'C\r\n' }, ...FAST },
      LINK,
    );
    const connected = waitForState(scale, 'connected');
    scale.start();
    await connected;
  });

  afterAll(async () => {
    await scale?.stop();
    await peer?.stop();
    await line?.stop();
  });

  it('unstable while the plate moves, then stable as the indicator flags it', async () => {
    await peer.set({ load: 352, motion: true });
    expect(await waitForReading(scale, (r) => r.grams === 352)).toMatchObject({ stable: false, stableBy: 'scale', raw: 'US,GS,+0000.352kg' });
    await peer.set({ motion: false });
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 352, stableBy: 'scale', net: false, raw: 'ST,GS,+0000.352kg' });
  });

  it('overload and underload dashes', async () => {
    await peer.set({ load: 16_000 });
    expect(await waitForReading(scale, (r) => r.overload)).toMatchObject({ noWeight: true, stable: false, raw: 'OL,GS,  ------kg' });
    await peer.set({ load: -100 });
    expect(await waitForReading(scale, (r) => r.underload)).toMatchObject({ noWeight: true, stable: false });
    await peer.set({ load: 0 });
  });

  it('garbage, truncated and over-long lines are counted and skipped', async () => {
    await waitForReading(scale, (r) => r.grams === 0);
    const before = scale.counters.garbled;
    const why: string[] = [];
    scale.on('garbled', (_f, w) => why.push(w));
    await peer.send({ corrupt: 'garbage', times: 1 });
    await peer.send({ write: `${'x'.repeat(300)}\r\n` });
    await expect.poll(() => scale.counters.garbled - before).toBe(2);
    await peer.send({ corrupt: 'truncate', times: 3 });
    await expect.poll(() => scale.counters.garbled - before).toBe(5);
    expect(why).toContain('not a weight line');
    expect(why.some((w) => w.startsWith('over-long frame'))).toBe(true);
    await waitForReading(scale, (r) => r.grams === 0 && r.stable);
    expect(scale.state).toBe('connected');
  });

  it('zero, tare and clear tare commands go down the line and the stream shows their effect', async () => {
    await peer.set({ load: 2 });
    await waitForReading(scale, (r) => r.grams === 2);
    await scale.zero();
    await waitForReading(scale, (r) => r.grams === 0 && r.stable);
    await peer.set({ load: 122 });
    await waitForReading(scale, (r) => r.grams === 120 && r.stable);
    await scale.tare();
    expect(await waitForReading(scale, (r) => r.net)).toMatchObject({ grams: 0, raw: 'ST,NT,+0000.000kg' });
    await scale.clearTare();
    await waitForReading(scale, (r) => !r.net && r.grams === 120);
    await expect(scale.presetTare(100)).rejects.toThrow(ScaleNotSupported);
    await expect(scale.presetTare(100)).rejects.toThrow('preset tare is not supported by continuous');
    expect((await peer.stats()).received).toEqual({ Z: 1, T: 1, C: 1 });
  });

  it('silence (indicator off, adapter still there) is a loss; lines again are "back"', async () => {
    const lost = waitForState(scale, 'lost');
    await peer.send({ mute: true });
    expect((await lost).reason).toBe('no answer for 500 ms');
    const back = waitForState(scale, 'back');
    await peer.send({ mute: false });
    await back;
  });

  it('reports the cable pulled and reads again when it is plugged in', async () => {
    const lost = waitForState(scale, 'lost');
    await line.unplug();
    // serialport may not notice a hung-up pty (it re-reads the zero-byte EOF): the link sees the node vanish
    expect((await lost).reason).toMatch(/closed|vanished \(unplugged\)/);
    await peer.stop();
    await sleep(200);
    const back = waitForState(scale, 'back');
    await line.plug();
    peer = await startScalePeer('scale_continuous.py', { device: line.a, interval_ms: 20 });
    await peer.set({ load: 275 });
    await back;
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 275 });
  });
});

describe('other line formats', () => {
  it('a configured pattern with status and mode', async () => {
    const peer = await startScalePeer('scale_continuous.py', { tcp: 0, format: 'alt', interval_ms: 20 });
    const scale = createScale(
      {
        id: 'alt',
        protocol: 'continuous',
        transport: { type: 'tcp', host: '127.0.0.1', port: peer.port },
        pattern: { regex: '^WT:(?<status>[SMO]):(?<mode>[GN]):(?<sign>[+-])(?<value>\\d+\\.\\d)(?<unit>g)$', stable: ['S'], overload: ['O'], net: ['N'] },
        ...FAST,
      },
      LINK,
    );
    try {
      await peer.set({ load: 418.5, motion: true });
      scale.start();
      expect(await waitForReading(scale, (r) => r.grams === 418.5)).toMatchObject({ stable: false, raw: 'WT:M:G:+000418.5g' });
      await peer.set({ motion: false });
      expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 418.5, stableBy: 'scale' });
      await peer.set({ load: 99_999 });
      expect(await waitForReading(scale, (r) => r.overload)).toMatchObject({ stable: false });
    } finally {
      await scale.stop();
      await peer.stop();
    }
  });

  it('lines without status: the stability filter decides', async () => {
    const peer = await startScalePeer('scale_continuous.py', { tcp: 0, format: 'bare', interval_ms: 20 });
    const scale = createScale(
      {
        id: 'bare',
        protocol: 'continuous',
        transport: { type: 'tcp', host: '127.0.0.1', port: peer.port },
        pattern: { regex: '^(?<value>[+-]\\d+\\.\\d+)$', unit: 'kg' },
        division_g: 2,
        stability: { samples: 5, tolerance_g: 2, window_ms: 300 },
        ...FAST,
      },
      LINK,
    );
    const seen: { grams: number; stable: boolean; at: number }[] = [];
    scale.on('reading', (r) => seen.push({ grams: r.grams, stable: r.stable, at: r.at }));
    try {
      expect(scale.hasStableFlag).toBe(false);
      scale.start();
      await waitForReading(scale, (r) => r.stable && r.grams === 0);
      for (const load of [80, 210, 330, 361, 340]) {
        await peer.set({ load });
        await sleep(60);
      }
      await peer.set({ load: 353 });
      const settledAt = Date.now();
      const stable = await waitForReading(scale, (r) => r.stable);
      expect(stable).toMatchObject({ grams: 354, stableBy: 'filter' }); // 353 g to e = 2 g
      expect(stable.at - settledAt).toBeGreaterThanOrEqual(250);
      // nothing while the load was changing was stable
      expect(seen.filter((r) => r.stable && r.grams > 0 && r.at < settledAt)).toEqual([]);
    } finally {
      await scale.stop();
      await peer.stop();
    }
  });

  it('the filter on top of the indicator\'s own flag', async () => {
    const peer = await startScalePeer('scale_continuous.py', { tcp: 0, interval_ms: 20 });
    const scale = createScale(
      { id: 'top', protocol: 'continuous', transport: { type: 'tcp', host: '127.0.0.1', port: peer.port }, stability: { samples: 10, tolerance_g: 1, window_ms: 0, on_top: true }, ...FAST },
      LINK,
    );
    const seen: { raw: string; stable: boolean; by: string }[] = [];
    scale.on('reading', (r) => seen.push({ raw: r.raw, stable: r.stable, by: r.stableBy }));
    try {
      await peer.set({ load: 500, motion: true });
      scale.start();
      await waitForReading(scale, (r) => r.grams === 500);
      await peer.set({ motion: false });
      await waitForReading(scale, (r) => r.stable);
      const st = seen.filter((s) => s.raw.startsWith('ST'));
      expect(st.slice(0, 9).every((s) => !s.stable && s.by === 'filter')).toBe(true); // the scale said stable, the filter not yet
      expect(st[9]).toMatchObject({ stable: true, by: 'filter' });
      expect(seen.filter((s) => s.raw.startsWith('US')).every((s) => !s.stable && s.by === 'scale')).toBe(true);
    } finally {
      await scale.stop();
      await peer.stop();
    }
  });

  it('without command strings, zero and tare are not supported', async () => {
    const scale = createScale({ id: 'nocmd', protocol: 'continuous', transport: { type: 'tcp', host: '127.0.0.1', port: 9 } });
    expect(scale.capabilities).toEqual({ zero: false, tare: false, presetTare: false, clearTare: false });
    await expect(scale.zero()).rejects.toThrow('zero is not supported by continuous (no `commands.zero` configured for this indicator)');
    await expect(scale.tare()).rejects.toThrow('tare is not supported by continuous');
  });
});

describe('canteen-edge scale read --protocol continuous', () => {
  let line: PtyLine;
  let peer: ScalePeer;

  beforeAll(async () => {
    line = await ptyLine();
    peer = await startScalePeer('scale_continuous.py', { device: line.a, interval_ms: 50 });
  });

  afterAll(async () => {
    await peer?.stop();
    await line?.stop();
  });

  it('prints the first reading, and with --stable the first stable one', async () => {
    await peer.set({ load: 352, motion: true });
    let r = cli(['scale', 'read', '--protocol', 'continuous', '--port', line.b]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ grams: 352, stable: false, net: false });
    await peer.send({ set: { motion: false }, after: 3000 });
    r = cli(['scale', 'read', '--protocol', 'continuous', '--port', line.b, '--stable', '--timeout', '8000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ grams: 352, stable: true, net: false });
  });

  it('--stable exits 1 at the timeout; a silent line exits 1', async () => {
    await peer.set({ motion: true });
    let r = cli(['scale', 'read', '--protocol', 'continuous', '--port', line.b, '--stable', '--timeout', '1000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no stable reading within 1000 ms (last: 352 g unstable)');
    await peer.send({ mute: true });
    r = cli(['scale', 'read', '--protocol', 'continuous', '--port', line.b, '--timeout', '800']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no answer for 800 ms|did not answer within 800 ms/);
    await peer.send({ mute: false });
  });

  it('--pattern for another indicator; usage errors', async () => {
    const p2 = await startScalePeer('scale_continuous.py', { tcp: 0, format: 'alt', interval_ms: 50 });
    try {
      await p2.set({ load: 99.5 });
      const r = cli(['scale', 'read', '--protocol', 'continuous', '--tcp', `127.0.0.1:${p2.port}`, '--stable', '--pattern', JSON.stringify({ regex: '^WT:(?<status>\\w):(?<mode>\\w):(?<sign>[+-])(?<value>[\\d.]+)(?<unit>g)$', stable: ['S'] })]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json()).toEqual({ grams: 99.5, stable: true, net: false });
    } finally {
      await p2.stop();
    }
    let r = cli(['scale', 'read', '--protocol', 'continuous', '--port', line.b, '--pattern', '^(\\d+)$']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--pattern: regex: needs a named group `value`');
    r = cli(['scale', 'read', '--protocol', 'mt-sics', '--port', line.b, '--pattern', '^(?<value>\\d+)$']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--pattern is for --protocol continuous');
  });
});
