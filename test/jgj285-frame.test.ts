// Frames and XML of the building-energy upload (JGJ/T 285 family). The fixed
// vectors were computed outside this code: AES with `openssl enc -aes-128-cbc
// -nopad` on the zero-padded XML, the CRC with a bitwise Python CRC16-CCITT
// (poly 0x1021, init 0) cross-checked against Python's binascii.crc_hqx.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FrameCodec, crc16ccitt, parseKey16, resolveIv } from '../gateway/uplink/jgj285/frame.ts';
import { resolveWire } from '../gateway/uplink/jgj285/client.ts';
import { jgj285UplinkSchema } from '../gateway/uplink/jgj285/schema.ts';
import { buildMessage, formatTime, parseMessage, parseTime, parseXml, type Body } from '../gateway/uplink/jgj285/xml.ts';

const KEY = parseKey16('000102030405060708090a0b0c0d0e0f', 'key');
const HEARTBEAT_XML =
  '<?xml version="1.0" encoding="UTF-8"?><root><common><building_id>330100A001</building_id><gateway_id>01</gateway_id><type>notify</type></common><heart_beat operation="notify"/></root>';
// python3: 55aa55aa | len 0xc4 = 4 + 192 | seq 7 | openssl cipher | crc 0xd12c LE | 68681616
const VECTOR_1 = Buffer.from(
  '55aa55aac400000007000000773d2522fa3193de333c360818ab95193efc02d07c11203f62e3b73e4995c978eb216462374acb6c8ae07475b1568afc2c81ae0ee851ea473f290f84d1b7a3b66be72159f34d1a7a69140b669844e5a941bf2cda04c8d413a8c83946d3cfebe323b51410176205b0f552f14e1b5e9e8861cd23c63cc27339631ad6ca46e4621b56c4e3690c054ad62aef3f9c0f8cbb8ee0c81e606528c0c829f3c3b87447c520d6d3cc5e42c4d47ca09d7e38366218fd6e7f5056050f00abf81a364857052d3e2cd168681616',
  'hex',
);
// the variant knobs: text key with IV = key, big-endian length/seq/CRC, length = cipher only,
// CRC over length + seq + cipher; the 32-byte XML fills two blocks, so no padding is added
const VECTOR_2 = Buffer.from('55aa55aa00000020010203049288fc3229868799889b8f03b5bdeff4d75d2e0eddadfc696fe74412ca4a949799ea68681616', 'hex');

const codec = () => new FrameCodec(KEY, resolveIv(undefined, KEY));

