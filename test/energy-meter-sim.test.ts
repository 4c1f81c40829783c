// The built-in meter simulator, read by an independent Modbus implementation
// (pymodbus) and by our own reader: both must see the same SDM630 values.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeValue } from '../drivers/modbus/decode.ts';
import { readMeter } from '../drivers/modbus/meter-reader.ts';
import { builtinProfiles } from '../drivers/meter-protocols.ts';
import { ModbusTcpClient } from '../drivers/modbus/tcp-client.ts';
import { EnergyMeterSim, canteenLoadShape } from '../gateway/sim/energy-meter.ts';
import { freePort } from './helpers/ports.ts';
import { runPeer } from './peers/python.ts';

const profile = builtinProfiles().get('sdm630')!;
let sim: EnergyMeterSim;
let port: number;

beforeAll(async () => {
  port = await freePort();
  sim = new EnergyMeterSim({ host: '127.0.0.1', port, unitId: 7, baseLoadKw: 20, initialEnergyKwh: 1000, profile });
  await sim.start();
});
afterAll(() => sim.stop());

const floats = (regs: number[]) => {
  const out: number[] = [];
  for (let i = 0; i + 1 < regs.length; i += 2) out.push(decodeValue(Buffer.from([regs[i]! >> 8, regs[i]! & 255, regs[i + 1]! >> 8, regs[i + 1]! & 255]), 'float32'));
  return out;
};

describe('energy meter simulator', () => {
  it('serves SDM630 float32 registers that pymodbus reads as a consistent three-phase load', async () => {
    const res = JSON.parse(await runPeer('pymodbus_read.py', ['127.0.0.1', String(port), '7', '0:18', '0x48:2']));
    const [v1, v2, v3, i1, i2, i3, p1, p2, p3] = floats(res['0:18'].registers);
    for (const v of [v1, v2, v3]) expect(v).toBeGreaterThan(215), expect(v).toBeLessThan(245);
    for (const [p, v, i] of [[p1, v1, i1], [p2, v2, i2], [p3, v3, i3]] as const) {
      expect(p! / (v! * i!)).toBeGreaterThan(0.89); // power factor
      expect(p! / (v! * i!)).toBeLessThan(0.95);
    }
    const [energy] = floats(res['0x48:2'].registers);
    expect(energy).toBeGreaterThanOrEqual(1000);
    expect(energy).toBeLessThan(1001);
  });

  it('our reader gets the same values in 3 coalesced requests', async () => {
    const client = new ModbusTcpClient({ host: '127.0.0.1', port, timeoutMs: 1000 });
    const read = await readMeter(client, profile, 7);
    await client.close();
    expect(read.errors).toEqual({});
    expect(read.requests).toBe(3); // 0x00–0x11, 0x34–0x4B, 0x156–0x157
    expect(Object.keys(read.values).sort()).toEqual(profile.points.map((p) => p.name).sort());
    const { power_total, power_l1, power_l2, power_l3, energy_import, energy_total } = read.values;
    expect(power_total!.unit).toBe('W');
    expect(Math.abs(power_total!.value - (power_l1!.value + power_l2!.value + power_l3!.value))).toBeLessThan(power_total!.value * 0.05);
    expect(energy_total!.value).toBeCloseTo(energy_import!.value, 1);
  });

  it('does not answer another unit id, as a real meter on a shared bus', async () => {
    const client = new ModbusTcpClient({ host: '127.0.0.1', port, timeoutMs: 300 });
    await expect(client.readRegisters(8, 'input', 0, 2)).rejects.toThrow(/no reply within 300 ms/);
    await client.close();
  });

  it('answers exception 02 for an address beyond its map', async () => {
    const client = new ModbusTcpClient({ host: '127.0.0.1', port, timeoutMs: 1000 });
    await expect(client.readRegisters(7, 'input', 0x1000, 2)).rejects.toMatchObject({ exceptionCode: 2 });
    await client.close();
  });

  it('shapes the load with peaks before lunch and dinner', () => {
    expect(canteenLoadShape(11)).toBeGreaterThan(3 * canteenLoadShape(3));
    expect(canteenLoadShape(17.3)).toBeGreaterThan(canteenLoadShape(14));
  });
});
