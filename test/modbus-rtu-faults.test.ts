// RTU on a serial line (socat pty pair) against meters that misbehave on
// command (test/peers/modbus_rtu_faults.py, standard-library Python written from
// the spec): each fault lands in its own counter and the line goes on.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BusPoller, type DeviceHealth } from '../drivers/modbus/bus-poller.ts';
import { ModbusError, type ModbusCounters } from '../drivers/modbus/client.ts';
import { readMeter } from '../drivers/modbus/meter-reader.ts';
import { RtuClient, serialBus } from '../drivers/modbus/rtu-client.ts';
import { ptyPair, startFaultPeer, type FaultPeer } from './peers/modbus.ts';
import { DTSU666, SDM630, WATER, units, valuesOf } from './peers/modbus-fixtures.ts';

let pty: Awaited<ReturnType<typeof ptyPair>>;
let peer: FaultPeer;
let client: RtuClient;
let before: ModbusCounters;
let lineBefore: Record<string, number>;

beforeAll(async () => {
  pty = await ptyPair();
  peer = await startFaultPeer(pty.a, units({ 1: SDM630, 2: DTSU666, 3: WATER }));
  client = new RtuClient(serialBus({ path: pty.b, baudRate: 9600, parity: 'none', stopBits: 1 }), { timeoutMs: 150, ownsBus: true });
});
afterAll(async () => {
  await client?.close();
  await peer?.stop();
  await pty?.stop();
});
beforeEach(() => {
  before = client.counters;
  lineBefore = { ...client.bus.counters.skipped };
});

const delta = (key: keyof Omit<ModbusCounters, 'skipped'>) => client.counters[key] - before[key];
const skipped = (reason: string) => (client.counters.skipped[reason] ?? 0) - (before.skipped[reason] ?? 0);
const lineSkippedBytes = (reason: string) => (client.bus.counters.skipped[reason] ?? 0) - (lineBefore[reason] ?? 0);
const voltage = () => client.readRegisters(2, 'holding', 0x2006, 2);

async function readsFine(): Promise<void> {
  const read = await readMeter(client, DTSU666.profile, 2);
  expect(read.errors).toEqual({});
  expect(valuesOf(read)).toEqual(DTSU666.expected);
}

describe('RTU faults on a serial line', () => {
  it('bad CRC: dropped, counted as a CRC error, the read times out; the next one works', async () => {
    await peer.fault(2, 'crc', 1);
    await expect(voltage()).rejects.toMatchObject({ timeout: true });
    expect(delta('crcErrors')).toBe(1);
    expect(skipped('crc')).toBe(1);
    expect(lineSkippedBytes('crc')).toBe(9);
    expect(delta('timeouts')).toBe(1);
    await readsFine();
  });

  it('a reply from the wrong unit id is skipped, not taken', async () => {
    await peer.fault(2, 'wrong-unit', 1);
    await expect(voltage()).rejects.toMatchObject({ timeout: true });
    expect(skipped('wrong-unit')).toBe(1);
    expect(delta('crcErrors')).toBe(0);
    await readsFine();
  });

  it('a truncated reply times out and its bytes are counted as truncated', async () => {
    await peer.fault(2, 'truncate', 1);
    await expect(voltage()).rejects.toThrow(/unit 2: no reply within 150 ms \(6 bytes of an incomplete frame\)/);
    expect(skipped('truncated')).toBe(1);
    expect(lineSkippedBytes('truncated')).toBe(6);
    expect(delta('timeouts')).toBe(1);
    await readsFine();
  });

  it('an echo of our own request (an adapter without echo suppression) is skipped and the reply still read', async () => {
    await peer.fault(2, 'echo', 3);
    await readsFine();
    expect(skipped('echo')).toBe(3); // one per request: the ratio registers 0x0006, the 0x2006 block and 0x401E
    expect(lineSkippedBytes('echo')).toBe(24);
    expect(delta('timeouts')).toBe(0);
    await peer.fault(2, 'ok');
  });

  it('noise before a reply is skipped and the frame found after it', async () => {
    await peer.fault(2, 'garbage', 1);
    const raw = await voltage();
    expect(raw.readFloatBE(0)).toBe(2301);
    expect(skipped('garbage')).toBe(1);
    expect(lineSkippedBytes('garbage')).toBe(3);
  });

  it('no answer at all is a timeout, nothing else', async () => {
    await peer.fault(2, 'silent', 1);
    await expect(voltage()).rejects.toBeInstanceOf(ModbusError);
    expect(delta('timeouts')).toBe(1);
    expect(client.counters.skipped).toEqual(before.skipped);
    await readsFine();
  });

  it('an exception reply is an error with its code, counted as an exception', async () => {
    await expect(client.readRegisters(2, 'holding', 0x3000, 2)).rejects.toMatchObject({ exceptionCode: 2, timeout: false, message: 'unit 2: exception 2 (illegal data address)' });
    await expect(client.readBits(2, 'coils', 0, 1)).rejects.toMatchObject({ exceptionCode: 2 });
    expect(delta('exceptions')).toBe(2);
    expect(delta('replies')).toBe(2);
  });

  it('serialises concurrent callers: one request on the line at a time', async () => {
    const [a, b, c] = await Promise.all([readMeter(client, SDM630.profile, 1), readMeter(client, DTSU666.profile, 2), readMeter(client, WATER.profile, 3)]);
    expect(valuesOf(a)).toEqual(SDM630.expected);
    expect(valuesOf(b)).toEqual(DTSU666.expected);
    expect(valuesOf(c)).toEqual(WATER.expected);
    expect(delta('requests')).toBe(7);
    expect(delta('replies')).toBe(7);
  });

  it('keeps at least t3.5 between transactions and counts the line busy time', async () => {
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) await voltage();
    // 10 transactions have 9 quiet gaps between them, each at least t3.5 (3.5 × 11 bits at 9600 baud = 4.01 ms)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(9 * ((3.5 * 11) / 9600) * 1000);
    expect(delta('busyMs')).toBeGreaterThan(0);
  });
});

