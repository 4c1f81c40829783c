// MT-SICS against test/peers/scale_mtsics.py (a balance written from the MT-SICS
// document) on a socat pty and over TCP: readings as the balance flags them,
// over/underload, garbage and truncated replies, Z/T/TA/TAC reaching the balance,
// the cable pulled and plugged in again, and `canteen-edge scale read`.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createScale } from '../drivers/scale/create.ts';
import { ScaleCommandError, type ScaleDriver } from '../drivers/scale/driver.ts';
import { ptyLine, startScalePeer, waitForReading, waitForState, type PtyLine, type ScalePeer } from './helpers/scale/peers.ts';
import { cli } from './helpers/cli.ts';

const FAST = { poll_ms: 30, reply_timeout_ms: 300, timeout_ms: 1000 };
const LINK = { link: { minBackoffMs: 50, maxBackoffMs: 200, presenceCheckMs: 100 } };

describe('MT-SICS on a serial line', () => {
  let line: PtyLine;
  let peer: ScalePeer;
  let scale: ScaleDriver;

  beforeAll(async () => {
    line = await ptyLine();
    peer = await startScalePeer('scale_mtsics.py', { device: line.a });
    scale = createScale({ id: 'checkout-1', protocol: 'mt-sics', transport: { type: 'serial', path: line.b, baud: 9600 }, division_g: 5, ...FAST }, LINK);
    const connected = waitForState(scale, 'connected');
    scale.start();
    await connected;
  });

  afterAll(async () => {
    await scale?.stop();
    await peer?.stop();
    await line?.stop();
  });

  it('a plate in motion, then stable (the balance decides), rounded to e', async () => {
    await peer.set({ load: 347, motion: true });
    const moving = await waitForReading(scale, (r) => r.grams === 345 && !r.stable);
    expect(moving).toMatchObject({ deviceId: 'checkout-1', net: false, stableBy: 'scale', raw: 'S D      0.347 kg' });
    await peer.set({ motion: false });
    const still = await waitForReading(scale, (r) => r.stable);
    expect(still).toMatchObject({ grams: 345, stable: true, stableBy: 'scale', net: false, overload: false, underload: false, raw: 'S S      0.347 kg' });
    expect(scale.state).toBe('connected');
    expect((await peer.stats()).received.SI).toBeGreaterThan(2);
  });

  it('overload and underload come without weight and are never stable', async () => {
    await peer.set({ load: 20_000 });
    expect(await waitForReading(scale, (r) => r.overload)).toMatchObject({ stable: false, noWeight: true, grams: 0, raw: 'S +' });
    await peer.set({ load: -500 });
    expect(await waitForReading(scale, (r) => r.underload)).toMatchObject({ stable: false, noWeight: true, raw: 'S -' });
    await peer.set({ load: 0 });
    await waitForReading(scale, (r) => r.grams === 0 && r.stable);
  });

  it('garbage and truncated replies are counted and skipped', async () => {
    const before = scale.counters.garbled;
    const garbled: string[] = [];
    scale.on('garbled', (frame, why) => garbled.push(`${why}: ${JSON.stringify(frame)}`));
    await peer.send({ corrupt: 'garbage', times: 2 });
    await expect.poll(() => scale.counters.garbled - before).toBe(2);
    await peer.send({ write: '\x00\xffnoise\r\n' });
    await expect.poll(() => scale.counters.garbled - before).toBe(3);
    await peer.send({ corrupt: 'truncate', times: 2 });
    await expect.poll(() => scale.counters.garbled - before).toBe(5);
    await peer.set({ load: 100 });
    await waitForReading(scale, (r) => r.grams === 100 && r.stable);
    expect(garbled.some((g) => g.startsWith('not a MT-SICS reply'))).toBe(true); // "S S" cut short
    expect(garbled.some((g) => g.includes('garbage'))).toBe(true);
    expect(scale.state).toBe('connected');
  });

  it('zero, tare, preset tare and clear tare reach the balance and change what it reports', async () => {
    await peer.set({ load: 3, motion: false }); // a crumb on the empty platter
    await waitForReading(scale, (r) => r.grams === 5 && r.stable);
    await scale.zero();
    await waitForReading(scale, (r) => r.grams === 0 && r.stable);

    await peer.set({ load: 123 }); // the tray
    await waitForReading(scale, (r) => r.grams === 120 && r.stable);
    expect(await scale.tare()).toBe(120);
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 0, net: true });
    await peer.set({ load: 123 + 352 });
    expect(await waitForReading(scale, (r) => r.grams === 350 && r.stable)).toMatchObject({ net: true, tare: 120 });

    await scale.clearTare();
    const cleared = await waitForReading(scale, (r) => r.stable && !r.net);
    expect(cleared).toMatchObject({ grams: 470 });
    expect(cleared.tare).toBeUndefined();

    await scale.presetTare(120);
    expect(await waitForReading(scale, (r) => r.stable && r.net)).toMatchObject({ grams: 350 }); // 472 − 120 = 352, to e = 5 g
    await expect(scale.presetTare(123)).rejects.toThrow('not a whole number of scale divisions (d = 5 g)');

    const { received, state } = await peer.stats();
    expect(received).toMatchObject({ Z: 1, T: 1, TAC: 1, 'TA 0.12 kg': 1 });
    expect(received.TA).toBeGreaterThanOrEqual(2); // asked on connect and after zero
    expect(state).toMatchObject({ zero: 3, tare: 120 });
    await scale.clearTare();
  });

  it('the balance refuses zero in motion and out of range: ScaleCommandError with its reason', async () => {
    await peer.set({ load: 200, motion: true });
    await expect(scale.zero()).rejects.toThrow(ScaleCommandError);
    await expect(scale.zero()).rejects.toThrow('Z I: not executable now');
    await peer.set({ motion: false, load: 1000 });
    await expect(scale.zero()).rejects.toThrow('Z +: upper limit of the range exceeded');
    await peer.set({ load: 0 });
    await expect(scale.tare()).rejects.toThrow('T -: lower limit');
    expect(scale.counters.refused).toBeGreaterThanOrEqual(4);
  });

  it('reports the cable pulled and picks the balance up again when it returns', async () => {
    await peer.set({ load: 253 });
    await waitForReading(scale, (r) => r.grams === 250 && r.stable);
    const lost = waitForState(scale, 'lost');
    await line.unplug();
    expect((await lost).reason).toMatch(/closed|vanished \(unplugged\)/);
    expect(scale.state).toBe('lost');
    await peer.stop();
    await new Promise((r) => setTimeout(r, 300)); // stays unplugged a while: reopening fails meanwhile

    const back = waitForState(scale, 'back');
    await line.plug();
    peer = await startScalePeer('scale_mtsics.py', { device: line.a });
    await peer.set({ load: 400 });
    expect((await back).lostMs).toBeGreaterThan(250);
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 400 });
    expect(scale.counters).toMatchObject({ losses: 1, opens: 2 });
  });
});

