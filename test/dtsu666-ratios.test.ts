// CT/PT ratios of a meter that reports secondary values (CHINT DTSU666 quick manual,
// 2016: "the rate is excluded"; IrAt at 0006H, UrAt ×0.1 at 0007H): Debian's pymodbus as
// the meters, our reader and the real `canteen-edge meter read` and gateway on the
// other side. Ratios are read, reported, applied; a site can set them per meter; a
// ratio that cannot be read never lets a secondary value pass as a primary one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModbusClient } from '../drivers/modbus/connect.ts';
import type { ModbusClient } from '../drivers/modbus/client.ts';
import { readMeter } from '../drivers/modbus/meter-reader.ts';
import { cli } from './helpers/cli.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { startPymodbus } from './peers/modbus.ts';
import { DTSU666, profile, seed, valuesOf } from './peers/modbus-fixtures.ts';

const RAW = { voltage_l1: 1000, voltage_l2: 1001, voltage_l3: 999, current_l1: 5000, current_l2: 5100, current_l3: 4900, power_total: 8660, energy_import: 12.5 };
const units = {
  2: DTSU666.unit, // IrAt 40, UrAt 10 (PT 1.0)
  // a 10 kV feeder: IrAt 30 (150/5 A), UrAt 1000 (×0.1 = PT 100, 10 kV/100 V)
  7: seed(profile('dtsu666'), { ...RAW, ratio_current: 30, ratio_voltage: 1000 }),
  // a map without the ratio registers: the reads of 0006H are refused (exception 02)
  8: seed(profile('dtsu666'), RAW),
  // firmware whose import energy is at 101EH
  9: seed(profile('dtsu666-101e'), { ...RAW, ratio_current: 1, ratio_voltage: 10 }),
};

let server: Awaited<ReturnType<typeof startPymodbus>>;
let client: ModbusClient;
beforeAll(async () => {
  server = await startPymodbus({ transport: 'tcp', units });
  client = createModbusClient({ type: 'tcp', host: '127.0.0.1', port: server.port }, { timeoutMs: 1000 });
}, 30_000);
afterAll(async () => {
  await client?.close();
  await server?.stop();
});

