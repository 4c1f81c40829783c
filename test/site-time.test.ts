// gateway/site-time.ts: the one local-time helper; its local date and clock agree with what
// Intl says for the zone (the way canteen/meals.ts computed them before), DST zones included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localDay, localMinutes, localParts, localTime } from '../gateway/site-time.ts';

function intlParts(ms: number, timeZone: string): { date: string; hhmm: string } {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, hhmm: `${p.hour}:${p.minute}` };
}

const ZONES = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'UTC'];
const instants = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) });

describe('site time', () => {
  it('local date and HH:mm match Intl in every zone', () => {
    fc.assert(
      fc.property(instants, fc.constantFrom(...ZONES), (ms, tz) => {
        expect(localParts(ms, tz)).toEqual(intlParts(ms, tz));
        expect(localDay(ms, tz)).toBe(intlParts(ms, tz).date);
      }),
      { numRuns: 2000 },
    );
  });

  it('localTime inverts localParts (whole minutes, outside DST gaps)', () => {
    fc.assert(
      fc.property(instants, fc.constantFrom(...ZONES), (ms, tz) => {
        const minute = Math.floor(ms / 60_000) * 60_000;
        const { date, hhmm } = localParts(minute, tz);
        const back = localTime(date, hhmm, tz);
        // an ambiguous hour (DST end) may map to either instant; both show the same wall time
        expect(localParts(back, tz)).toEqual({ date, hhmm });
      }),
      { numRuns: 2000 },
    );
  });

  it('Asia/Shanghai: 2026-12-08 11:30 local is 03:30 UTC; minutes since midnight 690', () => {
    expect(localTime('2026-12-08', '11:30', 'Asia/Shanghai')).toBe(Date.UTC(2026, 11, 8, 3, 30));
    expect(localMinutes(Date.UTC(2026, 11, 8, 3, 30), 'Asia/Shanghai')).toBe(690);
    expect(localDay(Date.UTC(2026, 11, 7, 16, 0), 'Asia/Shanghai')).toBe('2026-12-08');
  });
});
