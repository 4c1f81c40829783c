// The food-safety rules, pure: pass or fail of a morning check, underweight
// samples, and the site-local times the reminders fall due.
import { localTime } from '../../site-time.ts';
import type { Meal } from '../../wire/canteen.ts';
import { ATTIRE, SYMPTOMS, WEEKDAYS, type CheckItem, type FoodSafetyConfig, type Weekday } from './config.ts';

export const isSymptom = (item: CheckItem): boolean => (SYMPTOMS as readonly string[]).includes(item);
export const isAttire = (item: CheckItem): boolean => (ATTIRE as readonly string[]).includes(item);

/** What failed: 'temperature', any symptom present, any attire item not in order. Empty: passed. */
export function checkFailures(temperatureC: number, answers: Partial<Record<CheckItem, boolean>>, rules: FoodSafetyConfig['morning_check']): string[] {
  const failures: string[] = [];
  if (temperatureC > rules.max_temperature_c) failures.push('temperature');
  for (const item of rules.items) {
    if (isSymptom(item) && answers[item] === true) failures.push(item);
    if (isAttire(item) && answers[item] === false) failures.push(item);
  }
  return failures;
}

/** The items of `rules.items` the answers leave out, and answers to items not asked. */
export function answerProblems(answers: Partial<Record<CheckItem, boolean>>, items: readonly CheckItem[]): string[] {
  const problems = items.filter((i) => typeof answers[i] !== 'boolean').map((i) => `answers.${i}: not answered; every item asked (${items.join(', ')}) needs true or false`);
  for (const key of Object.keys(answers)) {
    if (!items.includes(key as CheckItem)) problems.push(`answers.${key}: not asked at this site (asked: ${items.join(', ')})`);
  }
  return problems;
}

const FAILURE_ZH: Record<string, string> = {
  temperature: '体温超标',
  fever: '发热',
  diarrhoea: '腹泻',
  vomiting: '呕吐',
  sore_throat: '咽痛',
  hand_wound: '手部伤口或皮肤感染',
  jaundice: '黄疸',
  uniform: '未穿工作服',
  cap: '未戴工作帽',
  mask: '未戴口罩',
  no_jewellery: '佩戴首饰',
};

export const failureText = (f: string): string => FAILURE_ZH[f] ?? f;

export const MEAL_ZH: Record<Meal, string> = { breakfast: '早餐', lunch: '午餐', dinner: '晚餐' };

/** Epoch ms of the site-local wall-clock time `hhmm` on `date` (YYYY-MM-DD). */
export { localTime } from '../../site-time.ts';

export function weekday(date: string): Weekday {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return WEEKDAYS[(new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7]!;
}

/** When a meal's missing samples become an alert. */
export function samplesDueAt(date: string, meal: Meal, cfg: FoodSafetyConfig['samples'], timeZone: string): number {
  return localTime(date, cfg.meal_ends[meal], timeZone) + cfg.due_after_meal_minutes * 60_000;
}
