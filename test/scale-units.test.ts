// Pure parts of drivers/scale: rounding to the verification interval, whole
// tare intervals, the stability filter, every protocol's frame parser, the
// Modbus register decoding and the config schema.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { encodeValue } from '../drivers/modbus/decode.ts';
import { scaleDeviceSchema } from '../drivers/scale/config.ts';
import { SCALE_PROTOCOL_ENTRIES, SCALE_PROTOCOLS, isApprovableProtocol } from '../drivers/scale/protocols.ts';
import { compileLinePattern, parseContinuousLine } from '../drivers/scale/continuous.ts';
import { isWholeInterval, roundToInterval } from '../drivers/scale/interval.ts';
import { decodeWeight, planWeightReads, type WeightRegisterMap } from '../drivers/scale/modbus-weight.ts';
import { answersMtSics, parseMtSicsReply } from '../drivers/scale/mt-sics.ts';
import { StabilityFilter } from '../drivers/scale/stability.ts';
import { decodeToledoStatus, encodeToledoStatus, parseToledoFrame, toledoPresetTare, toledoReading } from '../drivers/scale/toledo.ts';
import { fromGrams, toGrams } from '../drivers/scale/units.ts';

describe('rounding to the verification interval e', () => {
  it('rounds to the nearest multiple, halves away from zero', () => {
    expect(roundToInterval(347, 5)).toBe(345);
    expect(roundToInterval(347.5, 5)).toBe(350);
    expect(roundToInterval(352.4999, 5)).toBe(350);
    expect(roundToInterval(352.5, 5)).toBe(355);
    expect(roundToInterval(-352.5, 5)).toBe(-355);
    expect(roundToInterval(-1, 5)).toBe(0);
    expect(Object.is(roundToInterval(-1, 5), -0)).toBe(false);
    expect(roundToInterval(345, 1)).toBe(345);
    expect(roundToInterval(344.5, 1)).toBe(345);
    expect(roundToInterval(1001, 2)).toBe(1002);
    expect(roundToInterval(999, 2)).toBe(1000);
  });

  it('is decimal-safe for sub-gram intervals', () => {
    expect(roundToInterval(0.35, 0.1)).toBe(0.4);
    expect(roundToInterval(3.45, 0.1)).toBe(3.5);
    expect(roundToInterval(1.005, 0.01)).toBe(1.01);
    expect(roundToInterval(12.34, 0.5)).toBe(12.5);
    expect(roundToInterval(12.24, 0.5)).toBe(12);
    expect(roundToInterval(0.1 + 0.2, 0.1)).toBe(0.3);
    expect(roundToInterval(123.456789, 0.001)).toBe(123.457);
  });

  it('passes non-finite values through and refuses a bad interval', () => {
    expect(roundToInterval(Number.NaN, 5)).toBeNaN();
    expect(() => roundToInterval(1, 0)).toThrow(RangeError);
    expect(() => roundToInterval(1, -5)).toThrow(RangeError);
  });

  it('tells whole intervals (for tare)', () => {
    expect(isWholeInterval(120, 5)).toBe(true);
    expect(isWholeInterval(123, 5)).toBe(false);
    expect(isWholeInterval(0, 2)).toBe(true);
    expect(isWholeInterval(0.3, 0.1)).toBe(true);
    expect(isWholeInterval(0.35, 0.1)).toBe(false);
    expect(isWholeInterval(12.5, 0.5)).toBe(true);
    expect(isWholeInterval(Number.NaN, 1)).toBe(false);
  });
});

