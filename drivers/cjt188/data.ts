// The meter data of DI 901FH for water and gas meters (CJ/T 188-2004 Table 6, "计量
//数据"): after DI0 DI1 SER come the current cumulative flow (4 B BCD, XXXXXX.XX, lowest
// byte first) and its unit byte, the cumulative flow at the settlement day and its unit,
// the meter's real time (7 B BCD) and the status ST (2 B). Unit codes from Table 5
// (2CH m³, 29H L); status bits from the ST table: D0–D1 valve (00 open, 01 closed,
// 11 abnormal), D2 battery (1 = low). *check* the status bits per make: some meters
// leave them at 0.
import { Cjt188Error } from './errors.ts';

/** Unit codes of CJ/T 188-2004 Table 5 that a water or gas meter uses, with the factor to m³. */
export const VOLUME_UNITS: Record<number, { unit: string; toM3: number }> = {
  0x29: { unit: 'L', toM3: 0.001 },
  0x2a: { unit: '10 L', toM3: 0.01 },
  0x2b: { unit: '100 L', toM3: 0.1 },
  0x2c: { unit: 'm3', toM3: 1 },
  0x2d: { unit: '10 m3', toM3: 10 },
  0x2e: { unit: '100 m3', toM3: 100 },
};

/** The fields a 901F reply carries, by the names profiles use in `field`. */
export const METER_DATA_FIELDS = ['volume_total', 'volume_settlement', 'valve_closed', 'valve_abnormal', 'battery_low'] as const;
export type MeterDataField = (typeof METER_DATA_FIELDS)[number];

export interface MeterData {
  /** m³, converted from the meter's unit */
  volume_total: number;
  volume_settlement: number;
  valve_closed: 0 | 1;
  valve_abnormal: 0 | 1;
  battery_low: 0 | 1;
  /** the meter's clock as it says it, YYYY-MM-DD hh:mm:ss (no zone: the meter keeps local time) */
  clock: string;
  /** ST as sent, hex */
  status: string;
}

/** Packed BCD, lowest byte first → integer; undefined on a nibble above 9. */
export function decodeBcd(bytes: Buffer): number | undefined {
  let n = 0;
  for (let i = bytes.length - 1; i >= 0; i--) {
    const hi = bytes[i]! >> 4;
    const lo = bytes[i]! & 0x0f;
    if (hi > 9 || lo > 9) return undefined;
    n = n * 100 + hi * 10 + lo;
  }
  return n;
}

function volume(bytes: Buffer, what: string): number {
  const n = decodeBcd(bytes.subarray(0, 4));
  if (n === undefined) throw new Cjt188Error(`${what}: invalid BCD digit in ${Buffer.from(bytes.subarray(0, 4)).reverse().toString('hex')}`, 'format');
  const code = bytes[4]!;
  const unit = VOLUME_UNITS[code];
  if (!unit) throw new Cjt188Error(`${what}: unit code ${code.toString(16).padStart(2, '0').toUpperCase()}H is not a volume unit (expected 29H L … 2CH m³)`, 'format');
  // cents of the unit → m³, without binary noise: 123456 × 0.01 × 0.001 = 1.23456
  return Number(((n / 100) * unit.toM3).toFixed(5));
}

/** DATA of a 901F reply after DI and SER (19 bytes for water and gas meters) → values. */
export function decodeMeterData(data: Buffer): MeterData {
  if (data.length < 19) throw new Cjt188Error(`meter data of ${data.length} bytes, expected 19 (flow, settlement flow, time, status)`, 'format');
  const t = data.subarray(10, 17);
  const d = (i: number) => ((t[i]! >> 4) * 10 + (t[i]! & 0x0f)).toString().padStart(2, '0');
  const st = data[17]!;
  const valve = st & 0x03;
  return {
    volume_total: volume(data.subarray(0, 5), 'current cumulative flow'),
    volume_settlement: volume(data.subarray(5, 10), 'settlement-day cumulative flow'),
    valve_closed: valve === 0x01 ? 1 : 0,
    valve_abnormal: valve === 0x03 ? 1 : 0,
    battery_low: st & 0x04 ? 1 : 0,
    // ss mm hh DD MM YY(low) YY(high)
    clock: `${d(6)}${d(5)}-${d(4)}-${d(3)} ${d(2)}:${d(1)}:${d(0)}`,
    status: Buffer.from(data.subarray(17, 19)).toString('hex').toUpperCase(),
  };
}
