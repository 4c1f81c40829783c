// `canteen-edge meter profiles | read | scan` as an installer runs them, against
// Debian's pymodbus (Modbus TCP and RTU over TCP) and an RTU meter on a pty.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.ts';
import { BIN, ROOT } from './helpers/gateway.ts';
import { ptyPair, startFaultPeer, startPymodbus } from './peers/modbus.ts';
import { SDM630, WATER, units } from './peers/modbus-fixtures.ts';

let tcp: { port: number; stop(): Promise<void> };
let rtuTcp: { port: number; stop(): Promise<void> };

beforeAll(async () => {
  [tcp, rtuTcp] = await Promise.all([startPymodbus({ transport: 'tcp', units: units() }), startPymodbus({ transport: 'rtu-over-tcp', units: units() })]);
});
afterAll(async () => {
  await tcp?.stop();
  await rtuTcp?.stop();
});

/** The same command as cli(), without blocking, so that quick cases run side by side. */
function cliAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const withUnits = (values: Record<string, number>, unitOf: (name: string) => string) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, unit: unitOf(k) }]));

describe('canteen-edge meter', () => {
  it('profiles: names, points, units and kinds of every shipped profile', () => {
    const r = cli(['meter', 'profiles']);
    expect(r.code).toBe(0);
    const doc = r.json();
    expect(Object.keys(doc)).toEqual(['profiles']);
    expect(doc.profiles.map((p: { name: string }) => p.name)).toEqual(['cjt188-cold-water', 'cjt188-gas', 'dlt645-generic', 'dtsu666', 'dtsu666-101e', 'gas-flow-computer-generic', 'pulse-counter-gas', 'sdm120', 'sdm630', 'water-modbus-generic']);
    for (const p of doc.profiles) {
      expect(Object.keys(p)).toEqual(['name', 'points']);
      for (const point of p.points) expect(Object.keys(point)).toEqual(['name', 'unit', 'kind']);
    }
    expect(doc.profiles.find((p: { name: string }) => p.name === 'sdm630').points[0]).toEqual({ name: 'voltage_l1', unit: 'V', kind: 'instantaneous' });
  });

  it('read over Modbus TCP: every value as seeded, in 3 coalesced requests', () => {
    const r = cli(['meter', 'read', '--profile', 'sdm630', '--unit', '1', '--tcp', `127.0.0.1:${tcp.port}`, '--timeout', '500']);
    expect(r.code, r.stderr).toBe(0);
    const unitOf = (name: string) => SDM630.profile.points.find((p) => p.name === name)!.unit;
    expect(r.json()).toEqual({ profile: 'sdm630', unit: 1, values: withUnits(SDM630.expected, unitOf), errors: {}, requests: 3 });
    expect(r.stderr).toMatch(/voltage_l1: 230.4 V/);
  });

  it('read RTU over TCP (transparent converter)', () => {
    const r = cli(['meter', 'read', '--profile', 'sdm630', '--unit', '1', '--tcp', `127.0.0.1:${rtuTcp.port}`, '--rtu-over-tcp']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().values.energy_total).toEqual({ value: 12347.17, unit: 'kWh' });
    expect(r.json().requests).toBe(3);
  });

  it('read RTU on a serial port', async () => {
    const pty = await ptyPair();
    const peer = await startFaultPeer(pty.a, units({ 7: WATER }));
    try {
      const r = cli(['meter', 'read', '--profile', 'water-modbus-generic', '--unit', '7', '--port', pty.b, '--baud', '19200', '--parity', 'even', '--stop-bits', '1']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().values).toEqual(withUnits(WATER.expected, (n) => WATER.profile.points.find((p) => p.name === n)!.unit));
      expect(r.json().requests).toBe(1);
    } finally {
      await peer.stop();
      await pty.stop();
    }
  });

  it('read from a unit that does not answer: exit 1, still JSON, one request', () => {
    const r = cli(['meter', 'read', '--profile', 'sdm630', '--unit', '6', '--tcp', `127.0.0.1:${tcp.port}`, '--timeout', '200']);
    expect(r.code).toBe(1);
    const doc = r.json();
    expect(doc.values).toEqual({});
    expect(doc.requests).toBe(1);
    expect(doc.errors.voltage_l1).toMatch(/no reply within 200 ms/);
    expect(Object.keys(doc.errors)).toHaveLength(15);
  });

  it('read with the wrong profile for the meter: exit 1 with the exception per point', () => {
    const r = cli(['meter', 'read', '--profile', 'sdm120', '--unit', '3', '--tcp', `127.0.0.1:${tcp.port}`]);
    expect(r.code).toBe(1);
    expect(r.json().errors.voltage_l1).toMatch(/exception 2 \(illegal data address\)/);
  });

  it('scan finds exactly the live units', () => {
    const r = cli(['meter', 'scan', '--tcp', `127.0.0.1:${tcp.port}`, '--from', '1', '--to', '8', '--timeout', '100']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ units: [1, 2, 3, 4, 5] });
    const none = cli(['meter', 'scan', '--tcp', `127.0.0.1:${rtuTcp.port}`, '--rtu-over-tcp', '--from', '6', '--to', '8', '--timeout', '100']);
    expect(none.code).toBe(1);
    expect(none.json()).toEqual({ units: [] });
  });

  it.concurrent.each([
    [['meter', 'read', '--profile', 'sdm999', '--unit', '1', '--tcp', 'h:502'], /--profile "sdm999": unknown; expected one of cjt188-cold-water, cjt188-gas, dlt645-generic, dtsu666, dtsu666-101e, gas-flow-computer-generic, pulse-counter-gas, sdm120, sdm630, water-modbus-generic/],
    [['meter', 'read', '--profile', 'sdm630', '--tcp', 'h:502'], /--unit is required/],
    [['meter', 'read', '--profile', 'sdm630', '--unit', '300', '--port', '/dev/null'], /--unit "300": expected an integer from 1 to 247/],
    [['meter', 'read', '--profile', 'sdm630', '--unit', '1'], /exactly one of --tcp HOST:PORT or --port PATH/],
    [['meter', 'read', '--profile', 'sdm630', '--unit', '1', '--tcp', 'h:502', '--baud', '9600'], /--baud sets a serial line/],
    [['meter', 'read', '--profile', 'sdm630', '--unit', '1', '--port', '/dev/ttyUSB0', '--rtu-over-tcp'], /--rtu-over-tcp goes with --tcp/],
    [['meter', 'read', '--profile', 'sdm630', '--unit', '1', '--port', '/dev/ttyUSB0', '--parity', 'mark'], /--parity "mark": expected none, even or odd/],
    [['meter', 'read', '--profile', 'sdm630', '--unit', '1', '--tcp', 'nohost'], /--tcp "nohost": expected HOST:PORT/],
    [['meter', 'read', '--profile', 'dlt645-generic', '--unit', '1', '--tcp', 'h:502'], /DL\/T 645 profile: use `canteen-edge dlt645 read`/],
    [['meter', 'scan', '--tcp', 'h:502', '--from', '9', '--to', '3'], /--from 9 is above --to 3/],
    [['meter', 'scan', '--tcp', 'h:502', '--bogus'], /bogus/],
  ])('usage error, exit 2: %j', async (args, message) => {
    const r = await cliAsync(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('--help describes each subcommand', () => {
    const r = cli(['meter', 'read', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--rtu-over-tcp/);
  });
});
