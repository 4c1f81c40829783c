// Our Modbus reader against Debian's pymodbus 3.0 as the server: Modbus TCP,
// RTU over TCP (pymodbus's RTU framer on a socket, as behind a transparent
// converter) and RTU on a serial line (a socat pty pair). Five meters and one
// dead unit id share each line; every value must come back as seeded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusPoller, type DeviceHealth } from '../drivers/modbus/bus-poller.ts';
import { utilisation, type ModbusClient } from '../drivers/modbus/client.ts';
import { createModbusClient, type ModbusTransport } from '../drivers/modbus/connect.ts';
import { readMeter, type MeterRead } from '../drivers/modbus/meter-reader.ts';
import type { DeviceReadState } from '../drivers/modbus/plan.ts';
import { scanUnits } from '../drivers/modbus/scan.ts';
import { hasSerialAsyncio, ptyPair, startPymodbus } from './peers/modbus.ts';
import { CAPPED, DEAD_UNIT, DTSU666, LINE, MIXED, SDM630, WATER, units, valuesOf } from './peers/modbus-fixtures.ts';

type Kind = 'tcp' | 'rtu-over-tcp' | 'serial';

async function line(kind: Kind): Promise<{ transport: ModbusTransport; stop(): Promise<void> }> {
  if (kind === 'serial') {
    const pty = await ptyPair();
    const server = await startPymodbus({ transport: 'serial', device: pty.a, units: units() });
    return {
      transport: { type: 'serial', path: pty.b, baudRate: 19200, parity: 'none', stopBits: 1 },
      stop: async () => {
        await server.stop();
        await pty.stop();
      },
    };
  }
  const server = await startPymodbus({ transport: kind, units: units() });
  return { transport: { type: kind, host: '127.0.0.1', port: server.port }, stop: server.stop };
}

const kinds: Kind[] = ['tcp', 'rtu-over-tcp', 'serial'];

describe.each(kinds)('pymodbus server over %s', (kind) => {
  const skip = kind === 'serial' && !hasSerialAsyncio;
  let peer: Awaited<ReturnType<typeof line>>;
  let client: ModbusClient;

  beforeAll(async () => {
    if (skip) return;
    peer = await line(kind);
    client = createModbusClient(peer.transport, { timeoutMs: 250 });
  });
  afterAll(async () => {
    await client?.close();
    await peer?.stop();
  });

  it.skipIf(skip).each([
    ['sdm630', 1, SDM630],
    ['dtsu666', 2, DTSU666],
    ['water-modbus-generic', 3, WATER],
  ] as const)('reads every point of %s as seeded, in as few requests as planned', async (_name, unit, seeded) => {
    const read = await readMeter(client, seeded.profile, unit);
    expect(read.errors).toEqual({});
    expect(valuesOf(read)).toEqual(seeded.expected);
    expect(read.requests).toBe(seeded.requests);
    for (const p of seeded.profile.points) expect(read.values[p.name]!.unit).toBe(p.unit);
  });

  it.skipIf(skip)('reads coils, discrete inputs, bit fields, offsets and every integer and float type in every byte order', async () => {
    const read = await readMeter(client, MIXED.profile, 4);
    expect(read.errors).toEqual({});
    expect(valuesOf(read)).toEqual(MIXED.expected);
    expect(read.requests).toBe(MIXED.requests);
  });

  it.skipIf(skip)('learns the cap of a meter that answers exception 02 to reads over 10 registers', async () => {
    const state: DeviceReadState = {};
    const before = client.counters.exceptions;
    const first = await readMeter(client, CAPPED.profile, 5, { state });
    expect(first.errors).toEqual({});
    expect(valuesOf(first)).toEqual(CAPPED.expected);
    expect(first.requests).toBe(7); // 24 refused, 12 refused, 6, 6, 12 refused, 6, 6
    expect(client.counters.exceptions - before).toBe(3);
    expect(state.registerCap).toBe(6);
    const second = await readMeter(client, CAPPED.profile, 5, { state });
    expect(valuesOf(second)).toEqual(CAPPED.expected);
    expect(second.requests).toBe(4);
    expect(client.counters.exceptions - before).toBe(3);
  });

  it.skipIf(skip)('gives up on a dead unit after one timeout, and the line goes on', async () => {
    const before = { ...client.counters };
    const t0 = Date.now();
    const read = await readMeter(client, SDM630.profile, DEAD_UNIT, { timeoutMs: 150 });
    expect(Date.now() - t0).toBeLessThan(600);
    expect(read.requests).toBe(1);
    expect(Object.keys(read.values)).toEqual([]);
    expect(read.errors.voltage_l1).toMatch(/unit 6: no reply within 150 ms/);
    expect(client.counters.timeouts - before.timeouts).toBe(1);
    const after = await readMeter(client, DTSU666.profile, 2);
    expect(valuesOf(after)).toEqual(DTSU666.expected);
  });

  it.skipIf(skip)('scans exactly the live units', async () => {
    expect(await scanUnits(client, { from: 1, to: 7, timeoutMs: 100 })).toEqual([1, 2, 3, 4, 5]);
  });

  it.skipIf(skip)('counts requests, replies, exceptions and bytes', () => {
    const c = client.counters;
    expect(c.requests).toBe(c.replies + c.timeouts);
    expect(c.exceptions).toBeGreaterThanOrEqual(3);
    expect(c.crcErrors).toBe(0);
    expect(c.bytesOut).toBeGreaterThan(c.requests * 7);
    expect(c.bytesIn).toBeGreaterThan(100);
    expect(utilisation(c)).toBeGreaterThan(0);
    expect(utilisation(c)).toBeLessThanOrEqual(1);
  });
});

