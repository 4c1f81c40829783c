// Modbus RTU framing, the reply scanner, cap and gap learning, bit fields and
// profiles, without a line. The same paths against real peers are in
// modbus-peers.test.ts and modbus-rtu-faults.test.ts.
import { describe, expect, it } from 'vitest';
import { ModbusError, newCounters, type ModbusClient } from '../drivers/modbus/client.ts';
import { applyScale, decodeBits, decodeValue } from '../drivers/modbus/decode.ts';
import { readMeter } from '../drivers/modbus/meter-reader.ts';
import { learnedCap, planReads, splitBlock, type DeviceReadState } from '../drivers/modbus/plan.ts';
import { shippedProfiles, validateProfile } from '../drivers/meter-protocols.ts';
import { isModbusProfile, type MeterProfile } from '../drivers/modbus/profile.ts';
import { crc16, encodeReadRequest, frameGapMs, parseReply, replyLength, replyScanner } from '../drivers/modbus/rtu.ts';

const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

describe('RTU framing', () => {
  it('encodes read requests with CRC-16/Modbus, low byte first', () => {
    expect(encodeReadRequest(1, 'holding', 0, 10)).toEqual(hex('01 03 0000 000A C5CD'));
    expect(encodeReadRequest(1, 'input', 0, 2)).toEqual(hex('01 04 0000 0002 71CB'));
    expect(crc16(hex('01 04 04 43668000'))).toBe(0xdf6f); // pymodbus's reply to the request above
    expect(() => encodeReadRequest(0, 'holding', 0, 1)).toThrow(/unit id 0/);
    expect(() => encodeReadRequest(1, 'holding', 0, 126)).toThrow(/count 126/);
    expect(() => encodeReadRequest(1, 'coils', 0xffff, 2)).toThrow(/outside/);
  });

  it('knows reply lengths per function code', () => {
    expect(replyLength(3, 10)).toBe(25);
    expect(replyLength(4, 125)).toBe(255);
    expect(replyLength(1, 8)).toBe(6);
    expect(replyLength(2, 9)).toBe(7);
  });

  it('keeps t3.5 of 11-bit characters, fixed 1.75 ms above 19200 baud', () => {
    expect(frameGapMs(9600)).toBeCloseTo(4.0104, 3);
    expect(frameGapMs(19200)).toBeCloseTo(2.0052, 3);
    expect(frameGapMs(38400)).toBe(1.75);
    expect(frameGapMs(115200)).toBe(1.75);
  });
});

describe('RTU reply scanner', () => {
  const request = encodeReadRequest(1, 'input', 0, 2);
  const reply = hex('01 04 04 43668000 6FDF');
  const scan = replyScanner(request);

  it('waits for exactly 5 + 2N bytes, then takes the frame', () => {
    expect(scan(reply.subarray(0, 3))).toEqual({ need: 'more' });
    expect(scan(reply.subarray(0, 8))).toEqual({ need: 'more' });
    expect(scan(Buffer.concat([reply, hex('0103')]))).toEqual({ frame: reply });
    expect(decodeValue((parseReply(reply) as { data: Buffer }).data, 'float32')).toBe(230.5);
  });

  it('skips an echo of the request, also when it comes with the reply', () => {
    expect(scan(request.subarray(0, 5))).toEqual({ need: 'more' });
    expect(scan(Buffer.concat([request, reply]))).toEqual({ skip: 8, reason: 'echo' });
  });

  it('skips a complete frame from another unit', () => {
    const other = hex('03 04 04 00070008 6843');
    expect(scan(other)).toEqual({ skip: 9, reason: 'wrong-unit' });
    expect(scan(Buffer.concat([other, reply]))).toEqual({ skip: 9, reason: 'wrong-unit' });
  });

  it('drops a reply with a bad CRC', () => {
    const bad = Buffer.from(reply);
    bad[8] = bad[8]! ^ 0xff;
    expect(scan(bad)).toEqual({ skip: 9, reason: 'crc' });
  });

  it('resynchronises after noise', () => {
    expect(scan(Buffer.concat([hex('00 FF FE'), reply]))).toEqual({ skip: 3, reason: 'garbage' });
    expect(scan(hex('00'))).toEqual({ skip: 1, reason: 'garbage' });
  });

  it('returns an exception reply as a frame', () => {
    const exc = Buffer.from([1, 0x84, 2, 0, 0]);
    exc.writeUInt16LE(crc16(exc, 3), 3);
    expect(scan(exc)).toEqual({ frame: exc });
    expect(parseReply(exc)).toMatchObject({ unit: 1, fc: 4, exceptionCode: 2 });
  });

  it('takes bit replies of 5 + ceil(N/8) bytes', () => {
    const req = encodeReadRequest(2, 'coils', 0, 10);
    const body = Buffer.from([2, 1, 2, 0b101, 0b10]);
    const frame = Buffer.concat([body, Buffer.from([crc16(body) & 255, crc16(body) >> 8])]);
    expect(replyScanner(req)(frame)).toEqual({ frame });
  });
});

