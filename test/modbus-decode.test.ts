import { describe, expect, it } from 'vitest';
import { BYTE_ORDERS, VALUE_TYPES, decodeValue, encodeValue } from '../drivers/modbus/decode.ts';
import { planReads } from '../drivers/modbus/plan.ts';

const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

describe('register decoding', () => {
  it('decodes float32 230.5 V in each byte order', () => {
    // 230.5 = 0x43668000 → bytes A=43 B=66 C=80 D=00
    expect(decodeValue(hex('4366 8000'), 'float32', 'ABCD')).toBe(230.5);
    expect(decodeValue(hex('8000 4366'), 'float32', 'CDAB')).toBe(230.5);
    expect(decodeValue(hex('6643 0080'), 'float32', 'BADC')).toBe(230.5);
    expect(decodeValue(hex('0080 6643'), 'float32', 'DCBA')).toBe(230.5);
  });

  it('decodes signed and unsigned integers', () => {
    expect(decodeValue(hex('FFFE'), 'int16')).toBe(-2);
    expect(decodeValue(hex('FFFE'), 'uint16')).toBe(65534);
    expect(decodeValue(hex('FEFF'), 'int16', 'BADC')).toBe(-2);
    expect(decodeValue(hex('0001 86A0'), 'uint32')).toBe(100000);
    expect(decodeValue(hex('86A0 0001'), 'uint32', 'CDAB')).toBe(100000);
    expect(decodeValue(hex('FFFF FFFF FFFF FF85'), 'int64')).toBe(-123);
    expect(decodeValue(hex('FF85 FFFF FFFF FFFF'), 'int64', 'CDAB')).toBe(-123);
  });

  it('round-trips every type in every order', () => {
    for (const type of VALUE_TYPES) {
      const v = type.startsWith('float') ? 1234.5 : type.startsWith('u') ? 4321 : -4321;
      for (const order of BYTE_ORDERS) expect(decodeValue(encodeValue(v, type, order), type, order)).toBe(v);
    }
  });

  it('refuses a buffer of the wrong length', () => {
    expect(() => decodeValue(hex('0000'), 'float32')).toThrow(/needs 4 bytes, got 2/);
  });
});

describe('request planner', () => {
  const p = (name: string, register: number, type: 'float32' | 'uint16' = 'float32') => ({ name, register, type });

  it('merges contiguous and near points into one read', () => {
    const blocks = planReads([p('a', 0), p('b', 2), p('c', 10)], 8);
    expect(blocks.map((b) => [b.start, b.count, b.points.map((x) => x.name).join('')])).toEqual([[0, 12, 'abc']]);
  });

  it('splits when the gap is wider than allowed', () => {
    const blocks = planReads([p('a', 0), p('b', 20)], 8);
    expect(blocks.map((b) => [b.start, b.count])).toEqual([[0, 2], [20, 2]]);
  });

  it('never exceeds the register cap', () => {
    const points = Array.from({ length: 100 }, (_, i) => p(`p${i}`, i * 2));
    const blocks = planReads(points, 8, 125);
    expect(blocks.every((b) => b.count <= 125)).toBe(true);
    expect(blocks.map((b) => b.count)).toEqual([124, 76]);
    expect(planReads(points, 8, 30).every((b) => b.count <= 30)).toBe(true);
  });
});
