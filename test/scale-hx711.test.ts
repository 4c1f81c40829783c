// The HX711 load-cell ADC. GPIO cannot exist here, so the pins are faked at the
// lowest layer (test/helpers/scale/fake-hx711.ts implements the chip's pin
// protocol) and the real bit-banging code runs: values in two's complement, gain
// pulses, saturation, calibration saved and reloaded, zero and tare in software,
// the stability filter deciding, a chip that stops converting; and the real
// `onoff` pins and the CLI on a machine without GPIO.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createScale } from '../drivers/scale/create.ts';
import { ScaleCommandError, type ScaleDriver } from '../drivers/scale/driver.ts';
import { GAIN_PULSES, GpioUnavailable, Hx711, onoffPins } from '../drivers/scale/hx711.ts';
import { Hx711Scale, loadCalibration } from '../drivers/scale/hx711-driver.ts';
import { FakeHx711, type Hx711Channel } from './helpers/scale/fake-hx711.ts';
import { waitForReading, waitForState } from './helpers/scale/peers.ts';
import { cli } from './helpers/cli.ts';

const PINS = { dout: 5, sck: 6 };
const FAST = { poll_ms: 20, reply_timeout_ms: 100, timeout_ms: 600 };
const OFFSET = -50_000;
const PER_GRAM = 420.5;

let running: ScaleDriver[] = [];
afterEach(async () => {
  await Promise.all(running.map((s) => s.stop()));
  running = [];
});

function tmpFile(name: string): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-hx711-')), name);
}

/** A load cell: `grams` on the platter, a little noise, as raw counts. */
function cell(state: { grams: number; noise?: number }) {
  let i = 0;
  return (channel: Hx711Channel) => {
    const noise = state.noise ? ((i++ % 5) - 2) * state.noise : 0;
    const counts = OFFSET + (state.grams + noise) * PER_GRAM;
    return channel === 'A64' ? counts / 2 : channel === 'B32' ? counts / 4 : counts;
  };
}

function hx711(fake: FakeHx711, extra: Record<string, unknown> = {}): Hx711Scale {
  const scale = createScale({ id: 'hx', protocol: 'hx711', pins: PINS, division_g: 1, calibration_file: tmpFile('cal.json'), stability: { samples: 4, tolerance_g: 1, window_ms: 50 }, ...FAST, ...extra }, { pins: fake });
  running.push(scale);
  return scale as Hx711Scale;
}

describe('HX711 bit-banging against a fake chip', () => {
  it('reads 24-bit two\'s complement values MSB first with the gain pulses', () => {
    const values = [0, 1, -1, 0x123456, -0x123456, 0x7fffff, -0x800000, 5_000_000, -5_000_000];
    let k = 0;
    const fake = new FakeHx711({ ...PINS, source: () => values[k++]! });
    for (const gain of [128, 64, 32] as const) {
      const chip = new Hx711(fake.input(5), fake.output(6), gain);
      k = 0;
      for (const v of values) {
        expect(chip.isReady()).toBe(true);
        expect(chip.readRaw()).toBe(v);
      }
      expect(chip.isReady()).toBe(true); // finishes the last readout
      const readouts = fake.readouts.slice(-values.length);
      expect(readouts.every((r) => r.pulses === 24 + GAIN_PULSES[gain])).toBe(true);
      expect(readouts.map((r) => r.value)).toEqual(values);
      expect(fake.channel).toBe({ 128: 'A128', 64: 'A64', 32: 'B32' }[gain]);
    }
    expect(fake.violations).toBe(0);
  });

  it('waits for DOUT low: no pulses while the chip converts', async () => {
    const fake = new FakeHx711({ ...PINS, conversionMs: 30, source: () => 42 });
    const scale = hx711(fake);
    scale.start();
    await waitForReading(scale, () => true);
    await waitForReading(scale, () => true);
    expect(fake.violations).toBe(0);
    expect(fake.pins).toEqual({ dout: 1, sck: 1, closed: 0 });
    await scale.stop();
    expect(fake.pins.closed).toBe(2); // pins released on stop
  });
});