describe('a meter that goes silent and comes back', () => {
  it('goes offline after N failures, is probed with backoff while the others are polled, and is online again when it answers', async () => {
    const states: [string, DeviceHealth, DeviceHealth][] = [];
    let kitchenReadings = 0;
    const poller = new BusPoller(
      client,
      [
        { id: 'kitchen', unit: 1, profile: SDM630.profile, intervalMs: 100 },
        { id: 'hall', unit: 2, profile: DTSU666.profile, intervalMs: 100, timeoutMs: 100 },
      ],
      {
        failuresBeforeOffline: 2,
        maxBackoffMs: 400,
        onReading: (id) => id === 'kitchen' && kitchenReadings++,
        onState: (id, s, prev) => states.push([id, prev, s.health]),
      },
    );
    const until = async (what: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!what()) {
        if (Date.now() > end) throw new Error('timed out waiting');
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const hall = () => poller.status().find((s) => s.id === 'hall')!;
    try {
      await peer.fault(2, 'silent');
      poller.start();
      await until(() => hall().health === 'offline', 2000);
      const seenAtOffline = (await peer.stats())['2']!;
      const kitchenAtOffline = kitchenReadings;
      await new Promise((r) => setTimeout(r, 1000));
      const probes = (await peer.stats())['2']! - seenAtOffline;
      expect(probes).toBeGreaterThanOrEqual(1); // probed back: 200, 400, 400 ms
      expect(probes).toBeLessThanOrEqual(4); // not every 100 ms
      expect(kitchenReadings - kitchenAtOffline).toBeGreaterThanOrEqual(6);
      expect(hall().lastError).toMatch(/no reply within 100 ms/);

      await peer.fault(2, 'ok');
      await until(() => hall().health === 'online', 1500);
      expect(hall().lastGoodAt).toBeGreaterThan(0);
      expect(hall().consecutiveFailures).toBe(0);
      expect(states.filter(([id]) => id === 'hall')).toEqual([
        ['hall', 'unknown', 'degraded'],
        ['hall', 'degraded', 'offline'],
        ['hall', 'offline', 'online'],
      ]);
    } finally {
      await poller.stop();
    }
    const stopped = client.counters.requests;
    await new Promise((r) => setTimeout(r, 250));
    expect(client.counters.requests).toBe(stopped);
  });
});
