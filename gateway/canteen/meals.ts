// Site-local days and meals: which menu applies at a moment.
import type { Meal } from '../wire/canteen.ts';
import type { CanteenConfig } from './config.ts';

const formats = new Map<string, Intl.DateTimeFormat>();

function parts(ms: number, timeZone: string): { date: string; hhmm: string } {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, hhmm: `${p.hour}:${p.minute}` };
}

export function localDay(ms: number, timeZone: string): string {
  return parts(ms, timeZone).date;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export function isDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && addDays(s, 0) === s;
}

/** The meal served at `ms`; before breakfast it is still the previous day's dinner. */
export function mealAt(ms: number, timeZone: string, meals: CanteenConfig['meals']): { date: string; meal: Meal } {
  const { date, hhmm } = parts(ms, timeZone);
  if (hhmm < meals.breakfast) return { date: addDays(date, -1), meal: 'dinner' };
  if (hhmm < meals.lunch) return { date, meal: 'breakfast' };
  if (hhmm < meals.dinner) return { date, meal: 'lunch' };
  return { date, meal: 'dinner' };
}