describe('HX711 as a scale', () => {
  it('uncalibrated: raw counts, never stable; calibration is saved, and reloaded by the next start', async () => {
    const load = { grams: 0 };
    const fake = new FakeHx711({ ...PINS, source: cell(load) });
    const file = tmpFile('hx711.json');
    const scale = hx711(fake, { calibration_file: file });
    scale.start();
    const raw = await waitForReading(scale, () => true);
    expect(raw).toMatchObject({ grams: OFFSET, stable: false, stableBy: 'filter' });
    expect(raw.raw).toMatch(/^hx711 raw -50000 \(0xff3cb0\) uncalibrated$/);
    expect(scale.calibrated).toBe(false);

    const zero = await scale.calibrateZero(5);
    expect(zero).toMatchObject({ offset: OFFSET, scale: 1, gain: 128 });
    load.grams = 500; // the test weight
    const span = await scale.calibrateSpan(500, 5);
    expect(span.scale).toBeCloseTo(PER_GRAM, 6);
    expect(loadCalibration(file)).toEqual(span);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ offset: OFFSET, scale: PER_GRAM, gain: 128 });
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 500, stableBy: 'filter' });
    await scale.stop();

    // a new driver (e.g. after a restart) reads the calibration file
    load.grams = 345;
    const again = hx711(new FakeHx711({ ...PINS, source: cell(load) }), { calibration_file: file });
    expect(again.calibrated).toBe(true);
    again.start();
    expect(await waitForReading(again, (r) => r.stable)).toMatchObject({ grams: 345, net: false, stableBy: 'filter' });
  });

  it('gain 64: 27 pulses per readout, the first conversion (made at 128) is dropped', async () => {
    const file = tmpFile('cal64.json');
    writeFileSync(file, JSON.stringify({ offset: OFFSET / 2, scale: PER_GRAM / 2, gain: 64 }));
    const fake = new FakeHx711({ ...PINS, source: cell({ grams: 250 }) });
    const scale = hx711(fake, { calibration_file: file, gain: 64 });
    const seen: number[] = [];
    scale.on('reading', (r) => seen.push(r.grams));
    scale.start();
    await waitForReading(scale, (r) => r.stable);
    expect(new Set(seen)).toEqual(new Set([250])); // never the gain-128 value
    expect(fake.readouts[0]).toMatchObject({ pulses: 27, next: 'A64', value: OFFSET + 250 * PER_GRAM });
    expect(fake.readouts.every((r) => r.pulses === 27)).toBe(true);
  });

  it('a calibration made at another gain is not used', () => {
    const file = tmpFile('wrong.json');
    writeFileSync(file, JSON.stringify({ offset: 0, scale: 100, gain: 128 }));
    const scale = hx711(new FakeHx711({ ...PINS, source: () => 0 }), { calibration_file: file, gain: 32 });
    expect(scale.calibrated).toBe(false);
    expect(scale.lastError).toBe('calibration was made at gain 128, the HX711 runs at gain 32: calibrate again');
    writeFileSync(file, '{"offset": "x"}');
    const bad = hx711(new FakeHx711({ ...PINS, source: () => 0 }), { calibration_file: file });
    expect(bad.lastError).toMatch(/"offset" must be a number of counts/);
  });

  function calibrated(load: { grams: number; noise?: number }, extra: Record<string, unknown> = {}) {
    const file = tmpFile('cal.json');
    writeFileSync(file, JSON.stringify({ offset: OFFSET, scale: PER_GRAM, gain: 128 }));
    const fake = new FakeHx711({ ...PINS, source: cell(load) });
    return { fake, scale: hx711(fake, { calibration_file: file, ...extra }) };
  }

  it('the stability filter decides; rounding to e', async () => {
    const load = { grams: 0, noise: 0 };
    const { scale } = calibrated(load, { division_g: 2, stability: { samples: 5, tolerance_g: 2, window_ms: 80 } });
    scale.start();
    await waitForReading(scale, (r) => r.stable && r.grams === 0);
    load.grams = 353;
    load.noise = 6; // a plate being put down: ±12 g
    const moving = await waitForReading(scale, (r) => r.grams > 300);
    expect(moving.stable).toBe(false);
    await new Promise((r) => setTimeout(r, 150));
    expect(scale.latest!.stable).toBe(false);
    load.noise = 0.3; // settled: ±0.6 g
    const settled = await waitForReading(scale, (r) => r.stable);
    expect(settled).toMatchObject({ stableBy: 'filter' });
    expect([352, 354]).toContain(settled.grams); // to e = 2 g
  });

  it('overload and underload at the ADC\'s limits', async () => {
    const fake = new FakeHx711({ ...PINS, source: () => 0x7fffff });
    const scale = hx711(fake);
    scale.start();
    expect(await waitForReading(scale, () => true)).toMatchObject({ overload: true, stable: false });
    fake.source = () => -0x800000;
    expect(await waitForReading(scale, (r) => r.underload)).toMatchObject({ stable: false });
  });

  it('zero, tare, preset tare and clear tare in software', async () => {
    const load = { grams: 1.5 }; // drift on the empty platter
    const { scale } = calibrated(load, { division_g: 5 });
    scale.start();
    await waitForReading(scale, (r) => r.stable);
    await scale.zero();
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 0, net: false });
    load.grams = 1.5 + 122; // the tray
    await waitForReading(scale, (r) => r.stable && r.grams === 120);
    expect(await scale.tare()).toBe(120); // whole divisions
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 0, net: true }); // 122 − 120 = 2 → e 5: 0
    load.grams = 1.5 + 122 + 351;
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 355, net: true, tare: 120 });
    await scale.clearTare();
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 475, net: false });
    await scale.presetTare(125);
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 350, net: true });
    await expect(scale.presetTare(123)).rejects.toThrow('preset tare 123 g is not a whole number of scale divisions (d = 5 g)');
    expect(scale.tareGrams).toBe(125);
  });

  it('refuses zero and tare while the weight moves', async () => {
    const load = { grams: 200, noise: 10 };
    const { scale } = calibrated(load);
    scale.start();
    await waitForReading(scale, () => true);
    await expect(scale.tare()).rejects.toThrow(ScaleCommandError);
    await expect(scale.zero()).rejects.toThrow(/zero not taken: weight not stable \(spread \d+(\.\d+)? g over 4 conversions\)/);
  });

  it('a chip that stops converting is lost; back when it converts again', async () => {
    const { fake, scale } = calibrated({ grams: 10 });
    scale.start();
    await waitForReading(scale, () => true);
    const lost = waitForState(scale, 'lost');
    fake.stalled = true; // DOUT stays high
    expect((await lost).reason).toMatch(/no answer for 600 ms \(last: HX711: no conversion within 100 ms/);
    expect(scale.counters.timeouts).toBeGreaterThan(2);
    const back = waitForState(scale, 'back');
    fake.stalled = false;
    await back;
    expect(await waitForReading(scale, () => true)).toMatchObject({ grams: 10 });
  });
});

describe('HX711 on a machine without GPIO', () => {
  it('the onoff pins say so, and the driver reports it as lost', async () => {
    await expect(onoffPins()).rejects.toThrow(GpioUnavailable);
    await expect(onoffPins()).rejects.toThrow('GPIO is not available on this machine');
    const scale = createScale({ id: 'real', protocol: 'hx711', pins: PINS, division_g: 1, calibration_file: tmpFile('c.json'), ...FAST });
    running.push(scale);
    const lost = waitForState(scale, 'lost');
    scale.start();
    expect((await lost).reason).toMatch(/GPIO is not available on this machine/);
  });

  it('the CLI exits 1 with a clear message, 2 on usage errors', () => {
    let r = cli(['scale', 'read', '--protocol', 'hx711', '--dout', '5', '--sck', '6', '--calibration', tmpFile('c.json'), '--timeout', '2000']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('GPIO is not available on this machine');
    r = cli(['scale', 'read', '--protocol', 'hx711', '--sck', '6', '--calibration', 'c.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--dout is required for hx711');
    r = cli(['scale', 'read', '--protocol', 'hx711', '--dout', '5', '--sck', '6', '--calibration', 'c.json', '--port', '/dev/ttyS0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port does not apply to hx711');
  });
});