describe('stability filter', () => {
  const feed = (f: StabilityFilter, readings: [number, number][]) => readings.map(([g, at]) => f.push(g, at));

  it('is stable once N readings over T ms lie within ± tolerance', () => {
    const f = new StabilityFilter({ samples: 3, toleranceG: 1, windowMs: 200 });
    // 100 ms apart: the 3rd reading is only 200 ms after the 1st → stable on the 3rd
    expect(feed(f, [[100, 0], [101, 100], [102, 200], [100.5, 300]])).toEqual([false, false, true, true]);
  });

  it('needs the whole window, not just the count', () => {
    const f = new StabilityFilter({ samples: 2, toleranceG: 1, windowMs: 500 });
    expect(feed(f, [[100, 0], [100, 10], [100, 20], [100, 499], [100, 500]])).toEqual([false, false, false, false, true]);
  });

  it('needs the count, not just the window', () => {
    const f = new StabilityFilter({ samples: 4, toleranceG: 1, windowMs: 0 });
    expect(feed(f, [[5, 0], [5, 1000], [5, 2000], [5, 3000]])).toEqual([false, false, false, true]);
  });

  it('a reading outside the band restarts the wait; the band is max − min ≤ 2 × tolerance', () => {
    const f = new StabilityFilter({ samples: 3, toleranceG: 2, windowMs: 0 });
    expect(feed(f, [[100, 0], [104, 1], [102, 2]])).toEqual([false, false, true]); // 100…104: ± 2 around 102
    expect(f.push(105, 3)).toBe(true); // 104, 102, 105: 3 wide, within 4
    expect(f.push(107, 4)).toBe(false); // 102, 105, 107: 5 wide
    expect(f.push(106, 5)).toBe(true); // 105, 107, 106
  });

  it('motion (a jump) resets it and the plate settles again', () => {
    const f = new StabilityFilter({ samples: 3, toleranceG: 1, windowMs: 100 });
    const seq: [number, number][] = [[0, 0], [0, 50], [0, 100], [200, 150], [330, 200], [352, 250], [351, 300], [352, 350], [352, 400]];
    expect(feed(f, seq)).toEqual([false, false, true, false, false, false, false, true, true]);
  });

  it('reset() and non-finite values forget the history', () => {
    const f = new StabilityFilter({ samples: 2, toleranceG: 1, windowMs: 0 });
    expect(feed(f, [[1, 0], [1, 1]])).toEqual([false, true]);
    f.reset();
    expect(f.push(1, 2)).toBe(false);
    expect(f.push(Number.NaN, 3)).toBe(false);
    expect(f.push(1, 4)).toBe(false);
    expect(f.push(1, 5)).toBe(true);
  });

  it('keeps bounded history over a long idle run', () => {
    const f = new StabilityFilter({ samples: 5, toleranceG: 1, windowMs: 500 });
    for (let t = 0; t < 100_000; t += 20) f.push(0, t);
    expect((f as unknown as { history: unknown[] }).history.length).toBeLessThan(40);
  });
});

describe('units', () => {
  it('converts without binary noise', () => {
    expect(toGrams('0.345', 'kg')).toBe(345);
    expect(toGrams('1.2345', 'kg')).toBe(1234.5);
    expect(toGrams('352', 'g')).toBe(352);
    expect(toGrams('500', 'mg')).toBe(0.5);
    expect(toGrams('1', 'lb')).toBeUndefined();
    expect(fromGrams(100, 'kg')).toBe('0.1');
    expect(fromGrams(1250, 'kg')).toBe('1.25');
    expect(fromGrams(2000, 'kg')).toBe('2.0');
    expect(fromGrams(120, 'g')).toBe('120');
  });
});

