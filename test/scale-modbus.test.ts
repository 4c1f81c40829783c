// Modbus weight transmitters: test/peers/scale_modbus.py (standard-library RTU
// and Modbus TCP, CRC and framing from the spec) on a socat pty and over TCP,
// and Debian's pymodbus as an independent server. Motion then stable from the
// status word, overload/underload bits, net from the net bit, a float32 CDAB
// register without status (the filter decides), truncated and noisy replies,
// the line pulled and plugged in again, `canteen-edge scale read --protocol modbus`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScale } from '../drivers/scale/create.ts';
import { ScaleNotSupported, type ScaleDriver } from '../drivers/scale/driver.ts';
import { ptyLine, startScalePeer, waitForReading, waitForState, type PtyLine, type ScalePeer } from './helpers/scale/peers.ts';
import { cli } from './helpers/cli.ts';
import { startPymodbus } from './peers/modbus.ts';

const FAST = { poll_ms: 30, reply_timeout_ms: 300, timeout_ms: 1000 };
const REGISTERS = {
  unit_id: 1,
  net: { address: 0, type: 'int32', scale: 0.1 },
  gross: { address: 2, type: 'int32', scale: 0.1 },
  status: { address: 4, stable_bit: 0, overload_bit: 1, underload_bit: 2, net_bit: 3 },
} as const;

describe('Modbus RTU transmitter on a serial line', () => {
  let line: PtyLine;
  let peer: ScalePeer;
  let scale: ScaleDriver;

  beforeAll(async () => {
    line = await ptyLine();
    peer = await startScalePeer('scale_modbus.py', { device: line.a });
    scale = createScale({ id: 'tx-1', protocol: 'modbus', transport: { type: 'serial', path: line.b, baud: 19200 }, registers: REGISTERS, ...FAST }, { maxBackoffMs: 200 });
    const connected = waitForState(scale, 'connected');
    scale.start();
    await connected;
  });

  afterAll(async () => {
    await scale?.stop();
    await peer?.stop();
    await line?.stop();
  });

  it('motion then stable, from the status word', async () => {
    expect(scale.hasStableFlag).toBe(true);
    await peer.set({ load: 345.6, motion: true });
    expect(await waitForReading(scale, (r) => r.grams === 345.6)).toMatchObject({ stable: false, stableBy: 'scale', net: false });
    await peer.set({ motion: false });
    const r = await waitForReading(scale, (x) => x.stable);
    expect(r).toMatchObject({ grams: 345.6, stableBy: 'scale', net: false, overload: false });
    expect(r.raw).toBe('unit 1 holding 0: 0000 0d80 0000 0d80 0001');
  });

  it('overload and underload bits; net from the net bit', async () => {
    await peer.set({ load: 20_000 });
    expect(await waitForReading(scale, (r) => r.overload)).toMatchObject({ stable: false });
    await peer.set({ load: -300 });
    expect(await waitForReading(scale, (r) => r.underload)).toMatchObject({ stable: false, grams: -300 });
    await peer.set({ load: 470, tare: 120 });
    expect(await waitForReading(scale, (r) => r.net && r.stable)).toMatchObject({ grams: 350, tare: 120 });
    await peer.set({ tare: 0 });
  });

  it('noise before a reply is skipped, a truncated reply is a timeout; readings go on', async () => {
    const timeouts = scale.counters.timeouts;
    await peer.send({ corrupt: 'garbage', times: 2 });
    await peer.send({ corrupt: 'truncate', times: 1 });
    await expect.poll(() => scale.counters.timeouts - timeouts, { timeout: 3000 }).toBe(1);
    await peer.set({ load: 12.5 });
    expect(await waitForReading(scale, (r) => r.stable && r.grams === 12.5)).toBeTruthy();
    expect(scale.state).toBe('connected');
  });

  it('zero and tare are not supported (the Modbus client only reads)', async () => {
    await expect(scale.zero()).rejects.toThrow(ScaleNotSupported);
    await expect(scale.zero()).rejects.toThrow('zero is not supported by modbus (the Modbus client only reads registers: zero and tare on the transmitter)');
    await expect(scale.tare()).rejects.toThrow('tare is not supported by modbus');
    await expect(scale.presetTare(100)).rejects.toThrow('preset tare is not supported by modbus');
  });

  it('reports the line pulled and reads again when it is plugged in', async () => {
    const lost = waitForState(scale, 'lost');
    await line.unplug();
    expect((await lost).reason).toMatch(/closed|cannot open|No such file|Input\/output error|EIO/i);
    await peer.stop();
    const back = waitForState(scale, 'back');
    await line.plug();
    peer = await startScalePeer('scale_modbus.py', { device: line.a });
    await peer.set({ load: 222 });
    await back;
    expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 222 });
  });
});