/** A device with a register image that refuses reads longer than `cap` or over unmapped registers with exception 02. */
function fakeDevice(image: Map<number, number>, cap = 125): ModbusClient & { log: number[] } {
  const log: number[] = [];
  return {
    description: 'fake',
    counters: newCounters(),
    log,
    async readRegisters(_unit, _fn, start, count) {
      log.push(count);
      if (count > cap) throw new ModbusError('exception 2', 2);
      const out = Buffer.alloc(count * 2);
      for (let i = 0; i < count; i++) {
        const v = image.get(start + i);
        if (v === undefined) throw new ModbusError('exception 2', 2);
        out.writeUInt16BE(v, i * 2);
      }
      return out;
    },
    async readBits() {
      throw new Error('no bits');
    },
    async close() {},
  };
}

const floats = (name: string, n: number): MeterProfile => {
  const r = validateProfile({
    name,
    description: 'test',
    source: 'test',
    function: 'input',
    points: Array.from({ length: n }, (_, i) => ({ name: `p${i}`, unit: '', kind: 'instantaneous', register: i * 2, type: 'uint32' })),
  });
  if (!r.ok || !isModbusProfile(r.profile)) throw new Error(JSON.stringify(r));
  return r.profile;
};

describe('cap and gap learning', () => {
  it('splits a refused read in halves and remembers the largest count that worked', async () => {
    const image = new Map(Array.from({ length: 24 }, (_, i) => [i, i % 2 ? i : 0]));
    const dev = fakeDevice(image, 10);
    const state: DeviceReadState = {};
    const first = await readMeter(dev, floats('t', 12), 1, { state });
    expect(first.errors).toEqual({});
    expect(first.values.p5).toEqual({ value: 11, unit: '' });
    expect(dev.log).toEqual([24, 12, 6, 6, 12, 6, 6]);
    expect(first.requests).toBe(7);
    expect(state.registerCap).toBe(6);
    dev.log.length = 0;
    const second = await readMeter(dev, floats('t', 12), 1, { state });
    expect(second.requests).toBe(4);
    expect(dev.log).toEqual([6, 6, 6, 6]);
    expect(Object.keys(second.values)).toHaveLength(12);
  });

  it('treats a refusal no longer than a read that worked as a gap in the map, not a cap', async () => {
    // mapped 0–17 and 40–43, 50–51: one block 40–51 spans the hole 44–49
    const image = new Map([...Array.from({ length: 18 }, (_, i) => i), 40, 41, 42, 43, 50, 51].map((a) => [a, 1]));
    const profile = validateProfile({
      name: 'gaps',
      description: 'test',
      source: 'test',
      function: 'holding',
      points: [...Array.from({ length: 9 }, (_, i) => i * 2), 40, 42, 50].map((r) => ({ name: `r${r}`, unit: '', kind: 'instantaneous', register: r, type: 'uint32' })),
    });
    if (!profile.ok || !isModbusProfile(profile.profile)) throw new Error('bad test profile');
    const dev = fakeDevice(image);
    const state: DeviceReadState = {};
    const first = await readMeter(dev, profile.profile, 1, { state, maxGap: 8 });
    expect(first.errors).toEqual({});
    expect(dev.log).toEqual([18, 12, 4, 2]);
    expect(state.registerCap).toBeUndefined();
    expect(state.splits).toEqual({ holding: [50] });
    dev.log.length = 0;
    await readMeter(dev, profile.profile, 1, { state, maxGap: 8 });
    expect(dev.log).toEqual([18, 4, 2]);
  });

  it('never splits one point, and never learns from single-point refusals', () => {
    expect(splitBlock({ start: 0, count: 2, points: [{ name: 'a', register: 0, type: 'float32' }] })).toEqual([]);
    expect(learnedCap(undefined, [], [4])).toBeUndefined();
    expect(learnedCap(undefined, [12], [6, 6, 20])).toBe(6);
    expect(learnedCap(8, [12], [10])).toBe(8);
  });

  it('keeps planned reads away from learned splits', () => {
    const p = (register: number) => ({ name: `r${register}`, register, type: 'uint16' as const });
    expect(planReads([p(0), p(2), p(4)], 8, 125, [4]).map((b) => [b.start, b.count])).toEqual([[0, 3], [4, 1]]);
  });

  it('stops after a request without an answer: a dead meter costs one timeout', async () => {
    let calls = 0;
    const dead: ModbusClient = {
      description: 'dead',
      counters: newCounters(),
      async readRegisters() {
        calls += 1;
        throw new ModbusError('no reply within 100 ms', undefined, true);
      },
      async readBits() {
        calls += 1;
        throw new ModbusError('no reply within 100 ms', undefined, true);
      },
      async close() {},
    };
    const read = await readMeter(dead, shippedProfiles().get('sdm630') as MeterProfile, 1);
    expect(calls).toBe(1);
    expect(read.requests).toBe(1);
    expect(Object.keys(read.errors)).toHaveLength(15);
    expect(read.errors.energy_total).toMatch(/not tried after an earlier request failed \(no reply within 100 ms\)/);
  });
});