describe('MT-SICS replies', () => {
  it('weights: stable, dynamic, negative, grams', () => {
    expect(parseMtSicsReply('S S     0.345 kg')).toEqual({ kind: 'weight', unit: 'kg', reading: { grams: 345, stable: true, net: false, overload: false, underload: false, raw: 'S S     0.345 kg' } });
    expect(parseMtSicsReply('S D 0.344 kg')).toMatchObject({ kind: 'weight', reading: { grams: 344, stable: false } });
    expect(parseMtSicsReply('S S    -0.012 kg')).toMatchObject({ reading: { grams: -12, stable: true } });
    expect(parseMtSicsReply('S S   - 0.012 kg')).toMatchObject({ reading: { grams: -12 } });
    expect(parseMtSicsReply('S S     352.5 g')).toMatchObject({ reading: { grams: 352.5 } });
  });

  it('over/underload carry no weight', () => {
    expect(parseMtSicsReply('S +')).toMatchObject({ kind: 'weight', reading: { overload: true, underload: false, noWeight: true, stable: false } });
    expect(parseMtSicsReply('S -')).toMatchObject({ kind: 'weight', reading: { overload: false, underload: true, noWeight: true } });
  });

  it('command answers and errors', () => {
    expect(parseMtSicsReply('S I')).toMatchObject({ kind: 'status', command: 'S', status: 'I' });
    expect(parseMtSicsReply('Z A')).toMatchObject({ kind: 'status', command: 'Z', status: 'A' });
    expect(parseMtSicsReply('Z +')).toMatchObject({ kind: 'status', command: 'Z', status: '+' });
    expect(parseMtSicsReply('T S     0.123 kg')).toMatchObject({ kind: 'status', command: 'T', status: 'S', grams: 123 });
    expect(parseMtSicsReply('TA A     0.100 kg')).toMatchObject({ command: 'TA', status: 'A', grams: 100 });
    expect(parseMtSicsReply('TAC A')).toMatchObject({ command: 'TAC', status: 'A' });
    for (const e of ['ES', 'ET', 'EL']) expect(parseMtSicsReply(e)).toEqual({ kind: 'error', code: e, raw: e });
  });

  it('rejects garbage and truncated replies', () => {
    for (const bad of ['', 'hello', 'S S', 'S D', 'T S', 'TA A', 'S S 0.3', 'S S     0.345', 'S X 0.345 kg', 'S S 0.345 lb', '\x00\xff#?garbage', 'S S 0.3.4 kg']) {
      expect(parseMtSicsReply(bad), bad).toBeUndefined();
    }
  });

  it('matches replies to their command by identifier', () => {
    expect(answersMtSics('S S 0.1 kg', 'S')).toBe(true);
    expect(answersMtSics('ES', 'Z')).toBe(true);
    expect(answersMtSics('S S 0.1 kg', 'Z')).toBe(false);
    expect(answersMtSics('TA A 0.1 kg', 'T')).toBe(false);
  });
});

describe('Toledo 8217 frames', () => {
  it('weights, gross and net', () => {
    expect(parseToledoFrame('\x02 0.345')).toEqual({ kind: 'weight', grams: 345, net: false, raw: '\x02 0.345' });
    expect(parseToledoFrame('\x0200.345')).toMatchObject({ grams: 345 });
    expect(parseToledoFrame('\x0212.500N')).toMatchObject({ grams: 12500, net: true });
    expect(parseToledoFrame('\x02 345', 'g')).toMatchObject({ grams: 345 });
    expect(toledoReading(parseToledoFrame('\x02 0.345')!)).toMatchObject({ grams: 345, stable: true, net: false });
  });

  it('status bits (*check* against the scale)', () => {
    const all = decodeToledoStatus(0x7f);
    expect(all).toEqual({ byte: 0x7f, motion: true, overCapacity: true, underZero: true, outsideZeroRange: true, centreOfZero: true, net: true });
    expect(decodeToledoStatus('@'.charCodeAt(0))).toMatchObject({ motion: false, overCapacity: false, underZero: false, net: false });
    expect(encodeToledoStatus({ motion: true })).toBe('A'.charCodeAt(0));
    expect(encodeToledoStatus({ overCapacity: true })).toBe('B'.charCodeAt(0));
    expect(encodeToledoStatus({ underZero: true })).toBe('D'.charCodeAt(0));
    expect(encodeToledoStatus({ net: true, centreOfZero: true })).toBe(0x70);
    const motion = parseToledoFrame('\x02?A')!;
    expect(motion).toMatchObject({ kind: 'status', status: { motion: true } });
    expect(toledoReading(motion)).toMatchObject({ grams: 0, stable: false, noWeight: true, overload: false });
    expect(toledoReading(parseToledoFrame('\x02?B')!)).toMatchObject({ overload: true, noWeight: true });
    expect(toledoReading(parseToledoFrame('\x02?D')!)).toMatchObject({ underload: true });
  });

  it('rejects garbage and truncated frames; formats preset tares', () => {
    for (const bad of ['', ' 0.345', '\x02', '\x02?', '\x02?AB', '\x02 0.3x5', '\x02abc', 'W']) expect(parseToledoFrame(bad), JSON.stringify(bad)).toBeUndefined();
    expect(toledoPresetTare(120)).toBe('T00120\r');
    expect(() => toledoPresetTare(12.5)).toThrow(RangeError);
    expect(() => toledoPresetTare(100_000)).toThrow(RangeError);
  });
});

