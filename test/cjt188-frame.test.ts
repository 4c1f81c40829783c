// CJ/T 188-2004 frames and meter data, byte for byte: the worked example of DOMAIN.md,
// the reply of DI 901F, the scanner on a line shared with DL/T 645 and Modbus RTU, and
// the protocol registry that checks CJ/T 188 profiles.
import { describe, expect, it } from 'vitest';
import { decodeMeterData } from '../drivers/cjt188/data.ts';
import { decodeFrame, encodeFrame, replyScanner, scanFrame, type Cjt188Frame } from '../drivers/cjt188/frame.ts';
import { encodeFrame as encodeDlt645 } from '../drivers/dlt645/frame.ts';
import { METER_PROTOCOLS, meterProtocol, shippedProfiles, validateProfile } from '../drivers/meter-protocols.ts';
import { encodeReadRequest } from '../drivers/modbus/rtu.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const REQUEST = hex('68 10 44 33 22 11 00 33 78 01 03 1F 90 00 80 16');
const read: Cjt188Frame = { type: 0x10, address: '78330011223344', control: 0x01, data: hex('1F 90 00') };
// reply: DI SER, 1234.56 m³ (2C), settlement 1200.00 m³, clock 2026-12-08 10:20:30, ST 05 00 (valve closed, battery low)
const DATA = hex('1F 90 00  56 34 12 00 2C  00 00 12 00 2C  30 20 10 08 12 26 20  05 00');
const reply = (over: Partial<Cjt188Frame> = {}) => encodeFrame({ type: 0x10, address: '78330011223344', control: 0x81, data: DATA, ...over }, { preamble: false });

describe('CJ/T 188 frames', () => {
  it('encodes the read of DI 901F from 78330011223344 exactly as DOMAIN.md\'s example (no +33H, CS 80)', () => {
    expect(encodeFrame(read, { preamble: false })).toEqual(REQUEST);
    expect(encodeFrame(read)).toEqual(Buffer.concat([hex('FE FE FE FE'), REQUEST]));
    expect(decodeFrame(REQUEST)).toEqual(read);
  });

  it('decodes the meter data: flow and settlement flow in m³, clock, valve and battery bits', () => {
    const f = decodeFrame(reply());
    expect(decodeMeterData(f.data.subarray(3))).toEqual({
      volume_total: 1234.56,
      volume_settlement: 1200,
      valve_closed: 1,
      valve_abnormal: 0,
      battery_low: 1,
      clock: '2026-12-08 10:20:30',
      status: '0500',
    });
    // litres (29H) become m³; a non-volume unit code is an error naming it
    expect(decodeMeterData(hex('56 34 12 00 29  00 00 00 00 29  00 00 00 01 01 26 20  00 00')).volume_total).toBe(1.23456);
    expect(() => decodeMeterData(hex('56 34 12 00 05  00 00 00 00 2C  00 00 00 01 01 26 20  00 00'))).toThrow(/unit code 05H is not a volume unit/);
    expect(() => decodeMeterData(hex('5A 34 12 00 2C  00 00 00 00 2C  00 00 00 01 01 26 20  00 00'))).toThrow(/invalid BCD digit in 0012345a/);
    expect(() => decodeMeterData(hex('56 34 12 00 2C'))).toThrow(/5 bytes, expected 19/);
  });

  it('scans: preamble, noise, a bad checksum, every incomplete prefix', () => {
    const r = reply();
    expect(scanFrame(Buffer.concat([hex('FE FE'), r]))).toEqual({ skip: 2, reason: 'preamble' });
    expect(scanFrame(Buffer.concat([hex('00 55'), r]))).toEqual({ skip: 2, reason: 'garbage' });
    const bad = Buffer.from(r);
    bad[bad.length - 2] = bad[bad.length - 2]! ^ 0xff;
    expect(scanFrame(bad)).toEqual({ skip: bad.length, reason: 'checksum' });
    for (let n = 1; n < r.length; n++) expect(scanFrame(r.subarray(0, n))).toEqual({ need: 'more' });
    expect(scanFrame(r)).toEqual({ frame: r });
  });

  it('finds its reply among our echo, another meter, a late reply (other SER), DL/T 645 and Modbus RTU frames on the shared line', () => {
    const scan = replyScanner(read);
    const other = reply({ address: '78330011223345' });
    const late = encodeFrame({ type: 0x10, address: '78330011223344', control: 0x81, data: Buffer.concat([hex('1F 90 07'), DATA.subarray(3)]) }, { preamble: false });
    const dlt = encodeDlt645({ address: '202107072529', control: 0x91, data: hex('00 00 00 00 76 17 03 00') });
    const modbus = encodeReadRequest(1, 'holding', 0x2006, 2);
    let rx = Buffer.concat([REQUEST, dlt, modbus, other, late, reply()]);
    const reasons: string[] = [];
    for (;;) {
      const r = scan(rx);
      if ('frame' in r) break;
      if ('need' in r) throw new Error('stuck');
      reasons.push(r.reason);
      rx = rx.subarray(r.skip);
    }
    expect(rx).toEqual(reply());
    expect(reasons).toContain('echo');
    expect(reasons).toContain('wrong-address');
    expect(reasons).toContain('late');
    expect(reasons.filter((x) => x === 'garbage' || x === 'preamble').length).toBeGreaterThan(0);
  });
});

describe('the meter protocol registry', () => {
  it('knows modbus, dlt645 and cjt188, each with its profile schema, transports and address form', () => {
    expect(METER_PROTOCOLS.map((p) => p.name)).toEqual(['modbus', 'dlt645', 'cjt188']);
    expect(meterProtocol('cjt188')).toMatchObject({ title: 'CJ/T 188', transports: ['bus'] });
    expect(meterProtocol('cjt188').address!.pattern.test('78330011223344')).toBe(true);
    expect(meterProtocol('dlt645').address!.pattern.test('78330011223344')).toBe(false);
    expect(meterProtocol('modbus').transports).toEqual(['tcp', 'bus']);
  });

  it('ships the cold-water profile (T = 10H) and checks a site\'s CJ/T 188 profile with readable errors', () => {
    expect(shippedProfiles().get('cjt188-cold-water')).toMatchObject({ protocol: 'cjt188', meter_type: '10' });
    const r = validateProfile({
      name: 'gas-x',
      description: 'x',
      source: 'x',
      protocol: 'cjt188',
      meter_type: '3',
      points: [{ name: 'volume_total', unit: 'kWh', kind: 'counter', field: 'volume_total', register: 1 }],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContainEqual({ path: 'meter_type', message: expect.stringMatching(/got "3"; 2 hex digits/) });
    expect(r.errors).toContainEqual({ path: 'points[0].register', message: 'unknown key; expected one of: name, unit, kind, max, field' });
    expect(validateProfile({ protocol: 'mbus' })).toEqual({ ok: false, errors: [{ path: 'protocol', message: 'got "mbus"; expected "modbus" (the default), "dlt645", "cjt188"' }] });
  });
});
