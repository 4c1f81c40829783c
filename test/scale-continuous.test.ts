import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { LineSocket } from '../drivers/line-socket.ts';
import { parseContinuousLine } from '../drivers/scale/continuous.ts';
import { ScaleSim, continuousLine, simulatedReading } from '../gateway/sim/scale.ts';
import { freePort } from './helpers/ports.ts';

describe('continuous ASCII scale lines', () => {
  it('parses stable, unstable, net, overload and underload lines', () => {
    expect(parseContinuousLine('ST,GS,+0001.234kg')).toEqual({ grams: 1234, stable: true, net: false, overload: false, underload: false, raw: 'ST,GS,+0001.234kg' });
    expect(parseContinuousLine('US,NT,-0000.015kg')).toMatchObject({ grams: -15, stable: false, net: true });
    expect(parseContinuousLine('ST,GS,+  352g')).toMatchObject({ grams: 352, stable: true });
    expect(parseContinuousLine('OL,GS,+9999.999kg')).toMatchObject({ overload: true, stable: false });
    expect(parseContinuousLine('OL,GS,  ------kg')).toMatchObject({ overload: true, grams: 0 });
    expect(parseContinuousLine('UL,GS,')).toMatchObject({ underload: true });
  });

  it('skips garbage and truncated lines', () => {
    for (const bad of ['', 'hello', 'ST,GS,', 'ST,XX,+0001.000kg', 'ST,GS,+00\x001kg', 'ST,GS,+0001.234kgEXTRA']) {
      expect(parseContinuousLine(bad)).toBeUndefined();
    }
  });

  it('the simulator writes lines the parser reads back exactly', () => {
    for (let t = 0; t < 9000; t += 50) {
      const r = simulatedReading(t, [352]);
      expect(parseContinuousLine(continuousLine(r).trimEnd())).toMatchObject({ grams: r.grams, stable: r.stable });
    }
  });

  it('the simulated cycle goes empty → unstable → stable plate → removed', () => {
    const seen = [0, 3500, 5000, 8500, 8800].map((t) => simulatedReading(t, [352]));
    expect(seen[0]).toEqual({ grams: 0, stable: true });
    expect(seen[1]!.stable).toBe(false);
    expect(seen[2]).toEqual({ grams: 352, stable: true });
    expect(seen[3]!.stable).toBe(false);
  });
});

describe('line socket', () => {
  it('splits a stream into lines across chunk boundaries and drops over-long lines', async () => {
    const port = await freePort();
    const server = net.createServer((s) => {
      s.write('ST,GS,+0000.1');
      setTimeout(() => s.write(`00kg\r\nUS,GS,+0000.200kg\n${'x'.repeat(300)}`), 20);
      setTimeout(() => s.write('\nST,GS,+0000.300kg\r\n'), 40);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const sock = new LineSocket({ host: '127.0.0.1', port, maxLineBytes: 256 });
    const lines: string[] = [];
    let overlong = 0;
    sock.on('line', (l) => lines.push(l));
    sock.on('overlong', () => overlong++);
    sock.start();
    await expect.poll(() => lines.length).toBe(3);
    expect(lines).toEqual(['ST,GS,+0000.100kg', 'US,GS,+0000.200kg', 'ST,GS,+0000.300kg']);
    expect(overlong).toBe(1);
    await sock.stop();
    await new Promise((r) => server.close(r));
  });

  it('reports a lost peer and reconnects when it returns', async () => {
    const port = await freePort();
    let sim = new ScaleSim({ host: '127.0.0.1', port, intervalMs: 20, platesG: [100] });
    await sim.start();
    const sock = new LineSocket({ host: '127.0.0.1', port, minBackoffMs: 50, maxBackoffMs: 200 });
    const events: string[] = [];
    let lines = 0;
    sock.on('connected', () => events.push('connected'));
    sock.on('disconnected', () => events.push('disconnected'));
    sock.on('line', () => lines++);
    sock.start();
    await expect.poll(() => lines).toBeGreaterThan(2);
    await sim.stop(); // unplugged
    await expect.poll(() => events.includes('disconnected')).toBe(true);
    sim = new ScaleSim({ host: '127.0.0.1', port, intervalMs: 20, platesG: [100] });
    await sim.start(); // back again
    const before = lines;
    await expect.poll(() => lines, { timeout: 5000 }).toBeGreaterThan(before + 2);
    expect(events.filter((e) => e === 'connected').length).toBeGreaterThanOrEqual(2);
    await sock.stop();
    await sim.stop();
  });
});
