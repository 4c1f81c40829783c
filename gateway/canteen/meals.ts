// Site-local days and meals: which menu applies at a moment.
import type { Meal } from '../wire/canteen.ts';
import { localParts } from '../site-time.ts';
import type { CanteenConfig } from './config.ts';

export { localDay } from '../site-time.ts';

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export function isDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && addDays(s, 0) === s;
}

/** The meal served at `ms`; before breakfast it is still the previous day's dinner. */
export function mealAt(ms: number, timeZone: string, meals: CanteenConfig['meals']): { date: string; meal: Meal } {
  const { date, hhmm } = localParts(ms, timeZone);
  if (hhmm < meals.breakfast) return { date: addDays(date, -1), meal: 'dinner' };
  if (hhmm < meals.lunch) return { date, meal: 'breakfast' };
  if (hhmm < meals.dinner) return { date, meal: 'lunch' };
  return { date, meal: 'dinner' };
}
