// DL/T 645-2007 frames, BCD, signs, checksums and the reply scanner, byte by byte;
// plus the client's multi-frame and error handling on an in-memory line.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Dlt645Client } from '../drivers/dlt645/client.ts';
import { DI_TABLE, decodeBcd, decodeDi, decodeValue, diFormat, encodeBcd, encodeDi } from '../drivers/dlt645/di.ts';
import { Dlt645Error, errReason } from '../drivers/dlt645/errors.ts';
import {
  Fn,
  addressMatches,
  checksum,
  decodeAddress,
  decodeFrame,
  encodeAddress,
  encodeFrame,
  replyScanner,
  scanFrame,
  type Dlt645Frame,
} from '../drivers/dlt645/frame.ts';
import type { ByteStream, ByteStreamEvents } from '../drivers/serial/byte-stream.ts';
import { SharedBus, type FrameScan } from '../drivers/serial/shared-bus.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const REQUEST = hex('68 29 25 07 07 21 20 68 11 04 33 33 33 33 4E 16');
const REPLY = hex('68 29 25 07 07 21 20 68 91 08 33 33 33 33 A9 4A 36 33 2E 16');
const ADDRESS = '202107072529';

const frame = (f: Dlt645Frame) => encodeFrame(f, { preamble: false });
const reply = (control: number, data: Buffer, address = ADDRESS) => frame({ address, control, data });
const read = (di: string, address = ADDRESS): Dlt645Frame => ({ address, control: Fn.READ, data: encodeDi(di) });
const fmt = (di: string) => diFormat(di)!;

describe('DL/T 645 frames: the worked example of DOMAIN.md', () => {
  it('encodes the read of 00000000 from 202107072529 as FE FE FE FE + the example bytes', () => {
    const bytes = encodeFrame(read('00000000'));
    expect(bytes.toString('hex')).toBe(`fefefefe${REQUEST.toString('hex')}`);
    expect(encodeFrame(read('00000000'), { preamble: false })).toEqual(REQUEST);
  });

  it('decodes the example reply to 317.76 kWh', () => {
    const f = decodeFrame(REPLY);
    expect(f).toMatchObject({ address: ADDRESS, control: 0x91 });
    expect(decodeDi(f.data)).toBe('00000000');
    expect(f.data.subarray(4)).toEqual(hex('76 17 03 00'));
    expect(decodeValue(fmt('00000000'), f.data.subarray(4))).toEqual({ value: 317.76 });
    expect(fmt('00000000').unit).toBe('kWh');
  });

  it('checksums are the byte sum mod 256 from the first 68 to the byte before CS', () => {
    expect(checksum(REQUEST, 0, REQUEST.length - 2)).toBe(0x4e);
    expect(checksum(REPLY, 0, REPLY.length - 2)).toBe(0x2e);
  });
});

describe('addresses and DIs', () => {
  it('sends the 12 address digits lowest byte first', () => {
    expect(encodeAddress('202107072529')).toEqual(hex('29 25 07 07 21 20'));
    expect(decodeAddress(hex('29 25 07 07 21 20'))).toBe('202107072529');
    expect(encodeAddress('999999999999')).toEqual(hex('99 99 99 99 99 99'));
    expect(encodeAddress('AAAAAAAAAAAA')).toEqual(hex('AA AA AA AA AA AA'));
    expect(encodeAddress('aaaaaaaa2529')).toEqual(hex('29 25 AA AA AA AA'));
  });

  it('rejects addresses that are not 12 digits or AA bytes', () => {
    for (const bad of ['12345', '2021070725290', '20210707252X', 'A02107072529']) {
      expect(() => encodeAddress(bad)).toThrow(/expected 12 digits/);
    }
  });

  it('matches AA wildcard bytes against any meter', () => {
    expect(addressMatches('AAAAAAAAAAAA', ADDRESS)).toBe(true);
    expect(addressMatches('AAAAAAAA2529', ADDRESS)).toBe(true);
    expect(addressMatches('AAAAAAAA2530', ADDRESS)).toBe(false);
    expect(addressMatches(ADDRESS, '202107072530')).toBe(false);
  });

  it('sends DIs lowest byte first', () => {
    expect(encodeDi('02010100')).toEqual(hex('00 01 01 02'));
    expect(encodeDi('02800002')).toEqual(hex('02 00 80 02'));
    expect(decodeDi(hex('00 ff 01 00'))).toBe('0001FF00');
    expect(() => encodeDi('0201010')).toThrow(/8 hex digits/);
  });

  it('keeps DATA +0x33 on the wire', () => {
    const f = encodeFrame({ address: ADDRESS, control: 0x11, data: hex('00 01 01 02') }, { preamble: false });
    expect(f.subarray(10, 14)).toEqual(hex('33 34 34 35'));
    expect(decodeFrame(f).data).toEqual(hex('00 01 01 02'));
  });
});