describe('continuous lines', () => {
  it('the built-in format flags dashes as no weight', () => {
    expect(parseContinuousLine('OL,GS,  ------kg')).toMatchObject({ overload: true, noWeight: true });
    expect(parseContinuousLine('ST,GS,+0001.234kg')!.noWeight).toBeUndefined();
  });

  it('a configured pattern with status, mode, sign, value, unit', () => {
    const p = compileLinePattern({ regex: '^WT:(?<status>[SMO]):(?<mode>[GN]):(?<sign>[+-])(?<value>\\d+\\.\\d)(?<unit>g)$', stable: ['S'], overload: ['O'], net: ['N'] });
    expect(p.hasStableFlag).toBe(true);
    expect(p.parse('WT:S:G:+000345.0g')).toEqual({ grams: 345, stable: true, net: false, overload: false, underload: false, raw: 'WT:S:G:+000345.0g' });
    expect(p.parse('WT:M:N:-000012.5g')).toMatchObject({ grams: -12.5, stable: false, net: true });
    expect(p.parse('WT:O:G:+099999.9g')).toMatchObject({ overload: true, stable: false });
    expect(p.parse('WT:S:G:+0003')).toBeUndefined();
    expect(p.parse('garbage')).toBeUndefined();
  });

  it('a pattern without status has no stable flag; the value may carry its sign; default unit', () => {
    const p = compileLinePattern({ regex: '^(?<value>[+-]?\\d+\\.\\d+)$', unit: 'kg' });
    expect(p.hasStableFlag).toBe(false);
    expect(p.parse('-0.015')).toMatchObject({ grams: -15, stable: false });
    expect(p.parse('+0.345')).toMatchObject({ grams: 345 });
  });

  it('refuses a pattern without a value group or that does not compile', () => {
    expect(() => compileLinePattern({ regex: '^(?<status>ST)$' })).toThrow(/value/);
    expect(() => compileLinePattern({ regex: '^(?<value>[' })).toThrow(/regular expression/);
  });
});

