// Disinfection cycles and the missing-cycle rule with an injected clock (the site day's
// due times cannot be waited for in a test), on a real SQLite store: the running signal
// makes one cycle per on→off, a short one is recorded but does not count, a due time
// with no full cycle since the previous one raises one alert, a due time after one does
// not; cycles survive a restart (the store). Parsing of DS18B20 w1_slave text too.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseW1Slave } from '../drivers/w1/ds18b20.ts';
import type { RaiseAlert } from '../gateway/kitchen/alerts.ts';
import { disinfectionSchema } from '../gateway/kitchen/sensors/config.ts';
import { DisinfectionWatch, dueInstants } from '../gateway/kitchen/sensors/disinfection.ts';
import { SensorRecordsStore } from '../gateway/kitchen/sensors/store.ts';
import { createLogger } from '../gateway/log.ts';
import { openDatabase, type Db } from '../gateway/store/sqlite.ts';

const TZ = 'Asia/Shanghai';
const at = (local: string) => Date.parse(`${local}+08:00`);
const MIN = 60_000;

let db: Db;
let store: SensorRecordsStore;
let raised: RaiseAlert[];
let saved: number;

function watch(now: { t: number }, due = ['10:30', '16:30']) {
  const cfg = disinfectionSchema.parse({ id: 'cab', name: '消毒柜 1', kind: 'cabinet', due, source: { type: 'meter', meter: 'm' } });
  return new DisinfectionWatch({
    cfg,
    timeZone: TZ,
    raise: (a) => (raised.push(a), null),
    saveCycle: (c) => (saved++, store.addCycle(c)),
    lastFullCycleEnd: (u, t) => store.lastFullCycleEnd(u, t),
    logger: createLogger('silent'),
    now: () => now.t,
  });
}

beforeEach(() => {
  db = openDatabase(mkdtempSync(path.join(os.tmpdir(), 'disinfection-')));
  store = new SensorRecordsStore(db);
  raised = [];
  saved = 0;
});
afterEach(() => db.close());

describe('disinfection cycles', () => {
  it('one record per on→off; shorter than 10 min is recorded but not full', () => {
    const now = { t: at('2026-12-08T08:00:00') };
    const w = watch(now);
    w.signal(true, now.t);
    w.signal(true, now.t + 2 * MIN);
    w.signal(false, now.t + 5 * MIN);
    w.signal(true, now.t + 20 * MIN);
    w.signal(false, now.t + 32 * MIN);
    const cycles = store.cyclesSince(0);
    expect(cycles.map((c) => [c.minutes, c.full])).toEqual([
      [5, false],
      [12, true],
    ]);
    expect(store.lastFullCycleEnd('cab', now.t + 40 * MIN)).toBe(now.t + 32 * MIN);
  });

  it('a due time without a full cycle since the previous due time raises one alert; with one, none', () => {
    const now = { t: at('2026-12-08T09:00:00') };
    const w = watch(now);
    // a full cycle 09:10–09:25 covers 10:30
    w.signal(true, at('2026-12-08T09:10:00'));
    w.signal(false, at('2026-12-08T09:25:00'));
    now.t = at('2026-12-08T10:31:00');
    w.checkDue();
    expect(raised).toEqual([]);
    // nothing between 10:30 and 16:30 but a 4-minute run
    w.signal(true, at('2026-12-08T14:00:00'));
    w.signal(false, at('2026-12-08T14:04:00'));
    now.t = at('2026-12-08T16:31:00');
    w.checkDue();
    w.checkDue();
    expect(raised).toEqual([expect.objectContaining({ type: 'disinfection_missing', message: '消毒柜 1：16:30 前未完成消毒（至少 10 分钟）', dedupeKey: `disinfection:cab:${at('2026-12-08T16:30:00')}` })]);
  });

  it('due instants in the site zone, across midnight', () => {
    expect(dueInstants(['10:30', '16:30'], at('2026-12-08T11:00:00'), at('2026-12-09T11:00:00'), TZ)).toEqual([at('2026-12-08T16:30:00'), at('2026-12-09T10:30:00')]);
  });
});

describe('DS18B20 w1_slave', () => {
  it('a good read, a failed CRC, garbage, the power-on 85 °C and out-of-range values', () => {
    expect(parseW1Slave('72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=-12500\n')).toEqual({ ok: true, celsius: -12.5 });
    expect(parseW1Slave('72 01 4b 46 7f ff 0e 10 57 : crc=57 NO\n72 01 4b 46 7f ff 0e 10 57 t=4000\n')).toMatchObject({ ok: false, reason: 'crc' });
    expect(parseW1Slave('')).toMatchObject({ ok: false, reason: 'garbled' });
    expect(parseW1Slave('00 00 : crc=00 YES\n00 00 t=\n')).toMatchObject({ ok: false, reason: 'garbled' });
    expect(parseW1Slave('50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n')).toMatchObject({ ok: false, reason: 'power-on' });
    expect(parseW1Slave('ff ff : crc=ff YES\nff ff t=-127000\n')).toMatchObject({ ok: false, reason: 'out-of-range' });
  });
});