describe('jgj285 frames', () => {
  it('CRC16-CCITT with init 0 is the XMODEM check value 0x31C3 for "123456789"', () => {
    expect(crc16ccitt(Buffer.from('123456789'))).toBe(0x31c3);
    expect(crc16ccitt(Buffer.from('123456789'), 0xffff)).toBe(0x29b1); // CCITT-FALSE, to show init matters
  });

  it('encodes the independently computed vector byte for byte, and decodes it back', () => {
    expect(buildMessage({ building_id: '330100A001', gateway_id: '01', body: { kind: 'heart_beat', operation: 'notify' } })).toBe(HEARTBEAT_XML);
    expect(codec().encode(7, HEARTBEAT_XML).toString('hex')).toBe(VECTOR_1.toString('hex'));
    const d = codec().decoder();
    expect(d.push(VECTOR_1)).toEqual([{ kind: 'frame', seq: 7, xml: HEARTBEAT_XML }]);
    expect(d.pending).toBe(0);
  });

  it('encodes and decodes a variant: IV = key, big-endian fields, length of cipher only, CRC over len+seq+cipher', () => {
    const key = parseKey16('abcdefghijklmnop', 'key');
    const c = new FrameCodec(key, resolveIv('key', key), { lengthByteOrder: 'be', sequenceByteOrder: 'be', crcByteOrder: 'be', lengthCovers: 'cipher', crcScope: 'len+seq+cipher' });
    expect(c.encode(0x01020304, '<root><a>0123456789ab</a></root>').toString('hex')).toBe(VECTOR_2.toString('hex'));
    expect(c.decoder().push(VECTOR_2)).toEqual([{ kind: 'frame', seq: 0x01020304, xml: '<root><a>0123456789ab</a></root>' }]);
    // the default framing does not read it
    expect(codec().decoder().push(VECTOR_2).filter((e) => e.kind === 'frame')).toEqual([]);
  });

  it('decodes frames split at every byte boundary and back to back', () => {
    const two = Buffer.concat([codec().encode(1, 'first'), codec().encode(2, 'x'.repeat(100))]);
    for (let cut = 1; cut < two.length; cut += 7) {
      const d = codec().decoder();
      const events = [...d.push(two.subarray(0, cut)), ...d.push(two.subarray(cut))];
      expect(events).toEqual([
        { kind: 'frame', seq: 1, xml: 'first' },
        { kind: 'frame', seq: 2, xml: 'x'.repeat(100) },
      ]);
    }
  });

  it('resynchronises on the magic after garbage, including a false magic and a partial magic at a chunk end', () => {
    const d = codec().decoder();
    const garbage = Buffer.from('00ff55aa55aa01000000ffff1234', 'hex'); // a magic with a nonsense length
    const events = [...d.push(Buffer.concat([garbage, Buffer.from([0x55, 0xaa])])), ...d.push(Buffer.concat([Buffer.from([0x55, 0xaa]), VECTOR_1.subarray(4)]))];
    expect(events.filter((e) => e.kind === 'frame')).toEqual([{ kind: 'frame', seq: 7, xml: HEARTBEAT_XML }]);
    expect(d.counters.badLength).toBe(1);
    expect(d.counters.frames).toBe(1);
    expect(d.counters.skippedBytes).toBeGreaterThan(0);
  });

  it('rejects a frame with a bad CRC and still takes the next one', () => {
    const bad = Buffer.from(VECTOR_1);
    bad[40]! ^= 0x01; // one bit of cipher text
    const d = codec().decoder();
    const events = d.push(Buffer.concat([bad, codec().encode(8, 'after')]));
    expect(events[0]).toMatchObject({ kind: 'error', reason: 'crc' });
    expect(events[1]).toEqual({ kind: 'frame', seq: 8, xml: 'after' });
    expect(d.counters).toMatchObject({ badCrc: 1, frames: 1 });
  });

  it('rejects a wrong trailer', () => {
    const bad = Buffer.from(VECTOR_1);
    bad[bad.length - 1] = 0x17;
    const d = codec().decoder();
    expect(d.push(bad).filter((e) => e.kind === 'frame')).toEqual([]);
    expect(d.counters.badTrailer).toBe(1);
  });

  it('zero padding adds no block to whole blocks; PKCS#7 always does', () => {
    const z16 = new FrameCodec(KEY, KEY);
    expect(z16.encrypt(Buffer.alloc(32, 0x41)).length).toBe(32);
    expect(z16.encrypt(Buffer.alloc(33, 0x41)).length).toBe(48);
    const p = new FrameCodec(KEY, KEY, { padding: 'pkcs7' });
    expect(p.encrypt(Buffer.alloc(32, 0x41)).length).toBe(48);
    expect(p.decrypt(p.encrypt(Buffer.from('héllo'))).toString()).toBe('héllo');
  });

  it('keys: 32 hex digits or 16 bytes of text, nothing else', () => {
    expect(parseKey16('abcdefghijklmnop', 'k')).toEqual(Buffer.from('abcdefghijklmnop'));
    expect(parseKey16('000102030405060708090A0B0C0D0E0F', 'k')[15]).toBe(15);
    expect(() => parseKey16('short', 'aes_key')).toThrow(/aes_key: got 5 bytes/);
    expect(resolveIv('zero', KEY)).toEqual(Buffer.alloc(16));
    expect(resolveIv('key', KEY)).toEqual(KEY);
  });
});