describe('Modbus weight registers', () => {
  const map: WeightRegisterMap = {
    unit_id: 1,
    function: 'holding',
    net: { address: 0, type: 'int32', order: 'ABCD', scale: 0.1 },
    gross: { address: 2, type: 'int32', order: 'ABCD', scale: 0.1 },
    status: { address: 4, type: 'uint16', order: 'ABCD', stable_bit: 0, overload_bit: 1, underload_bit: 2, net_bit: 3 },
  };
  const regs = (net: number, gross: number, status: number) => Buffer.concat([encodeValue(net * 10, 'int32'), encodeValue(gross * 10, 'int32'), encodeValue(status, 'uint16')]);

  it('reads near registers together', () => {
    expect(planWeightReads(map)).toEqual([{ start: 0, count: 5 }]);
    expect(planWeightReads({ ...map, status: { ...map.status!, address: 100 } })).toEqual([{ start: 0, count: 4 }, { start: 100, count: 1 }]);
  });

  it('decodes net, gross, status bits with exact decimal scaling', () => {
    expect(decodeWeight(map, [{ start: 0, data: regs(345.1, 345.1, 0b0001) }])).toMatchObject({ grams: 345.1, stable: true, net: false, overload: false });
    expect(decodeWeight(map, [{ start: 0, data: regs(-12.5, 107.5, 0b1000) }])).toMatchObject({ grams: -12.5, stable: false, net: true });
    expect(decodeWeight(map, [{ start: 0, data: regs(0, 20000, 0b0010) }])).toMatchObject({ overload: true });
    expect(decodeWeight(map, [{ start: 0, data: regs(0, -300, 0b0100) }])).toMatchObject({ underload: true });
  });

  it('float32 CDAB in kg, motion bit instead of stable bit, net from net ≠ gross', () => {
    const m: WeightRegisterMap = { unit_id: 1, function: 'input', gross: { address: 10, type: 'float32', order: 'CDAB', scale: 1000 }, status: { address: 12, type: 'uint16', order: 'ABCD', motion_bit: 5 } };
    const data = Buffer.concat([encodeValue(0.345, 'float32', 'CDAB'), encodeValue(1 << 5, 'uint16')]);
    expect(decodeWeight(m, [{ start: 10, data }])).toMatchObject({ grams: 345, stable: false, net: false });
    const still = Buffer.concat([encodeValue(0.345, 'float32', 'CDAB'), encodeValue(0, 'uint16')]);
    expect(decodeWeight(m, [{ start: 10, data: still }])).toMatchObject({ stable: true });
  });
});

