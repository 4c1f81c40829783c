import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnergyAccountant, type MeteredPoint } from '../gateway/energy/accountant.ts';
import type { EnergyInterval } from '../gateway/wire/energy.ts';
import { counterStep } from '../gateway/energy/counter.ts';
import { calendarStart, periodStart, zoneOffsetMs } from '../gateway/energy/periods.ts';
import { EnergyReport } from '../gateway/energy/report.ts';
import { pruneHistory } from '../gateway/energy/retention.ts';
import { openDatabase, type Db } from '../gateway/store/sqlite.ts';

const TZ = 'Asia/Shanghai';
// 2026-11-26 10:00:00 Asia/Shanghai = 02:00 UTC
const T0 = Date.UTC(2026, 10, 26, 2, 0, 0);
const MIN = 60_000;

const main: MeteredPoint = { meter: 'main', medium: 'electricity', counter: 'energy_import', unit: 'kWh', limits: { max: 99_999_999, maxRatePerHour: 100 }, pollMs: 1000 };
const water: MeteredPoint = { meter: 'water', medium: 'water', counter: 'volume_total', unit: 'm3', limits: { max: 99_999 }, pollMs: 1000 };

function freshDb(): Db {
  return openDatabase(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-energy-')));
}
const reading = (deviceId: string, at: number, point: string, value: number, powerW?: number) => ({
  deviceId,
  profile: 'x',
  at,
  values: { [point]: { value, unit: 'kWh' }, ...(powerW === undefined ? {} : { power_total: { value: powerW, unit: 'W' } }) },
});
const rows = (db: Db, period: string) =>
  db.prepare('SELECT meter, start, round(amount, 6) AS amount, estimated, anomalies FROM energy_intervals WHERE period = ? ORDER BY meter, start').all(period);

describe('counter steps', () => {
  it('books the difference', () => expect(counterStep(100, 100.5, 1 / 60, { maxRatePerHour: 100 })).toEqual({ delta: 0.5 }));
  it('books a rollover past the maximum', () => {
    const s = counterStep(99_999.5, 0.7, 1 / 60, { max: 100_000, maxRatePerHour: 100 });
    expect(s.rollover).toBe(true);
    expect(s.delta).toBeCloseTo(1.2, 9);
  });
  it('flags a counter going backwards, never negative', () => {
    expect(counterStep(500, 499, 1 / 60, {})).toEqual({ delta: 0, anomaly: { kind: 'backwards', detail: 'counter went backwards from 500 to 499' } });
  });
  it('flags a restart after a meter swap', () => {
    expect(counterStep(12_345, 3, 1 / 60, { max: 99_999_999 }).anomaly?.kind).toBe('reset');
  });
  it('flags a jump beyond the rating', () => {
    const s = counterStep(100, 150, 1 / 60, { maxRatePerHour: 100 }); // 50 kWh in a minute from a 100 kW meter
    expect(s).toMatchObject({ delta: 0, anomaly: { kind: 'jump' } });
    expect(s.anomaly!.detail).toContain('more than the rating of 100 per hour allows');
  });
});

describe('periods in the site time zone', () => {
  it('days start at local midnight', () => {
    expect(zoneOffsetMs(T0, TZ)).toBe(8 * 3_600_000);
    expect(new Date(periodStart(T0, '1d', TZ)).toISOString()).toBe('2026-11-25T16:00:00.000Z');
    expect(new Date(periodStart(T0 + 7 * MIN, '15m', TZ)).toISOString()).toBe('2026-11-26T02:00:00.000Z');
    expect(new Date(calendarStart(T0, 'month', TZ)).toISOString()).toBe('2026-10-31T16:00:00.000Z');
    expect(new Date(calendarStart(T0, 'year', TZ)).toISOString()).toBe('2025-12-31T16:00:00.000Z');
  });
});

describe('energy accountant', () => {
  it('books differences into 1m, 15m, 1h and 1d rows and keeps the average power', () => {
    const db = freshDb();
    const acc = new EnergyAccountant({ db, meters: [main], timeZone: TZ });
    for (let i = 0; i <= 120; i++) acc.book(reading('main', T0 + i * 1000, 'energy_import', 1000 + i * 0.01, 36_000));
    acc.flush(T0 + 121_000);
    const minutes = rows(db, '1m') as { amount: number; estimated: number }[];
    expect(minutes.map((r) => r.amount)).toEqual([0.6, 0.6, 0]); // the last sample only adds power to minute 3
    expect(minutes.every((r) => r.estimated === 0)).toBe(true);
    expect(rows(db, '15m')).toEqual([{ meter: 'main', start: T0, amount: 1.2, estimated: 0, anomalies: 0 }]);
    expect(rows(db, '1d')).toEqual([{ meter: 'main', start: periodStart(T0, '1d', TZ), amount: 1.2, estimated: 0, anomalies: 0 }]);
    const power = db.prepare("SELECT power_sum / power_samples AS w FROM energy_intervals WHERE period = '1m' AND start = ?").get(T0) as { w: number };
    expect(power.w).toBe(36_000);
  });

  it('spreads a gap over its minutes, marked estimated, and survives a restart', () => {
    const db = freshDb();
    let acc = new EnergyAccountant({ db, meters: [main], timeZone: TZ });
    acc.book(reading('main', T0, 'energy_import', 1000));
    acc.book(reading('main', T0 + 1000, 'energy_import', 1000.01));
    acc.flush(T0 + 2000);
    // power cut: the process restarts 10 minutes later
    acc = new EnergyAccountant({ db, meters: [main], timeZone: TZ });
    acc.book(reading('main', T0 + 1000 + 10 * MIN, 'energy_import', 1003.01));
    acc.flush(T0 + 11 * MIN);
    const minutes = rows(db, '1m') as { amount: number; estimated: number }[];
    expect(minutes.reduce((s, r) => s + r.amount, 0)).toBeCloseTo(3.01, 9);
    expect(minutes.length).toBe(11);
    expect(minutes.slice(1).every((r) => r.estimated === 1)).toBe(true);
  });

  it('records anomalies, books nothing negative, and re-baselines', () => {
    const db = freshDb();
    const anomalies: string[] = [];
    const acc = new EnergyAccountant({ db, meters: [main], timeZone: TZ, onAnomaly: (a) => anomalies.push(a.kind) });
    acc.book(reading('main', T0, 'energy_import', 5000));
    acc.book(reading('main', T0 + 1000, 'energy_import', 4990)); // backwards
    acc.book(reading('main', T0 + 2000, 'energy_import', 4990.01));
    acc.book(reading('main', T0 + 3000, 'energy_import', 6000)); // jump
    acc.book(reading('main', T0 + 4000, 'energy_import', 6000.02));
    acc.flush(T0 + 5000);
    expect(anomalies).toEqual(['backwards', 'jump']);
    const [row] = rows(db, '15m') as { amount: number; estimated: number; anomalies: number }[];
    expect(row!.amount).toBeCloseTo(0.03, 9);
    expect(row!.estimated).toBe(1);
    expect(row!.anomalies).toBe(2);
    expect(db.prepare('SELECT kind, prev, value FROM energy_anomalies ORDER BY id').all()).toEqual([
      { kind: 'backwards', prev: 5000, value: 4990 },
      { kind: 'jump', prev: 4990.01, value: 6000 },
    ]);
  });

  it('announces each closed 15-minute interval once', () => {
    const db = freshDb();
    const closed: EnergyInterval[] = [];
    const acc = new EnergyAccountant({ db, meters: [main], timeZone: TZ, onIntervalClosed: (i) => void closed.push(i), now: T0 });
    acc.book(reading('main', T0, 'energy_import', 10));
    acc.book(reading('main', T0 + 14 * MIN, 'energy_import', 12));
    acc.flush(T0 + 14 * MIN);
    expect(closed).toEqual([]);
    acc.book(reading('main', T0 + 16 * MIN, 'energy_import', 13));
    acc.flush(T0 + 16 * MIN);
    acc.flush(T0 + 17 * MIN);
    expect(closed).toHaveLength(1);
    expect(closed[0]).toMatchObject({ meter: 'main', period: '15m', start: T0, end: T0 + 15 * MIN, unit: 'kWh' });
    expect(closed[0]!.amount).toBeCloseTo(2.5, 9);
    // the counter at the period end, for uplinks that report raw values (JGJ/T 285): 13 less the 0.5 booked after it
    expect(closed[0]!.reading).toBeCloseTo(12.5, 6);
  });

  it('gives no reading at a period end when no reading came after it, or a counter anomaly followed', () => {
    const silent = freshDb();
    const closed: EnergyInterval[] = [];
    const acc = new EnergyAccountant({ db: silent, meters: [main], timeZone: TZ, onIntervalClosed: (i) => void closed.push(i), now: T0 });
    acc.book(reading('main', T0, 'energy_import', 10));
    acc.book(reading('main', T0 + 14 * MIN, 'energy_import', 12));
    acc.flush(T0 + 20 * MIN);
    expect(closed).toHaveLength(1);
    expect(closed[0]!.reading).toBeUndefined();

    const jumped = freshDb();
    const closed2: EnergyInterval[] = [];
    const acc2 = new EnergyAccountant({ db: jumped, meters: [main], timeZone: TZ, onIntervalClosed: (i) => void closed2.push(i), now: T0 });
    acc2.book(reading('main', T0, 'energy_import', 10));
    acc2.book(reading('main', T0 + 14 * MIN, 'energy_import', 12));
    acc2.book(reading('main', T0 + 16 * MIN, 'energy_import', 5)); // backwards: an anomaly, not booked
    acc2.flush(T0 + 17 * MIN);
    expect(closed2).toHaveLength(1);
    expect(closed2[0]!.reading).toBeUndefined();
  });
});

describe('energy report', () => {
  it('adds up today, converts to kgce and CO2, and compares with targets', () => {
    const db = freshDb();
    const big = { ...main, limits: { maxRatePerHour: 10_000 } }; // a 10 MW incomer: 100 kWh a minute is plausible
    const acc = new EnergyAccountant({ db, meters: [big, water], timeZone: TZ });
    acc.book(reading('main', T0, 'energy_import', 1000));
    acc.book(reading('main', T0 + 60_000, 'energy_import', 1100));
    acc.book(reading('water', T0, 'volume_total', 50));
    acc.book(reading('water', T0 + 60_000, 'volume_total', 52.5));
    acc.flush(T0 + 60_000);
    acc.book(reading('main', T0 + 61_000, 'energy_import', 1100.5)); // still pending: counted too
    const report = new EnergyReport({
      db,
      meters: [big, water],
      site: {
        timeZone: TZ,
        headcount: 100,
        floorAreaM2: 1000,
        siteMeters: ['main', 'water'],
        factors: { electricityKgcePerKwh: 0.1229, gasKgcePerM3: 1.33, gridCo2TPerMwh: 0.5617, gasCo2KgPerM3: 2.165, sources: { coal: 'c', grid: 'g', gas: 'n' } },
        targets: { kgcePerM2Year: 5.66, kgcePerPersonYear: 144.5 },
      },
      accountant: acc,
    });
    const s = report.summary(T0 + 62_000);
    expect(s.today.electricityKwh).toBeCloseTo(100.5, 9);
    expect(s.today.waterM3).toBeCloseTo(2.5, 9);
    expect(s.today.kgce).toBeCloseTo(100.5 * 0.1229, 9);
    expect(s.today.co2Kg).toBeCloseTo(100.5 * 0.5617, 9);
    expect(s.indicators.kgcePerM2!.ytd).toBeCloseTo((100.5 * 0.1229) / 1000, 9);
    expect(s.indicators.kgcePerM2!.target).toBe(5.66);
    // a minute of data projects nothing: a yearly forecast needs 30 days
    expect(s.indicators.kgcePerM2).toMatchObject({ projectedYear: null, dataDays: 0, minDays: 30 });
    expect(s.indicators.waterM3PerPerson!.target).toBeNull();
    const series = report.series('15m', 96, T0 + 62_000);
    expect(series.points).toHaveLength(96);
    expect(series.points.at(-1)!.electricityKwh).toBeCloseTo(100.5, 9);
    expect(report.series('1d', 30, T0 + 62_000).points.at(-1)!.waterM3).toBeCloseTo(2.5, 9);
    const waterOnly = report.series('15m', 4, T0 + 62_000, ['water']).points.at(-1)!;
    expect(waterOnly.electricityKwh).toBeNull(); // no electricity meter in it: not metered, not zero
    // before the box booked anything: gaps, not zeros; the running period is partial
    expect(series.points[0]).toMatchObject({ electricityKwh: null, waterM3: null, partial: false });
    expect(series.points.filter((p) => p.electricityKwh !== null)).toHaveLength(1);
    expect(series.points.at(-1)!.partial).toBe(true);
    expect(waterOnly.waterM3).toBeCloseTo(2.5, 9);
  });

  it('counts natural gas in kgce and as a direct CO₂ emission next to the grid\'s', () => {
    const db = freshDb();
    const gas: MeteredPoint = { meter: 'gas', medium: 'gas', counter: 'volume_total', unit: 'm3', limits: { max: 99_999_999 }, pollMs: 1000 };
    const acc = new EnergyAccountant({ db, meters: [main, gas], timeZone: TZ });
    acc.book(reading('main', T0, 'energy_import', 1000));
    acc.book(reading('main', T0 + 60_000, 'energy_import', 1001));
    acc.book(reading('gas', T0, 'volume_total', 500));
    acc.book(reading('gas', T0 + 60_000, 'volume_total', 502));
    acc.flush(T0 + 60_000);
    const sources = { coal: 'GB/T 2589-2020', grid: 'MEE/NBS 2024-12-20', gas: 'NDRC 2015' };
    const report = new EnergyReport({
      db,
      meters: [main, gas],
      site: {
        timeZone: TZ,
        siteMeters: ['main', 'gas'],
        factors: { electricityKgcePerKwh: 0.1229, gasKgcePerM3: 1.33, gridCo2TPerMwh: 0.5617, gasCo2KgPerM3: 2.165, sources },
        targets: {},
      },
      accountant: acc,
    });
    const s = report.summary(T0 + 61_000);
    expect(s.today.gasM3).toBeCloseTo(2, 9);
    expect(s.today.kgce).toBeCloseTo(1 * 0.1229 + 2 * 1.33, 9);
    expect(s.today.co2ElectricityKg).toBeCloseTo(0.5617, 9);
    expect(s.today.co2GasKg).toBeCloseTo(4.33, 9);
    expect(s.today.co2Kg).toBeCloseTo(0.5617 + 4.33, 9);
    expect(s.factors).toEqual({ electricityKgcePerKwh: 0.1229, gasKgcePerM3: 1.33, gridCo2KgPerKwh: 0.5617, gasCo2KgPerM3: 2.165, sources });
  });

  it('projects the year from the days the box has data for, once it has 30 of them', () => {
    const db = freshDb();
    const acc = new EnergyAccountant({ db, meters: [main], timeZone: TZ });
    const site = { timeZone: TZ, floorAreaM2: 1000, siteMeters: ['main'], factors: { electricityKgcePerKwh: 0.1229, gasKgcePerM3: 1.33, gridCo2TPerMwh: 0.5617, gasCo2KgPerM3: 2.165, sources: { coal: '', grid: '', gas: '' } }, targets: {} };
    const insert = db.prepare("INSERT INTO energy_intervals (meter, period, start, amount, estimated, anomalies, power_sum, power_samples) VALUES ('main', ?, ?, ?, 0, 0, 0, 0)");
    // 29 days of data: no projection yet, and the panel is told how many days there are
    insert.run('1m', T0 - 29 * 86_400_000, 0);
    insert.run('1d', T0 - 29 * 86_400_000, 500);
    const early = new EnergyReport({ db, meters: [main], site, accountant: acc }).summary(T0);
    expect(early.indicators.kgcePerM2).toMatchObject({ projectedYear: null, dataDays: 29 });
    // 40 days: the year is the rate over those 40 days (not over the months since 1 January)
    insert.run('1m', T0 - 40 * 86_400_000, 0);
    insert.run('1d', T0 - 40 * 86_400_000, 500);
    const later = new EnergyReport({ db, meters: [main], site, accountant: acc }).summary(T0).indicators.kgcePerM2!;
    expect(later.dataDays).toBe(40);
    expect(later.projectedYear).toBeCloseTo((1000 * 0.1229) / 1000 / (40 / 365), 6);
  });

  it('prunes fine history past its retention and keeps the coarse rows', () => {
    const db = freshDb();
    const acc = new EnergyAccountant({ db, meters: [main], timeZone: TZ });
    const old = T0 - 10 * 86_400_000;
    acc.book(reading('main', old, 'energy_import', 1));
    acc.book(reading('main', old + 1000, 'energy_import', 2));
    acc.flush(old + 2000);
    pruneHistory(db, { '1m': 7, '15m': 92, '1h': 800, '1d': null }, T0);
    expect(rows(db, '1m')).toEqual([]);
    expect((rows(db, '1d') as unknown[]).length).toBe(1);
  });
});
