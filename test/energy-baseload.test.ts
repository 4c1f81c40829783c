// Night and holiday base load: the watch learns a meter's closed-hours quarters, flags a
// closed quarter well above them as a "baseload" anomaly with its cost in kWh and kgce,
// books it like the counter anomalies (row + outbox alert in one transaction), and stays
// quiet while open, before it has learned enough, and within the threshold.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BaseloadWatch } from '../gateway/energy/baseload.ts';
import { EnergyAccountant } from '../gateway/energy/accountant.ts';
import { EnergyReport } from '../gateway/energy/report.ts';
import { openDatabase, type Db } from '../gateway/store/sqlite.ts';
import type { EnergyAnomaly, EnergyInterval } from '../gateway/wire/energy.ts';

const TZ = 'Asia/Shanghai';
const Q = 15 * 60_000;
const DAY = 86_400_000;
// 2026-11-26 02:00 Asia/Shanghai (closed: the canteen opens 06:00-20:00)
const NIGHT = Date.UTC(2026, 10, 25, 18, 0, 0);
const NOON = Date.UTC(2026, 10, 26, 4, 0, 0);

function setup(opts: { closedDates?: string[] } = {}) {
  const db: Db = openDatabase(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-baseload-')));
  const flagged: (EnergyAnomaly & { prev: number; value: number })[] = [];
  const watch = new BaseloadWatch({
    db, timeZone: TZ, openingHours: ['06:00-20:00'], closedDates: opts.closedDates ?? [], factor: 1.5, minExcessKwh: 0.1, minSamples: 16,
    kgcePerKwh: 0.1229, meters: ['main'], onAnomaly: (a) => flagged.push(a),
  });
  const insert = db.prepare("INSERT INTO energy_intervals (meter, period, start, amount, estimated, anomalies, power_sum, power_samples) VALUES ('main', '15m', ?, ?, 0, 0, 0, 0)");
  /** `nights` past nights of 00:00–04:00 (16 quarters each) at `kwh` a quarter, and busy noons */
  const learn = (nights: number, kwh: number) => {
    for (let d = 1; d <= nights; d++) {
      for (let q = 0; q < 16; q++) insert.run(NIGHT - 2 * 3_600_000 - d * DAY + q * Q, kwh + (q % 3) * 0.01);
      for (let q = 0; q < 8; q++) insert.run(NOON - d * DAY + q * Q, 9); // open hours do not teach the night baseline
    }
  };
  const quarter = (start: number, amount: number): EnergyInterval => ({ meter: 'main', medium: 'electricity', unit: 'kWh', period: '15m', start, end: start + Q, amount, estimated: false, anomalies: 0 });
  return { db, watch, flagged, learn, quarter };
}

describe('night and holiday base load', () => {
  it('flags a closed quarter far above the learned night baseline, once per closed stretch, with its cost in kWh and kgce', () => {
    const { watch, flagged, learn, quarter } = setup();
    learn(3, 0.2);
    expect(watch.baseline('main', NIGHT)).toBeCloseTo(0.21, 9); // the median of the nights, noons left out
    watch.check(quarter(NIGHT, 0.3)); // within 0.21 × 1.5 + 0.1
    expect(flagged).toEqual([]);
    watch.check(quarter(NIGHT + Q, 1.5));
    watch.check(quarter(NIGHT + 2 * Q, 1.6)); // same stretch: not again
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatchObject({ meter: 'main', kind: 'baseload', at: NIGHT + 2 * Q, prev: expect.closeTo(0.21, 9), value: 1.5 });
    expect(flagged[0]!.detail).toMatch(/1\.500 kWh in a closed quarter against a usual 0\.210 kWh: 1\.290 kWh \(0\.1585 kgce\) more/);
    // the canteen opens and closes again: a new stretch may be flagged
    watch.check(quarter(NOON, 9));
    watch.check(quarter(NIGHT + DAY, 2));
    expect(flagged).toHaveLength(2);
  });

  it('stays quiet while open, before 16 closed quarters are learned, and for estimated quarters', () => {
    const { watch, flagged, learn, quarter } = setup();
    learn(0, 0.2);
    watch.check(quarter(NIGHT, 5)); // nothing learned yet
    learn(3, 0.2);
    watch.check(quarter(NOON, 50)); // open: busy is normal
    watch.check({ ...quarter(NIGHT, 5), estimated: true });
    expect(flagged).toEqual([]);
  });

  it('treats a closed date (holiday) as closed all day', () => {
    const { watch, flagged, learn, quarter } = setup({ closedDates: ['2026-11-26'] });
    learn(3, 0.2);
    expect(watch.closed(NOON)).toBe(true);
    watch.check(quarter(NOON, 4));
    expect(flagged).toHaveLength(1);
  });

  it('is worded with its kgce on the panel: the report adds the excess in standard coal', () => {
    const { db } = setup();
    db.prepare("INSERT INTO energy_anomalies (meter, at, kind, detail, prev, value) VALUES ('main', ?, 'baseload', 'x', 0.2, 1.5)").run(NIGHT);
    const acc = new EnergyAccountant({ db, meters: [], timeZone: TZ });
    const report = new EnergyReport({ db, meters: [], site: { timeZone: TZ, siteMeters: [], factors: { electricityKgcePerKwh: 0.1229, gasKgcePerM3: 1.33, gridCo2TPerMwh: 0.5617, gasCo2KgPerM3: 2.165, sources: { coal: '', grid: '', gas: '' } }, targets: {} }, accountant: acc });
    const [a] = report.recentAnomalies(NIGHT - 1);
    expect(a).toMatchObject({ kind: 'baseload', prev: 0.2, value: 1.5 });
    expect(a!.kgce).toBeCloseTo(1.3 * 0.1229, 9);
  });
});