describe('DTSU666 ratios against pymodbus', { timeout: 120_000 }, () => {
  it('reads IrAt and UrAt, reports them, and turns secondary values into primary ones (10 kV feeder, 150/5 A)', async () => {
    const read = await readMeter(client, profile('dtsu666'), 7);
    expect(read.errors).toEqual({});
    expect(valuesOf(read)).toEqual({
      ratio_current: 30,
      ratio_voltage: 100,
      voltage_l1: 10000, voltage_l2: 10010, voltage_l3: 9990, // 100.0 V × 100
      current_l1: 150, current_l2: 153, current_l3: 147, // 5.000 A × 30
      power_total: 2598000, // 866 W × 30 × 100
      energy_import: 37500, // 12.5 kWh × 3000, at 401EH as in CHINT's manual
    });
    expect(read.requests).toBe(3);
  });

  it('uses the ratios a site sets instead of the registers (and does not read those)', async () => {
    const read = await readMeter(client, profile('dtsu666'), 7, { ratios: { current: 50, voltage: 1 } });
    expect(valuesOf(read)).toMatchObject({ ratio_current: 50, ratio_voltage: 1, current_l1: 250, voltage_l1: 100, power_total: 43300, energy_import: 625 });
    expect(read.requests).toBe(2); // the 0x2006 block and 401EH: no read of 0006H
    const half = await readMeter(client, profile('dtsu666'), 7, { ratios: { current: 50 } });
    expect(valuesOf(half)).toMatchObject({ ratio_current: 50, ratio_voltage: 100, current_l1: 250, voltage_l1: 10000 });
  });

  it('fails the secondary points with the reason when the ratio registers cannot be read: never a secondary value as primary', async () => {
    const read = await readMeter(client, profile('dtsu666'), 8);
    expect(read.values).toEqual({});
    expect(read.errors.ratio_current).toMatch(/exception 2|illegal data address/i);
    expect(read.errors.current_l1).toMatch(/^current ratio unknown \(.*\): the meter reports secondary values$/);
    expect(read.errors.voltage_l1).toMatch(/^voltage ratio unknown/);
    expect(read.errors.energy_import).toMatch(/ratio unknown/);
    // with the site's ratios, the same meter reads fine
    const set = await readMeter(client, profile('dtsu666'), 8, { ratios: { current: 30, voltage: 100 } });
    expect(set.errors).toEqual({});
    expect(set.values.energy_import!.value).toBe(37500);
  });

  it('reads the energy at 101EH with the dtsu666-101e profile; dtsu666 (401EH) on that meter gets no energy', async () => {
    const old = await readMeter(client, profile('dtsu666-101e'), 9);
    expect(old.errors).toEqual({});
    expect(old.values.energy_import).toEqual({ value: 12.5, unit: 'kWh' });
    const wrong = await readMeter(client, profile('dtsu666'), 9);
    expect(wrong.values.energy_import).toBeUndefined();
    expect(wrong.errors.energy_import).toBeDefined();
  });

  it('canteen-edge meter read reports the ratios and takes --ct-ratio / --pt-ratio', () => {
    const r = cli(['meter', 'read', '--profile', 'dtsu666', '--unit', '2', '--tcp', `127.0.0.1:${server.port}`]);
    expect(r.code).toBe(0);
    expect(r.json().values).toMatchObject({ ratio_current: { value: 40, unit: '' }, ratio_voltage: { value: 1, unit: '' }, current_l1: { value: 609.2, unit: 'A' } });
    const set = cli(['meter', 'read', '--profile', 'dtsu666', '--unit', '2', '--tcp', `127.0.0.1:${server.port}`, '--ct-ratio', '60']);
    expect(set.json().values).toMatchObject({ ratio_current: { value: 60, unit: '' }, current_l1: { value: 913.8, unit: 'A' } });
    const bad = cli(['meter', 'read', '--profile', 'sdm630', '--unit', '1', '--tcp', `127.0.0.1:${server.port}`, '--ct-ratio', '40']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--ct-ratio: profile sdm630 reports primary values/);
  });
});

describe('DTSU666 ratios in the gateway', { timeout: 120_000 }, () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    const base = await simulatorConfig();
    gw = await startGateway({
      config: {
        ...base,
        simulators: {},
        devices: {
          meters: [
            { id: 'feeder', profile: 'dtsu666', transport: { type: 'tcp', host: '127.0.0.1', port: server.port }, unit_id: 7, poll_ms: 1000 },
            { id: 'kitchen', profile: 'dtsu666', transport: { type: 'tcp', host: '127.0.0.1', port: server.port }, unit_id: 2, poll_ms: 1000, ratios: { current: 80 } },
          ],
        },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it('publishes primary values with the ratios read from the meter or set in config', async () => {
    const { io } = await import('socket.io-client');
    const socket = io(`${gw.url}/energy`, { transports: ['websocket'], auth: { token: (await gw.loginAs('facility')).token } });
    const readings = new Map<string, Record<string, { value: number; unit: string }>>();
    socket.on('meter:reading', (m: { deviceId: string; values: Record<string, { value: number; unit: string }> }) => readings.set(m.deviceId, m.values));
    try {
      await expect.poll(() => readings.size, { timeout: 20_000 }).toBe(2);
      expect(readings.get('feeder')).toMatchObject({ ratio_current: { value: 30 }, ratio_voltage: { value: 100 }, energy_import: { value: 37500, unit: 'kWh' } });
      expect(readings.get('kitchen')).toMatchObject({ ratio_current: { value: 80 }, ratio_voltage: { value: 1 }, current_l1: { value: 1218.4, unit: 'A' }, energy_import: { value: 701234.4 } });
    } finally {
      socket.close();
    }
  });
});
