// The gateway polling a shared RS-485 line that carries a Modbus RTU meter and a
// DL/T 645 meter at once (independent Python peers on a multi-drop pty line),
// plus a dead unit, with per-line counters on /readyz and /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMeter, type RunningMeter } from './peers/dlt645_sim.ts';
import { startFaultPeer, type FaultPeer } from './peers/modbus.ts';
import { SDM630, units } from './peers/modbus-fixtures.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { rs485Line, type Rs485Line } from './helpers/rs485-hub.ts';

let line: Rs485Line;
let modbus: FaultPeer;
let dlt: RunningMeter;
let gw: RunningGateway;

beforeAll(async () => {
  line = await rs485Line(2);
  modbus = await startFaultPeer(line.devices[0]!, units({ 1: SDM630 }));
  dlt = await startMeter(['--pty', line.devices[1]!]);
  const base = await simulatorConfig();
  gw = await startGateway({
    config: {
      ...base,
      simulators: {},
      buses: [{ id: 'rs485-1', type: 'serial', path: line.master, baud: 2400, parity: 'even', timeout_ms: 400 }],
      devices: {
        meters: [
          { id: 'kitchen-sdm630', profile: 'sdm630', bus: 'rs485-1', unit_id: 1, poll_ms: 1000 },
          { id: 'hall-dlt645', profile: 'dlt645-generic', bus: 'rs485-1', address: '202107072529', poll_ms: 1000 },
          { id: 'dead-unit', profile: 'sdm630', bus: 'rs485-1', unit_id: 9, poll_ms: 1000 },
        ],
      },
    },
  });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await dlt?.stop();
  await modbus?.stop();
  await line?.stop();
});

/** with the details (errors, bus counters) a signed-in facility account sees */
const readyz = async () => (await fetch(`${gw.url}/readyz`, { headers: (await gw.loginAs('facility')).headers })).json();

describe('a shared RS-485 line', () => {
  it('reads the Modbus and the DL/T 645 meter on the same line, and marks the dead unit offline', async () => {
    await expect
      .poll(async () => Object.fromEntries((await readyz()).devices.map((d: { id: string; state: string }) => [d.id, d.state])), { timeout: 20_000 })
      .toEqual({ 'kitchen-sdm630': 'online', 'hall-dlt645': 'online', 'dead-unit': 'offline' });
    const summary = await (await fetch(`${gw.url}/api/energy/summary`, { headers: (await gw.loginAs('facility')).headers })).json();
    const byId = Object.fromEntries(summary.meters.map((m: { id: string }) => [m.id, m]));
    expect(byId['hall-dlt645']).toMatchObject({ medium: 'electricity', unit: 'kWh' });
    const dead = (await readyz()).devices.find((d: { id: string }) => d.id === 'dead-unit');
    expect(dead.lastError).toMatch(/no reply within 400 ms/);
  });

  it('decodes both meters right', async () => {
    const { io } = await import('socket.io-client');
    const socket = io(`${gw.url}/energy`, { transports: ['websocket'], auth: { token: (await gw.loginAs('facility')).token } });
    const readings = new Map<string, Record<string, { value: number; unit: string }>>();
    socket.on('meter:reading', (m: { deviceId: string; values: Record<string, { value: number; unit: string }> }) => readings.set(m.deviceId, m.values));
    try {
      await expect.poll(() => readings.size, { timeout: 10_000 }).toBe(2);
      expect(readings.get('hall-dlt645')!.energy_total).toEqual({ value: 317.76, unit: 'kWh' });
      expect(readings.get('hall-dlt645')!.current_l2!.value).toBeLessThan(0); // the signed current of phase B
      expect(readings.get('kitchen-sdm630')!.energy_import!.value).toBeCloseTo(SDM630.expected.energy_import!, 2);
      expect(readings.get('kitchen-sdm630')!.voltage_l1!.value).toBeCloseTo(SDM630.expected.voltage_l1!, 1);
    } finally {
      socket.close();
    }
  });

  it('reports the line\'s counters on /readyz and /metrics', async () => {
    const [bus] = (await readyz()).buses;
    expect(bus).toMatchObject({ id: 'rs485-1', meters: ['kitchen-sdm630', 'hall-dlt645', 'dead-unit'] });
    expect(bus.requests).toBeGreaterThan(3);
    expect(bus.timeouts).toBeGreaterThanOrEqual(1);
    expect(bus.utilisation).toBeGreaterThan(0);
    const metrics = await (await fetch(`${gw.url}/metrics`, { headers: (await gw.loginAs('facility')).headers })).text();
    expect(metrics).toMatch(/canteen_edge_bus_requests_total\{bus="rs485-1"\} [1-9]/);
    expect(metrics).toMatch(/canteen_edge_bus_timeouts_total\{bus="rs485-1"\} [1-9]/);
    expect(metrics).toMatch(/canteen_edge_bus_utilisation_ratio\{bus="rs485-1"\} 0\.\d+/);
  });
});
