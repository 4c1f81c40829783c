import { describe, expect, it } from 'vitest';
import { parseContinuousLine } from '../drivers/scale/continuous.ts';
import { continuousLine, simulatedReading } from '../gateway/sim/scale.ts';

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