describe('values: BCD lowest byte first, sign in the top bit where the DI says so', () => {
  it('decodes every DI of the table in its own format', () => {
    const cases: [string, string, number][] = [
      ['00010000', '00 30 12 00', 1230.0],
      ['00020000', '99 99 99 99', 999999.99],
      ['02010100', '01 22', 220.1],
      ['02020100', '23 51 00', 5.123],
      ['02020200', '50 12 80', -1.25],
      ['02030000', '45 23 80', -0.2345],
      ['02030100', '00 50 00', 0.5],
      ['02060000', '82 09', 0.982],
      ['02060000', '00 85', -0.5],
      ['02800002', '01 50', 50.01],
    ];
    for (const [di, bytes, value] of cases) expect(decodeValue(fmt(di), hex(bytes)).value, di).toBe(value);
  });

  it('makes the sign a property of the DI entry: combined energy, currents, power and PF signed; forward/reverse energy, voltage, frequency not', () => {
    const signed = DI_TABLE.filter((f) => f.signed).map((f) => f.di);
    expect(signed).toEqual(['00000000', '0000FF00', '02020100', '02020200', '02020300', '02030000', '02030100', '02030200', '02030300', '02060000']);
    // the same bytes read unsigned: 80 is two digits
    expect(decodeBcd(hex('50 12 80'), false)).toBe(801250);
    expect(decodeBcd(hex('50 12 80'), true)).toBe(-1250);
    expect(Object.is(decodeBcd(hex('00 00 80'), true), 0)).toBe(true); // no -0
  });

  it('decodes combined active energy 00000000 as signed (top bit of the highest byte): −12.34 kWh, not 800012.34', () => {
    // 12.34 kWh with bit 7 of the most significant byte set, lowest byte first
    expect(decodeValue(fmt('00000000'), hex('34 12 00 80'))).toEqual({ value: -12.34 });
    expect(decodeValue(fmt('00000000'), hex('76 17 03 00'))).toEqual({ value: 317.76 });
    expect(decodeValue(fmt('00000000'), hex('99 99 99 79'))).toEqual({ value: 799999.99 });
    // the block (total, tariff 1 …) is combined energy too: every element signed
    expect(decodeValue(fmt('0000FF00'), hex('34 12 00 80  00 10 00 00  34 22 00 80'))).toEqual({ value: -12.34, elements: [-12.34, 10, -22.34] });
    // forward and reverse energy stay unsigned: 80 is two digits there
    expect(decodeValue(fmt('00010000'), hex('34 12 00 80'))).toEqual({ value: 800012.34 });
    expect(decodeValue(fmt('00020000'), hex('34 12 00 80'))).toEqual({ value: 800012.34 });
  });

  it('encodes BCD back (for simulators) and round-trips', () => {
    expect(encodeBcd(31776, 4, false)).toEqual(hex('76 17 03 00'));
    expect(encodeBcd(-1250, 3, true)).toEqual(hex('50 12 80'));
    expect(() => encodeBcd(100000000, 4, false)).toThrow(RangeError);
    for (const n of [0, 1, 99, 123456, -799999]) expect(decodeBcd(encodeBcd(n, 3, true), true)).toBe(n);
  });

  it('names the DI on an invalid BCD nibble and on a wrong length', () => {
    expect(() => decodeValue(fmt('02010100'), hex('0A 22'))).toThrow(/02010100 \(phase A voltage\): invalid BCD digit in 220A/);
    expect(() => decodeValue(fmt('00000000'), hex('76 17 03'))).toThrow(/00000000 .*3 data bytes, expected 4/);
    try {
      decodeValue(fmt('02030000'), hex('FF FF FF'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(Dlt645Error);
      expect((err as Dlt645Error).kind).toBe('format');
      expect((err as Dlt645Error).details.di).toBe('02030000');
    }
  });

  it('decodes a block DI into all its values, the first being the value', () => {
    const data = Buffer.concat([30000, 10000, 12000].map((n) => encodeBcd(n, 4, false)));
    expect(decodeValue(fmt('0001FF00'), data)).toEqual({ value: 300, elements: [300, 100, 120] });
    expect(() => decodeValue(fmt('0001FF00'), data.subarray(0, 10))).toThrow(/multiple of 4/);
  });
});

describe('abnormal replies', () => {
  it('reports ERR bits as readable reasons', () => {
    expect(errReason(0x02)).toBe('no such data (DI not supported) (ERR 0x02)');
    expect(errReason(0x04)).toMatch(/^password wrong or not authorised/);
    expect(errReason(0x05)).toBe('other error; password wrong or not authorised (ERR 0x05)');
    expect(errReason(0x08)).toMatch(/communication rate cannot change/);
    expect(errReason(0x10)).toMatch(/year time zones exceeded/);
    expect(errReason(0x20)).toMatch(/day time periods exceeded/);
    expect(errReason(0x40)).toMatch(/tariffs exceeded/);
    expect(errReason(0x00)).toMatch(/without a reason/);
  });
});

describe('frame scanner', () => {
  const scanAll = (rx: Buffer, scan: (b: Buffer) => FrameScan = scanFrame) => {
    const skipped: Record<string, number> = {};
    let frame: Buffer | undefined;
    for (;;) {
      const r = scan(rx);
      if ('need' in r) break;
      if ('skip' in r) {
        expect(r.skip).toBeGreaterThan(0);
        skipped[r.reason] = (skipped[r.reason] ?? 0) + r.skip;
        rx = rx.subarray(r.skip);
        continue;
      }
      frame = Buffer.from(r.frame);
      break;
    }
    return { frame, skipped, rest: rx };
  };

  it('skips any number of FE before the frame as preamble', () => {
    expect(scanAll(Buffer.concat([hex('FE FE FE FE FE FE'), REPLY]))).toEqual({ frame: REPLY, skipped: { preamble: 6 }, rest: REPLY });
  });

  it('waits for more on every incomplete prefix', () => {
    const wire = Buffer.concat([hex('FE FE FE FE'), REPLY]);
    for (let n = 0; n < wire.length; n++) expect(scanAll(wire.subarray(0, n)).frame, `${n} bytes`).toBeUndefined();
  });

  it('skips line noise before the frame as garbage', () => {
    const r = scanAll(Buffer.concat([hex('00 13 55 AA'), hex('FE FE'), REPLY]));
    expect(r.frame).toEqual(REPLY);
    expect(r.skipped).toEqual({ garbage: 4, preamble: 2 });
  });

  it('skips a frame with a bad checksum whole, then finds the next', () => {
    const bad = Buffer.from(REPLY);
    bad[bad.length - 2]! ^= 0xff;
    const r = scanAll(Buffer.concat([bad, hex('FE FE FE FE'), REPLY]));
    expect(r.frame).toEqual(REPLY);
    expect(r.skipped).toEqual({ checksum: 20, preamble: 4 });
  });

  it('does not wait forever on a stray 68 that looks like a long header when a valid frame follows', () => {
    const noise = hex('68 01 02 03 04 05 06 68 11 40 99');
    const r = scanAll(Buffer.concat([noise, hex('FE FE'), REPLY]));
    expect(r.frame).toEqual(REPLY);
    expect(r.skipped).toEqual({ garbage: noise.length, preamble: 2 });
    // a header claiming L > 200 is not a frame at all
    expect(scanFrame(hex('68 01 02 03 04 05 06 68 11 C9'))).toEqual({ skip: 1, reason: 'garbage' });
  });

  it('finds a DL/T 645 reply after a Modbus RTU frame on the same line', () => {
    const modbus = hex('01 04 04 43 5C 00 00 DF 2F');
    const r = scanAll(Buffer.concat([modbus, REPLY]));
    expect(r.frame).toEqual(REPLY);
    expect(r.skipped.garbage).toBe(modbus.length);
  });

  it('for a request, skips its echo, other meters, other functions and other DIs', () => {
    const req = read('00000000');
    const scan = replyScanner(req);
    const other = reply(0x91, Buffer.concat([encodeDi('00000000'), encodeBcd(1, 4, false)]), '202107072530');
    const otherDi = reply(0x91, Buffer.concat([encodeDi('00010000'), encodeBcd(1, 4, false)]));
    const otherFn = reply(0x93, encodeAddress(ADDRESS));
    const foreignRequest = frame(read('00010000'));
    const r = scanAll(Buffer.concat([hex('FE FE FE FE'), frame(req), other, otherDi, otherFn, foreignRequest, REPLY]), scan);
    expect(r.frame).toEqual(REPLY);
    expect(r.skipped).toEqual({ preamble: 4, echo: 16, 'wrong-address': 20, 'wrong-di': 20, 'wrong-function': 18, 'not-a-reply': 16 });
  });

  it('accepts an abnormal reply (no DI in it) from the right meter', () => {
    const abn = reply(0xd1, hex('02'));
    expect(scanAll(abn, replyScanner(read('04000401'))).frame).toEqual(abn);
  });

  it('accepts any meter answering a wildcard read-address', () => {
    const r = reply(0x93, encodeAddress(ADDRESS));
    expect(scanAll(r, replyScanner({ address: 'AAAAAAAAAAAA', control: Fn.READ_ADDRESS, data: Buffer.alloc(0) })).frame).toEqual(r);
  });
});

/** An in-memory line: `answer` gets each request (preamble stripped) and returns the bytes the "meter" sends. */
class FakeLine extends EventEmitter<ByteStreamEvents> implements ByteStream {
  readonly description = 'fake';
  isOpen = false;
  readonly written: Buffer[] = [];
  constructor(private readonly answer: (req: Dlt645Frame) => Buffer[]) {
    super();
  }
  async open() {
    this.isOpen = true;
  }
  async write(data: Buffer) {
    this.written.push(data);
    const at = data.indexOf(0x68);
    const chunks = this.answer(decodeFrame(data.subarray(at)));
    setTimeout(() => chunks.forEach((c) => this.emit('data', c)), 1);
  }
  async close() {
    this.isOpen = false;
  }
}

describe('client on an in-memory line', () => {
  const blockDi = encodeDi('0001FF00');
  const kwh = (...n: number[]) => Buffer.concat(n.map((x) => encodeBcd(x, 4, false)));

  it('follows 0xB1/0xB2 frames with 0x12 and an incrementing sequence until 0x92', async () => {
    const parts = [kwh(30000), kwh(10000), kwh(12000, 5000), kwh(3000)];
    const line = new FakeLine((req) => {
      if (req.control === Fn.READ) return [reply(0xb1, Buffer.concat([blockDi, parts[0]!]))];
      const seq = req.data[4]!;
      const last = seq === parts.length - 1;
      return [reply(last ? 0x92 : 0xb2, Buffer.concat([blockDi, parts[seq]!, Buffer.from([seq])]))];
    });
    const client = new Dlt645Client(new SharedBus(line), { timeoutMs: 200 });
    const r = await client.readPoints(ADDRESS, [{ name: 'block', di: '0001FF00' }]);
    expect(r).toEqual({ values: { block: { value: 300, unit: 'kWh', elements: [300, 100, 120, 50, 30] } }, errors: {}, requests: 4 });
    const sent = line.written.map((w) => decodeFrame(w.subarray(4)));
    expect(sent.map((f) => f.control)).toEqual([0x11, 0x12, 0x12, 0x12]);
    expect(sent.slice(1).map((f) => f.data[4])).toEqual([1, 2, 3]);
  });

  it('fails a follow-up that carries the wrong sequence, or an abnormal follow-up', async () => {
    let mode = 'seq';
    const line = new FakeLine((req) => {
      if (req.control === Fn.READ) return [reply(0xb1, Buffer.concat([blockDi, kwh(1)]))];
      return mode === 'seq' ? [reply(0x92, Buffer.concat([blockDi, kwh(2), Buffer.from([7])]))] : [reply(0xd2, hex('01'))];
    });
    const client = new Dlt645Client(new SharedBus(line), { timeoutMs: 200 });
    await expect(client.read(ADDRESS, '0001FF00')).rejects.toThrow(/sequence 7, asked 1/);
    mode = 'abnormal';
    await expect(client.read(ADDRESS, '0001FF00')).rejects.toThrow(/abnormal reply to follow-up frame 2: other error/);
  });

  it('reports units as asked (kW → W) and a DI outside the table by a given format', async () => {
    const line = new FakeLine((req) => {
      const di = decodeDi(req.data);
      if (di === '02030000') return [reply(0x91, Buffer.concat([req.data.subarray(0, 4), hex('45 23 81')]))];
      return [reply(0x91, Buffer.concat([req.data.subarray(0, 4), hex('56 34 12')]))];
    });
    const client = new Dlt645Client(new SharedBus(line), { timeoutMs: 200 });
    const r = await client.readPoints(ADDRESS, [
      { name: 'p', di: '02030000', unit: 'W' },
      { name: 'x', di: '04000409', format: { bytes: 3, decimals: 0, unit: 'imp/kWh' } },
      { name: 'raw', di: '04000409' },
      { name: 'bad', di: '02030000', unit: 'V' },
    ]);
    expect(r.values).toEqual({ p: { value: -1234.5, unit: 'W' }, x: { value: 123456, unit: 'imp/kWh' } });
    expect(r.errors).toEqual({ raw: 'unknown DI format; raw 123456', bad: expect.stringMatching(/in kW, cannot report it in V/) });
  });

  it('stops asking a meter that does not answer: the other points are not tried', async () => {
    const line = new FakeLine(() => []);
    const bus = new SharedBus(line);
    const client = new Dlt645Client(bus, { timeoutMs: 50, retries: 1 });
    const r = await client.readPoints(ADDRESS, [
      { name: 'a', di: '00000000' },
      { name: 'b', di: '02010100' },
    ]);
    expect(r.values).toEqual({});
    expect(r.errors.a).toMatch(/meter 202107072529 did not answer 00000000: no reply within 50 ms \(2 tries\)/);
    expect(r.errors.b).toMatch(/^not tried: /);
    expect(r.requests).toBe(2);
    expect(bus.counters.timeouts).toBe(2);
  });
});