describe('config schema', () => {
  const ok = (c: unknown) => scaleDeviceSchema.safeParse(c);
  const problems = (c: unknown) => {
    const r = scaleDeviceSchema.safeParse(c);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('keeps the existing continuous-over-TCP config valid, with defaults', () => {
    const r = ok({ id: 'checkout-1', protocol: 'continuous', transport: { type: 'tcp', host: '192.168.1.60', port: 4001 } });
    expect(r.success).toBe(true);
    expect(r.data).toMatchObject({ timeout_ms: 3000, poll_ms: 200, reply_timeout_ms: 1000, required: false, stability: { samples: 5, window_ms: 500, on_top: false } });
  });

  it('every protocol with its own keys', () => {
    expect(problems({ id: 'a', protocol: 'mt-sics', transport: { type: 'serial', path: '/dev/ttyUSB0' }, division_g: 2, interval_g: 2 })).toEqual([]);
    expect(problems({ id: 'b', protocol: 'toledo', transport: { type: 'serial', path: '/dev/ttyS0', baud: 9600, data_bits: 7, parity: 'even' }, unit: 'kg' })).toEqual([]);
    expect(problems({ id: 'c', protocol: 'continuous', transport: { type: 'tcp', host: 'h', port: 1 }, pattern: { regex: '^(?<value>\\d+)$' }, commands: { zero: 'Z\r\n' } })).toEqual([]);
    expect(problems({ id: 'd', protocol: 'modbus', transport: { type: 'rtu-over-tcp', host: 'h', port: 502 }, registers: { net: { address: 0 }, status: { address: 2, stable_bit: 0 } } })).toEqual([]);
    expect(problems({ id: 'e', protocol: 'hx711', pins: { dout: 5, sck: 6 }, calibration_file: 'hx711.json', division_g: 1, gain: 64 })).toEqual([]);
  });

  it('names what is wrong', () => {
    expect(problems({ id: 'a', protocol: 'mt-sics' })).toEqual(['transport: required for mt-sics: { type: serial, path } or { type: tcp, host, port }']);
    expect(problems({ id: 'a', protocol: 'hx711', transport: { type: 'tcp', host: 'h', port: 1 } })).toEqual(expect.arrayContaining([
      'transport: hx711 is wired to GPIO pins: give `pins`, not `transport`',
      'pins: required for hx711: { dout, sck }',
      'calibration_file: required for hx711: where the calibration is kept',
      'division_g: required for hx711: the scale division d in grams',
    ]));
    expect(problems({ id: 'a', protocol: 'modbus', transport: { type: 'tcp', host: 'h', port: 1 } })).toEqual(['registers: required for modbus: at least net or gross']);
    expect(problems({ id: 'a', protocol: 'modbus', transport: { type: 'tcp', host: 'h', port: 1 }, registers: { gross: { address: 0 }, status: { address: 1, stable_bit: 16 } } })).toEqual(['registers.status.stable_bit: a uint16 status has bits 0…15']);
    expect(problems({ id: 'a', protocol: 'toledo', transport: { type: 'rtu-over-tcp', host: 'h', port: 1 } })).toEqual(['transport.type: rtu-over-tcp is for modbus; other protocols use tcp through a converter']);
    expect(problems({ id: 'a', protocol: 'mt-sics', transport: { type: 'tcp', host: 'h', port: 1 }, pins: { dout: 1, sck: 2 }, pattern: { regex: '(?<value>x)' } }).sort()).toEqual([
      'pattern: only for protocol continuous, not mt-sics',
      'pins: only for protocol hx711, not mt-sics',
    ]);
    expect(problems({ id: 'a', protocol: 'continuous', transport: { type: 'tcp', host: 'h', port: 1 }, pattern: { regex: '^(\\d+)$' } })[0]).toMatch(/^pattern.regex: needs a named group `value`/);
    expect(problems({ id: 'a', protocol: 'mt-sics', transport: { type: 'tcp', host: 'h', port: 1 }, division_g: 2, interval_g: 5 })).toEqual(['interval_g: must be a whole multiple of division_g (2 g)']);
    expect(problems({ id: 'a', protocol: 'mt-sics', transport: { type: 'tcp', host: 'h', port: 1 }, interval_g: 5 })).toEqual(['interval_g: give division_g (d) too']);
    expect(problems({ id: 'a', protocol: 'mt-sics', transport: { type: 'tcp', host: 'h', port: 1 }, typo: 1 })[0]).toMatch(/typo/);
  });

  it('takes its protocols, their keys and which may be approved for trade from the registry', () => {
    expect(scaleDeviceSchema.shape.protocol.options).toEqual(Object.keys(SCALE_PROTOCOL_ENTRIES));
    for (const [name, entry] of Object.entries(SCALE_PROTOCOL_ENTRIES)) {
      for (const key of Object.keys(entry.keys)) expect(Object.keys(scaleDeviceSchema.shape)).toContain(key);
      expect(scaleDeviceSchema.shape.protocol.description).toContain(name);
    }
    expect(SCALE_PROTOCOLS.filter(isApprovableProtocol)).toEqual(['mt-sics', 'toledo', 'continuous', 'modbus']);
  });

  it('describes every key (for docs/config.md)', () => {
    const schema = z.toJSONSchema(scaleDeviceSchema, { io: 'input', unrepresentable: 'any' }) as Json;
    const missing: string[] = [];
    const walk = (s: Json, key: string) => {
      if (key && !s.description) missing.push(key);
      for (const [k, child] of Object.entries(s.properties ?? {})) walk(child, key ? `${key}.${k}` : k);
      for (const v of s.anyOf ?? s.oneOf ?? []) for (const [k, child] of Object.entries(v.properties ?? {})) walk(child, `${key}[${String(v.properties?.type?.const)}].${k}`);
    };
    walk(schema, '');
    expect(missing).toEqual([]);
  });
});

interface Json {
  description?: string;
  const?: unknown;
  properties?: Record<string, Json>;
  anyOf?: Json[];
  oneOf?: Json[];
}