describe('MT-SICS over TCP', () => {
  let peer: ScalePeer;
  let scale: ScaleDriver | undefined;

  afterEach(async () => {
    await scale?.stop();
    await peer?.stop();
  });

  it('reads, loses the balance when it closes, and reconnects when it listens again', async () => {
    peer = await startScalePeer('scale_mtsics.py', { tcp: 0, unit: 'g' });
    await peer.set({ load: 352.5 });
    scale = createScale({ id: 'lab', protocol: 'mt-sics', transport: { type: 'tcp', host: '127.0.0.1', port: peer.port }, ...FAST }, LINK);
    scale.start();
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 352.5, stable: true });
    const lost = waitForState(scale, 'lost');
    await peer.send({ unplug: 600 });
    expect((await lost).reason).toMatch(/closed|ECONNREFUSED/);
    const back = waitForState(scale, 'back');
    await peer.set({ load: 100 });
    await back;
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 100 });
    // preset tare in the unit the balance answers in
    await scale.presetTare(50);
    expect((await peer.stats()).received['TA 50 g']).toBe(1);
    expect(await waitForReading(scale, (r) => r.net)).toMatchObject({ grams: 50 });
  });

  it('a balance that accepts the connection but never answers is lost after the timeout', async () => {
    peer = await startScalePeer('scale_mtsics.py', { tcp: 0 });
    await peer.send({ mute: true });
    scale = createScale({ id: 'mute', protocol: 'mt-sics', transport: { type: 'tcp', host: '127.0.0.1', port: peer.port }, ...FAST }, LINK);
    const lost = waitForState(scale, 'lost');
    scale.start();
    expect((await lost).reason).toMatch(/no answer for 1000 ms \(last: SI␍␊: no reply within 300 ms\)/);
    expect(scale.counters.timeouts).toBeGreaterThanOrEqual(2);
  });
});

