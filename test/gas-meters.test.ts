// Natural gas as a first-class medium: the Modbus flow-computer and pulse-counter
// profiles read from Debian's pymodbus, and a CJ/T 188 gas meter (T = 30H, the Python
// peer written from the standard) polled by the real gateway, whose gas counts in
// standard coal and, as a direct emission, in CO₂.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModbusClient } from '../drivers/modbus/connect.ts';
import { readMeter } from '../drivers/modbus/meter-reader.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { startMeter, startPtyPair, type PtyPair, type RunningMeter } from './peers/dlt645_sim.ts';
import { startPymodbus } from './peers/modbus.ts';
import { profile, seed, valuesOf } from './peers/modbus-fixtures.ts';

describe('gas profiles against pymodbus', { timeout: 60_000 }, () => {
  it('reads a volume corrector and a pulse counter, both booked as gas', async () => {
    const server = await startPymodbus({
      transport: 'tcp',
      units: {
        1: seed(profile('gas-flow-computer-generic'), { volume_total: 123456.5, volume_working: 120001.25, flow_rate: 12.5, temperature: 18.5, pressure: 101.25 }),
        2: seed(profile('pulse-counter-gas'), { volume_total: 1234567 }), // pulses
      },
    });
    const client = createModbusClient({ type: 'tcp', host: '127.0.0.1', port: server.port }, { timeoutMs: 1000 });
    try {
      const fc = await readMeter(client, profile('gas-flow-computer-generic'), 1);
      expect(fc.errors).toEqual({});
      expect(valuesOf(fc)).toEqual({ volume_total: 123456.5, volume_working: 120001.25, flow_rate: 12.5, temperature: 18.5, pressure: 101.25 });
      const pulses = await readMeter(client, profile('pulse-counter-gas'), 2);
      expect(pulses.values.volume_total).toEqual({ value: 12345.67, unit: 'm3' }); // 1 234 567 pulses × 0.01 m³
      expect(profile('gas-flow-computer-generic').medium).toBe('gas');
      expect(profile('pulse-counter-gas').medium).toBe('gas');
    } finally {
      await client.close();
      await server.stop();
    }
  });
});

describe('a CJ/T 188 gas meter in the gateway', { timeout: 120_000 }, () => {
  let pty: PtyPair;
  let meter: RunningMeter;
  let gw: RunningGateway;
  beforeAll(async () => {
    pty = await startPtyPair();
    // 0.5 m³ more at every read: the kitchen is cooking
    meter = await startMeter(['--pty', pty.meter, '--type', '30', '--address', '12345678901234', '--volume', '800', '--step', '0.5'], 5000, 'cjt188_meter.py');
    const base = (await simulatorConfig()) as { devices: { meters: unknown[] } };
    gw = await startGateway({
      config: {
        ...base,
        buses: [{ id: 'gas-line', type: 'serial', path: pty.gw, baud: 2400, parity: 'even', timeout_ms: 600 }],
        devices: { ...base.devices, meters: [...base.devices.meters, { id: 'kitchen-gas', name: '厨房燃气表', profile: 'cjt188-gas', bus: 'gas-line', address: '12345678901234', poll_ms: 500 }] },
        energy: { flush_ms: 300 },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await meter?.stop();
    await pty?.stop();
  });

  it('books the gas as gas: in the site totals, in kgce (1.33 kgce/m³) and as direct CO₂ (2.165 kg/m³)', async () => {
    const { headers } = await gw.loginAs('facility');
    const summary = async () => (await fetch(`${gw.url}/api/energy/summary`, { headers })).json();
    await expect.poll(async () => (await summary()).today.gasM3, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    const s = await summary();
    expect(s.meters.find((m: { id: string }) => m.id === 'kitchen-gas')).toMatchObject({ medium: 'gas', unit: 'm3', name: '厨房燃气表' });
    const { electricityKwh, gasM3, waterM3 } = s.today;
    expect(waterM3).toBe(0); // m³ of gas are not water
    expect(s.today.co2GasKg).toBeCloseTo(gasM3 * 2.165, 9);
    expect(s.today.co2ElectricityKg).toBeCloseTo(electricityKwh * 0.5617, 9);
    expect(s.today.co2Kg).toBeCloseTo(electricityKwh * 0.5617 + gasM3 * 2.165, 9);
    expect(s.today.kgce).toBeCloseTo(electricityKwh * 0.1229 + gasM3 * 1.33, 9);
    expect(gasM3 % 0.5).toBeCloseTo(0, 9); // whole steps of the meter
  });
});
