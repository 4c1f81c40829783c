// CJ/T 188 end to end: test/peers/cjt188_meter.py (Debian's python3, written from the
// standard, not from our code) on a real socat pty pair, read by the real
// `canteen-edge cjt188 read`; then the real gateway polling one RS-485 line that
// carries a Modbus RTU meter, a DL/T 645 meter and the CJ/T 188 water meter at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { rs485Line, type Rs485Line } from './helpers/rs485-hub.ts';
import { startMeter, startPtyPair, type PtyPair, type RunningMeter } from './peers/dlt645_sim.ts';
import { startFaultPeer, type FaultPeer } from './peers/modbus.ts';
import { SDM630, units } from './peers/modbus-fixtures.ts';

const ADDRESS = '78330011223344';
const startWaterMeter = (args: string[]) => startMeter(args, 5000, 'cjt188_meter.py');

// each CLI run starts Node and tsx: seconds apiece on a loaded 2-core box
describe('cjt188 read against the peer meter on a socat pty pair', { timeout: 180_000 }, () => {
  let pty: PtyPair;
  let meter: RunningMeter;
  beforeAll(async () => {
    pty = await startPtyPair();
    meter = await startWaterMeter(['--pty', pty.meter, '--volume', '1234.56', '--settlement', '1200', '--status', '04']);
  }, 30_000);
  afterAll(async () => {
    await meter?.stop();
    await pty?.stop();
  });

  it('reads the meter data (DI 901F) of a cold-water meter: exact JSON on stdout, exit 0', async () => {
    const r = cli(['cjt188', 'read', '--port', pty.gw, '--address', ADDRESS]);
    expect(r.stderr).toContain('cjt188:');
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({
      address: ADDRESS,
      type: '10',
      values: {
        volume_total: { value: 1234.56, unit: 'm3' },
        volume_settlement: { value: 1200, unit: 'm3' },
        valve_closed: { value: 0, unit: '' },
        valve_abnormal: { value: 0, unit: '' },
        battery_low: { value: 1, unit: '' },
      },
      errors: {},
    });
    const req = await meter.waitFor((e) => e.event === 'request' && e.control === '01');
    // 68 T=10 address A0..A6 C=01 L=03 DI 1F 90 SER CS 16 (SER counts from 1)
    expect(req.hex).toBe('68104433221100337801031f90018116');
  });

  it('--address auto reads the address with the broadcast address AAAAAAAAAAAAAA, then the data', async () => {
    const r = cli(['cjt188', 'read', '--port', pty.gw, '--parity', 'even', '--baud', '2400', '--address', 'auto']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ address: ADDRESS, type: '10', values: { volume_total: { value: 1234.56, unit: 'm3' } }, errors: {} });
    expect(r.stderr).toContain(`answers as ${ADDRESS}, type 10 (cold water)`);
    await meter.waitFor((e) => e.event === 'request' && e.control === '03' && e.address === 'AAAAAAAAAAAAAA' && e.type === 'AA');
  });

  it('exits 1 naming the meter when nobody answers at that address, 2 on usage errors', () => {
    const silent = cli(['cjt188', 'read', '--port', pty.gw, '--address', '78330011223399', '--timeout', '300', '--retries', '0']);
    expect(silent.code).toBe(1);
    expect(silent.json().errors.volume_total).toMatch(/meter 78330011223399 did not answer meter data \(DI 901F\): no reply within 300 ms/);
    const bad = cli(['cjt188', 'read', '--port', pty.gw, '--address', '12345']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--address "12345": expected 14 digits or auto/);
    expect(cli(['cjt188', 'read', '--port', pty.gw, '--address', ADDRESS, '--parity', 'mark']).stderr).toMatch(/--parity "mark": expected none, even or odd/);
    expect(cli(['cjt188', 'read', '--port', pty.gw, '--address', ADDRESS, '--type', 'x']).code).toBe(2);
  });
});

describe('one RS-485 line with Modbus RTU, DL/T 645 and CJ/T 188 meters, polled by the gateway', { timeout: 120_000 }, () => {
  let line: Rs485Line;
  let modbus: FaultPeer;
  let dlt: RunningMeter;
  let water: RunningMeter;
  let gw: RunningGateway;
  beforeAll(async () => {
    line = await rs485Line(3);
    modbus = await startFaultPeer(line.devices[0]!, units({ 1: SDM630 }));
    dlt = await startMeter(['--pty', line.devices[1]!]);
    water = await startWaterMeter(['--pty', line.devices[2]!, '--volume', '56.78']);
    const base = await simulatorConfig();
    gw = await startGateway({
      config: {
        ...base,
        simulators: {},
        buses: [{ id: 'rs485-1', type: 'serial', path: line.master, baud: 2400, parity: 'even', timeout_ms: 600 }],
        devices: {
          meters: [
            { id: 'kitchen-sdm630', profile: 'sdm630', bus: 'rs485-1', unit_id: 1, poll_ms: 1000 },
            { id: 'hall-dlt645', profile: 'dlt645-generic', bus: 'rs485-1', address: '202107072529', poll_ms: 1000 },
            { id: 'kitchen-water', name: '厨房冷水表', profile: 'cjt188-cold-water', bus: 'rs485-1', address: ADDRESS, poll_ms: 1000 },
          ],
        },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await water?.stop();
    await dlt?.stop();
    await modbus?.stop();
    await line?.stop();
  });

  it('reads all three on the same line; the water meter is a water meter in m³', async () => {
    const { headers, token } = await gw.loginAs('facility');
    await expect
      .poll(async () => Object.fromEntries((await (await fetch(`${gw.url}/readyz`, { headers })).json()).devices.map((d: { id: string; state: string }) => [d.id, d.state])), { timeout: 30_000 })
      .toEqual({ 'kitchen-sdm630': 'online', 'hall-dlt645': 'online', 'kitchen-water': 'online' });
    const { io } = await import('socket.io-client');
    const socket = io(`${gw.url}/energy`, { transports: ['websocket'], auth: { token } });
    const readings = new Map<string, Record<string, { value: number; unit: string }>>();
    socket.on('meter:reading', (m: { deviceId: string; values: Record<string, { value: number; unit: string }> }) => readings.set(m.deviceId, m.values));
    try {
      await expect.poll(() => readings.size, { timeout: 15_000 }).toBe(3);
      expect(readings.get('kitchen-water')!.volume_total).toEqual({ value: 56.78, unit: 'm3' });
      expect(readings.get('hall-dlt645')!.energy_total).toEqual({ value: 317.76, unit: 'kWh' });
      expect(readings.get('kitchen-sdm630')!.energy_import!.value).toBeCloseTo(SDM630.expected.energy_import!, 2);
    } finally {
      socket.close();
    }
    const summary = await (await fetch(`${gw.url}/api/energy/summary`, { headers })).json();
    expect(summary.meters.find((m: { id: string }) => m.id === 'kitchen-water')).toMatchObject({ medium: 'water', unit: 'm3' });
  });
});