describe('canteen-edge scale read --protocol mt-sics', () => {
  let line: PtyLine;
  let peer: ScalePeer;

  beforeAll(async () => {
    line = await ptyLine();
    peer = await startScalePeer('scale_mtsics.py', { device: line.a });
  });

  afterAll(async () => {
    await peer?.stop();
    await line?.stop();
  });

  it('prints the first reading', async () => {
    await peer.set({ load: 345, motion: false });
    const r = cli(['scale', 'read', '--protocol', 'mt-sics', '--port', line.b]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ grams: 345, stable: true, net: false });
  });

  it('--stable waits for the balance to settle', async () => {
    await peer.set({ load: 512, motion: true });
    await peer.send({ set: { motion: false }, after: 3000 }); // the CLI takes ~1.5 s to start
    const started = Date.now();
    const r = cli(['scale', 'read', '--protocol', 'mt-sics', '--port', line.b, '--stable', '--timeout', '8000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ grams: 512, stable: true, net: false });
    expect(r.stderr, r.stderr).toContain('512 g unstable');
    expect(Date.now() - started).toBeGreaterThan(3000);
  });

  it('--stable exits 1 at the timeout when the plate never settles', async () => {
    await peer.set({ load: 512, motion: true });
    const r = cli(['scale', 'read', '--protocol', 'mt-sics', '--port', line.b, '--stable', '--timeout', '1500']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no stable reading within 1500 ms (last: 512 g unstable)');
    await peer.set({ motion: false });
  });

  it('exits 1 when nothing answers, or the port does not exist', async () => {
    await peer.send({ mute: true });
    let r = cli(['scale', 'read', '--protocol', 'mt-sics', '--port', line.b, '--timeout', '1000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no answer for 1000 ms|did not answer within 1000 ms/);
    await peer.send({ mute: false });
    r = cli(['scale', 'read', '--protocol', 'mt-sics', '--port', '/dev/does-not-exist']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No such file or directory/);
  });

  it('exits 2 on usage errors, naming the flag', () => {
    const cases: [string[], RegExp][] = [
      [['--port', '/dev/x'], /--protocol is required/],
      [['--protocol', 'sics', '--port', '/dev/x'], /--protocol "sics": expected one of mt-sics/],
      [['--protocol', 'mt-sics'], /exactly one of --port PATH or --tcp HOST:PORT/],
      [['--protocol', 'mt-sics', '--tcp', 'h:1', '--baud', '9600'], /--baud sets a serial line/],
      [['--protocol', 'mt-sics', '--port', '/dev/x', '--parity', 'mark'], /--parity "mark"/],
      [['--protocol', 'mt-sics', '--port', '/dev/x', '--timeout', 'soon'], /--timeout "soon"/],
      [['--protocol', 'mt-sics', '--port', '/dev/x', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = cli(['scale', 'read', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
  });
});