describe.skipIf(!hasSerialAsyncio)('bus poller on one RS-485 line with pymodbus meters and a dead one', () => {
  it('polls each meter on its interval, one request at a time, and backs off from the dead one', async () => {
    const pty = await ptyPair();
    const server = await startPymodbus({ transport: 'serial', device: pty.a, units: units({ 1: LINE[1]!, 2: LINE[2]!, 3: LINE[3]! }) });
    const client = createModbusClient({ type: 'serial', path: pty.b, baudRate: 9600 }, { timeoutMs: 400 });
    const readings: Record<string, MeterRead[]> = {};
    const states: [string, DeviceHealth, DeviceHealth][] = [];
    const poller = new BusPoller(
      client,
      [
        { id: 'kitchen', unit: 1, profile: SDM630.profile, intervalMs: 200 },
        { id: 'hall', unit: 2, profile: DTSU666.profile, intervalMs: 300 },
        { id: 'water', unit: 3, profile: WATER.profile, intervalMs: 300 },
        { id: 'dead', unit: DEAD_UNIT, profile: SDM630.profile, intervalMs: 100, timeoutMs: 100 },
      ],
      {
        failuresBeforeOffline: 2,
        maxBackoffMs: 800,
        onReading: (id, read) => (readings[id] ??= []).push(read),
        onState: (id, s, prev) => states.push([id, prev, s.health]),
      },
    );
    try {
      poller.start();
      await new Promise((r) => setTimeout(r, 2500));
      await poller.stop();
      const status = Object.fromEntries(poller.status().map((s) => [s.id, s]));
      expect(status.kitchen!.health).toBe('online');
      expect(status.hall!.health).toBe('online');
      expect(status.dead!.health).toBe('offline');
      expect(status.dead!.lastError).toMatch(/no reply within 100 ms/);
      expect(status.dead!.lastGoodAt).toBeUndefined();
      expect(valuesOf(readings.kitchen!.at(-1)!)).toEqual(SDM630.expected);
      expect(valuesOf(readings.hall!.at(-1)!)).toEqual(DTSU666.expected);
      expect(valuesOf(readings.water!.at(-1)!)).toEqual(WATER.expected);
      expect(readings.kitchen!.length).toBeGreaterThanOrEqual(8); // every 200 ms for 2.5 s
      expect(readings.hall!.length).toBeGreaterThanOrEqual(6);
      // backoff 100 → 200, 400, 800, 800 ms: about 6 attempts in 2.5 s instead of 25
      expect(status.dead!.polls).toBeGreaterThanOrEqual(4);
      expect(status.dead!.polls).toBeLessThanOrEqual(8);
      expect(status.dead!.requests).toBe(status.dead!.polls);
      expect(states).toContainEqual(['dead', 'degraded', 'offline']);
      expect(states).toContainEqual(['kitchen', 'unknown', 'online']);
      // every probe of the dead meter is a timeout on the line; a loaded machine may also make
      // pymodbus late for a live meter now and then, which the line counts as a timeout too
      const liveTimeouts = poller.counters.timeouts - status.dead!.polls;
      expect(liveTimeouts).toBeGreaterThanOrEqual(0);
      expect(liveTimeouts).toBeLessThanOrEqual(2);
    } finally {
      await poller.stop();
      await client.close();
      await server.stop();
      await pty.stop();
    }
  });
});