describe('values', () => {
  it('reads bit fields of integer registers', () => {
    expect(decodeBits(hex('00A0'), 'uint16', 'ABCD', 4, 7)).toBe(10);
    expect(decodeBits(hex('8000'), 'int16', 'ABCD', 15, 15)).toBe(1);
    expect(decodeBits(hex('0001 0000'), 'uint32', 'CDAB', 16, 16)).toBe(0);
    expect(decodeBits(hex('0000 0001'), 'uint32', 'CDAB', 16, 16)).toBe(1);
    expect(decodeBits(hex('8000 0000 0000 0000'), 'uint64', 'ABCD', 63, 63)).toBe(1);
  });

  it('scales by powers of ten without binary noise and shows float32 as its shortest decimal', () => {
    expect(applyScale(2301, 0.1, 0)).toBe(230.1);
    expect(applyScale(15230, 0.001, 0)).toBe(15.23);
    expect(applyScale(3, 2.5, 1)).toBe(8.5);
    expect(decodeValue(hex('43666666'), 'float32')).toBe(230.4);
  });
});

describe('profiles', () => {
  const profiles = shippedProfiles();
  const NAMES = /^(power_total|power_l[123]|energy_(import|export|total)|voltage_l[123]|current_l[123]|frequency|power_factor|volume_total|volume_settlement|volume_working|flow_rate|temperature|pressure|alarm_[a-z_]+)$/;

  it('ships the Eastron, Chint, water and DL/T 645 profiles with a source and a note on what to verify', () => {
    expect([...profiles.keys()].sort()).toEqual(['cjt188-cold-water', 'cjt188-gas', 'dlt645-generic', 'dtsu666', 'dtsu666-101e', 'gas-flow-computer-generic', 'pulse-counter-gas', 'sdm120', 'sdm630', 'water-modbus-generic']);
    for (const p of profiles.values()) {
      expect(p.source.length).toBeGreaterThan(10);
      expect(p.verify).toMatch(/verify|check/i);
      for (const point of p.points) expect(point.name).toMatch(NAMES);
      for (const point of p.points.filter((x) => x.kind === 'counter')) expect(point.max).toBeGreaterThan(0);
    }
    expect(profiles.get('dtsu666')!.source).toMatch(/0x401E/);
    expect(profiles.get('water-modbus-generic')!.description).toMatch(/[Gg]eneric/);
  });

  it('gives a DL/T 645 profile data identifiers instead of registers', () => {
    const d = profiles.get('dlt645-generic')!;
    expect(d.protocol).toBe('dlt645');
    expect(d.points.map((p) => ('di' in p ? p.di : ''))).toContain('02800002');
  });

  it('explains what is wrong with an inline profile', () => {
    const r = validateProfile({
      name: 'Site Meter',
      description: 'x',
      source: 'x',
      function: 'holding',
      points: [
        { name: 'a', unit: 'V', kind: 'instantaneous', register: 70000, type: 'uint16' },
        { name: 'b', unit: '', kind: 'instantaneous', register: 1, type: 'float32', typo: 1 },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContainEqual({ path: 'name', message: expect.stringMatching(/got "Site Meter"; lower-case/) });
    expect(r.errors).toContainEqual({ path: 'points[0].register', message: 'got 70000; expected 0…65535' });
    expect(r.errors).toHaveLength(3);
    expect(r.errors).toContainEqual({ path: 'points[1].typo', message: expect.stringMatching(/unknown key; expected one of: name, unit, kind/) });

    const semantic = validateProfile({
      name: 'site',
      description: 'x',
      source: 'x',
      function: 'holding',
      points: [
        { name: 'a', unit: '', kind: 'instantaneous', register: 1 },
        { name: 'b', unit: '', kind: 'instantaneous', register: 1, type: 'float32', bit: 3 },
        { name: 'c', unit: '', kind: 'instantaneous', register: 1, function: 'coils', type: 'uint16' },
        { name: 'a', unit: '', kind: 'instantaneous', register: 2, type: 'uint16', bits: [3, 16] },
      ],
    });
    expect(semantic.ok).toBe(false);
    if (semantic.ok) return;
    expect(semantic.errors).toEqual(
      expect.arrayContaining([
        { path: 'points[0].type', message: expect.stringMatching(/missing; expected one of int16/) },
        { path: 'points[1].bit', message: 'bits need an integer type, not float32' },
        { path: 'points[2].type', message: expect.stringMatching(/not used with function "coils"/) },
        { path: 'points[3].name', message: '"a" is used by an earlier point' },
        { path: 'points[3].bits', message: 'bit 16 is outside a uint16 (bits 0…15)' },
      ]),
    );
    expect(validateProfile({ protocol: 'bacnet' })).toEqual({ ok: false, errors: [{ path: 'protocol', message: expect.stringMatching(/expected "modbus"/) }] });
  });

  it('resolves each point: function from the profile, bit n as bits [n, n]', () => {
    const r = validateProfile({
      name: 'site',
      description: 'x',
      source: 'x',
      function: 'holding',
      points: [
        { name: 'valve', unit: '', kind: 'instantaneous', register: 3, function: 'coils' },
        { name: 'alarm', unit: '', kind: 'instantaneous', register: '0x0010', type: 'uint16', bit: 2 },
      ],
    });
    expect(r.ok && r.profile.points).toEqual([
      expect.objectContaining({ name: 'valve', function: 'coils', register: 3, type: 'uint16' }),
      expect.objectContaining({ name: 'alarm', function: 'holding', register: 16, bits: [2, 2] }),
    ]);
  });
});