describe('Modbus TCP transmitter', () => {
  it('float32 CDAB gross in kg without status: the filter decides; lost and back', async () => {
    const peer = await startScalePeer('scale_modbus.py', { tcp: 0 });
    const scale = createScale(
      {
        id: 'tx-tcp',
        protocol: 'modbus',
        transport: { type: 'tcp', host: '127.0.0.1', port: peer.port },
        registers: { gross: { address: 10, type: 'float32', order: 'CDAB', scale: 1000 } },
        division_g: 1,
        stability: { samples: 4, window_ms: 100 },
        ...FAST,
      },
      { maxBackoffMs: 200 },
    );
    try {
      expect(scale.hasStableFlag).toBe(false);
      await peer.set({ load: 418 });
      scale.start();
      const first = await waitForReading(scale, () => true);
      expect(first).toMatchObject({ grams: 418, stable: false, stableBy: 'filter' });
      expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 418, stableBy: 'filter' });
      const lost = waitForState(scale, 'lost');
      await peer.send({ unplug: 600 });
      await lost;
      const back = waitForState(scale, 'back');
      await back;
      expect(await waitForReading(scale, (r) => r.stable)).toMatchObject({ grams: 418 });
    } finally {
      await scale.stop();
      await peer.stop();
    }
  });

  it('against Debian pymodbus (an independent server): int16 input registers, motion bit', async () => {
    const server = await startPymodbus({
      transport: 'tcp',
      units: { 3: { input: [{ addr: 100, type: 'int16', value: -125 }, { addr: 101, type: 'int16', value: 2375 }, { addr: 102, type: 'uint16', value: 0b100000 }] } },
    });
    const scale = createScale({
      id: 'pymodbus',
      protocol: 'modbus',
      transport: { type: 'tcp', host: '127.0.0.1', port: server.port },
      registers: { unit_id: 3, function: 'input', net: { address: 100, type: 'int16' }, gross: { address: 101, type: 'int16', scale: 2 }, status: { address: 102, motion_bit: 5 } },
      ...FAST,
    });
    try {
      scale.start();
      expect(await waitForReading(scale, () => true)).toMatchObject({ grams: -125, net: true, stable: false, stableBy: 'scale' });
    } finally {
      await scale.stop();
      await server.stop();
    }
  });
});

describe('canteen-edge scale read --protocol modbus', () => {
  let line: PtyLine;
  let peer: ScalePeer;
  const regs = JSON.stringify({ net: { address: 0, type: 'int32', scale: 0.1 }, status: { address: 4, stable_bit: 0 } });

  beforeAll(async () => {
    line = await ptyLine();
    peer = await startScalePeer('scale_modbus.py', { device: line.a, unit: 7 });
  });

  afterAll(async () => {
    await peer?.stop();
    await line?.stop();
  });

  it('reads a transmitter; --stable waits for the stable bit; timeout exit 1', async () => {
    await peer.set({ load: 506.5, motion: false });
    let r = cli(['scale', 'read', '--protocol', 'modbus', '--port', line.b, '--unit', '7', '--registers', regs]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ grams: 506.5, stable: true, net: false });
    await peer.set({ motion: true });
    r = cli(['scale', 'read', '--protocol', 'modbus', '--port', line.b, '--unit', '7', '--registers', regs, '--stable', '--timeout', '1000']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no stable reading within 1000 ms (last: 506.5 g unstable)');
    r = cli(['scale', 'read', '--protocol', 'modbus', '--port', line.b, '--unit', '8', '--registers', regs, '--timeout', '800']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no answer for 800 ms|did not answer/);
  });

  it('usage errors name the flag and the key', () => {
    const cases: [string[], string][] = [
      [[], '--registers is required for modbus'],
      [['--registers', '{net:'], '--registers: not JSON'],
      [['--registers', '{"net": {"address": 0, "type": "int64"}}'], '--registers: net.type: Invalid option'],
      [['--registers', '{"status": {"address": 4}}'], '--registers: give net or gross (or both)'],
      [['--registers', regs, '--unit', '300'], '--unit "300": expected an integer from 0 to 255'],
    ];
    for (const [args, message] of cases) {
      const r = cli(['scale', 'read', '--protocol', 'modbus', '--port', line.b, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
  });
});