describe('jgj285 XML', () => {
  it('builds and parses each message, escaping what needs it', () => {
    const msgs = [
      { kind: 'id_validate', operation: 'request' },
      { kind: 'id_validate', operation: 'sequence', sequence: '123456789' },
      { kind: 'id_validate', operation: 'md5', md5: 'd41d8cd98f00b204e9800998ecf8427e' },
      { kind: 'id_validate', operation: 'result', result: 'fail' },
      { kind: 'heart_beat', operation: 'notify' },
      { kind: 'heart_beat', operation: 'time', time: '20250101083000' },
      {
        kind: 'data',
        operation: 'report',
        sequence: '3',
        time: '20250101080000',
        meters: [
          { id: 'kitchen-main', functions: [{ id: '1', coding: '01D20', value: '12.34' }] },
          { id: 'a&b<"c">', functions: [{ id: '2', coding: '02000', error: '1', value: '0.50' }] },
        ],
      },
      { kind: 'data', operation: 'continuous', sequence: '4', parser: 'yes', time: '20250101081500', meters: [{ id: 'm', functions: [{ id: '1', coding: '01A00', value: '1.00' }] }] },
      { kind: 'ack', element: 'data', operation: 'report_ack', sequence: '3', result: 'pass' },
      { kind: 'ack', element: 'report_config', operation: 'report_ack', sequence: '', result: 'fail' },
    ] satisfies Body[];
    for (const body of msgs) {
      const xml = buildMessage({ building_id: 'B&1', gateway_id: 'G<1>', body });
      const back = parseMessage(xml);
      expect(back.body).toMatchObject(body);
      expect(back).toMatchObject({ building_id: 'B&1', gateway_id: 'G<1>', type: body.operation });
    }
  });

  it('parses a hand-written variant: whitespace, comments, CDATA, references, operation only in <type>', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8" ?>
      <!-- from the platform -->
      <root>
        <common>
          <building_id>330100A001</building_id>
          <gateway_id>01</gateway_id>
          <type>time</type>
        </common>
        <heart_beat>
          <time><![CDATA[2025-01-01 08:30:00]]></time>
        </heart_beat>
      </root>`;
    expect(parseMessage(xml).body).toEqual({ kind: 'heart_beat', operation: 'time', time: '2025-01-01 08:30:00' });
    expect(parseXml('<a x=\'1 &amp; 2\'>&#x4E2D;&#25991;</a>')).toEqual({ name: 'a', attrs: { x: '1 & 2' }, children: [], text: '中文' });
  });

  it('refuses malformed XML and DTDs', () => {
    expect(() => parseXml('<a><b></a>')).toThrow(/does not close/);
    expect(() => parseXml('<a>')).toThrow(/not closed/);
    expect(() => parseXml('<!DOCTYPE a [<!ENTITY x "y">]><a/>')).toThrow(/DOCTYPE/);
    expect(() => parseXml('<a>&foo;</a>')).toThrow(/unknown entity/);
    expect(() => parseMessage('<root><common/></root>')).toThrow(/no <id_validate>/);
  });

  it('formats and parses local times in the configured zone', () => {
    const at = Date.UTC(2025, 0, 1, 0, 30, 15, 999); // 08:30:15 in Shanghai
    expect(formatTime(at, 'Asia/Shanghai')).toBe('20250101083015');
    expect(parseTime('20250101083015', 'Asia/Shanghai')).toBe(Date.UTC(2025, 0, 1, 0, 30, 15));
    expect(parseTime('2025-01-01 08:30:15', 'UTC')).toBe(Date.UTC(2025, 0, 1, 8, 30, 15));
  });
});

describe('jgj285 config', () => {
  const minimal = { id: 'energy-platform', type: 'jgj285', host: '10.0.0.5', port: 8600, building_id: '330100A001', gateway_id: '01', aes_key: 'abcdefghijklmnop', login_key: 'secret' };

  it('fills the defaults from DOMAIN.md (profile custom, every key as today)', () => {
    const c = jgj285UplinkSchema.parse(minimal);
    expect(c).toMatchObject({ profile: 'custom', streams: ['intervals'], heartbeat_s: 60, time_zone: 'Asia/Shanghai', report_time: 'start', meter_functions: {}, unmapped_meters: 'reject' });
    expect(resolveWire(c)).toEqual({
      aesIv: 'zero',
      framing: { lengthByteOrder: 'le', sequenceByteOrder: 'le', crcByteOrder: 'le', lengthCovers: 'seq+cipher', crcScope: 'seq+cipher', padding: 'zero', maxFrameBytes: 4 * 1024 * 1024, text: 'utf-8' },
      md5Input: 'sequence+key',
      md5Case: 'lower',
      ackForms: ['data-result', 'report-config'],
      parser: 'yes',
    });
    expect(c.backoff).toEqual({ min_ms: 1000, max_ms: 300_000, offline_after_ms: 60_000 });
  });

  it('bundles the framing keys in one profile word; a wrong word is an error with "did you mean"', () => {
    const server3 = resolveWire(jgj285UplinkSchema.parse({ ...minimal, profile: 'server3' }));
    expect(server3).toMatchObject({ aesIv: 'key', ackForms: ['report-config', 'data-result'], parser: 'yes', framing: { text: 'utf-8', crcByteOrder: 'le', lengthCovers: 'seq+cipher' } });
    const ningbo = resolveWire(jgj285UplinkSchema.parse({ ...minimal, profile: 'ningbo-2018', aes_iv: '0123456789abcdef' }));
    expect(ningbo).toMatchObject({ aesIv: '0123456789abcdef', framing: { text: 'utf-16le' } });
    expect(resolveWire(jgj285UplinkSchema.parse({ ...minimal, profile: 'guideline' }))).toMatchObject({ aesIv: 'zero', framing: { text: 'utf-8' } });
    const issues = (over: Record<string, unknown>) => jgj285UplinkSchema.safeParse({ ...minimal, ...over }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ profile: 'sever3' })).toEqual(['profile: unknown profile; did you mean "server3"? expected one of guideline, server3, ningbo-2018, custom']);
    expect(issues({ profile: 'ningbo' })![0]).toMatch(/did you mean "ningbo-2018"/);
    expect(issues({ profile: 'ningbo-2018' })).toEqual(['aes_iv: profile ningbo-2018 needs the IV the platform issued: 16 characters or 32 hex digits']);
    expect(issues({ profile: 'server3', aes_iv: 'zero' })![0]).toMatch(/^aes_iv: profile server3 fixes the IV to "key"/);
    expect(issues({ profile: 'guideline', framing: { crc_byte_order: 'be' } })).toEqual(['framing: framing is fixed by profile guideline; remove it, or use profile: custom to give every key']);
    expect(issues({ profile: 'custom', framing: { crc_byte_order: 'be', text: 'utf-16le' } })).toBeUndefined();
  });

  it('takes only sub-item codes of the table and names the nearest valid ones', () => {
    const issues = jgj285UplinkSchema.safeParse({ ...minimal, meter_functions: { m1: { coding: '01D2C' } } }).error?.issues;
    expect(issues?.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'meter_functions.m1.coding: not in the sub-item code table (分项能耗编码); nearest valid codes: 01D20 厨房餐厅, 01D2A 炊事, 01D2B 厨房通风',
    ]);
    expect(jgj285UplinkSchema.safeParse({ ...minimal, meter_functions: { m1: { coding: '01E00' } } }).error?.issues[0]!.message).toMatch(/nearest valid codes: 01000 电, 01A00 照明插座用电/);
    expect(jgj285UplinkSchema.safeParse({ ...minimal, meter_functions: { m1: { coding: '01C20' } } }).success).toBe(true);
  });

  it('refuses bad keys, unknown keys, bad sub-item codes and other streams', () => {
    expect(jgj285UplinkSchema.safeParse({ ...minimal, aes_key: 'too short' }).success).toBe(false);
    expect(jgj285UplinkSchema.safeParse({ ...minimal, aes_key: { file: '/run/secrets/aes' } }).success).toBe(true);
    expect(jgj285UplinkSchema.safeParse({ ...minimal, aes_iv: 'nope' }).success).toBe(false);
    expect(jgj285UplinkSchema.safeParse({ ...minimal, colour: 'red' }).success).toBe(false);
    expect(jgj285UplinkSchema.safeParse({ ...minimal, meter_functions: { m1: { coding: 'kitchen' } } }).success).toBe(false);
    expect(jgj285UplinkSchema.safeParse({ ...minimal, streams: ['readings'] }).success).toBe(false);
    expect(jgj285UplinkSchema.parse({ ...minimal, meter_functions: { m1: { coding: '01D20' } } }).meter_functions.m1).toEqual({ function: '1', coding: '01D20', value: 'reading' });
  });

  it('describes every key (for docs/config.md)', () => {
    const undescribed: string[] = [];
    const walk = (s: Record<string, unknown>, key: string) => {
      if (key && !s.description) undescribed.push(key);
      for (const [k, c] of Object.entries((s.properties as Record<string, Record<string, unknown>>) ?? {})) walk(c, key ? `${key}.${k}` : k);
      const extra = s.additionalProperties as Record<string, unknown> | undefined;
      if (extra && typeof extra === 'object') for (const [k, c] of Object.entries((extra.properties as Record<string, Record<string, unknown>>) ?? {})) walk(c, `${key}.*.${k}`);
    };
    walk(z.toJSONSchema(jgj285UplinkSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>, '');
    expect(undescribed).toEqual([]);
  });
});
