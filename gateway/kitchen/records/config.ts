// The `food_safety:` section of the config: the morning staff check (晨检) and the
// food samples (留样) — who is expected, what is checked, the limits, the cabinets.
import { z } from 'zod';
import type { CanteenConfig } from '../../canteen/config.ts';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_", at most 63 characters');

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour, site-local');

/** Symptoms asked about: any one present fails the check. */
export const SYMPTOMS = ['fever', 'diarrhoea', 'vomiting', 'sore_throat', 'hand_wound', 'jaundice'] as const;
/** What the person must wear (or not wear): any one not in order fails the check. */
export const ATTIRE = ['uniform', 'cap', 'mask', 'no_jewellery'] as const;
export type Symptom = (typeof SYMPTOMS)[number];
export type AttireItem = (typeof ATTIRE)[number];
export type CheckItem = Symptom | AttireItem;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const staffSchema = z.strictObject({
  id: id.describe('staff id, used in records and URLs'),
  name: z.string().min(1).max(40).describe('the person\'s name as shown on the board, e.g. "王师傅"'),
  health_certificate: z
    .strictObject({
      number: z.string().min(1).max(64).describe('the certificate number (健康证编号)'),
      expires: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD').describe('valid up to and including this site-local date'),
    })
    .optional()
    .describe('the health certificate (健康证, Food Safety Law art. 45): without a valid one the person cannot be checked in; a reminder 30 days before it expires'),
});

const cabinetSchema = z.strictObject({
  id: id.describe('cabinet id, used in records'),
  name: z.string().min(1).max(40).optional().describe('shown on the board, e.g. "1 号留样柜"; default the id'),
});

const mealEnds = z
  .strictObject({
    breakfast: hhmm.default('09:00').describe('breakfast service ends, site-local (it starts at canteen.meals.breakfast)'),
    lunch: hhmm.default('13:30').describe('lunch service ends, site-local'),
    dinner: hhmm.default('19:30').describe('dinner service ends, site-local'),
  })
  .prefault({})
  .describe('when each meal\'s service ends: the missing-sample check runs `due_after_meal_minutes` later');

export const foodSafetyConfigSchema = z
  .strictObject({
    morning_check: z
      .strictObject({
        due_by: hhmm.default('08:00').describe('every expected person must be checked by this site-local time; after it, one `morning_check_missing` alert per person per day'),
        working_days: z
          .array(z.enum(WEEKDAYS))
          .min(1)
          .default([...WEEKDAYS])
          .describe('days the kitchen works and checks are expected (mon … sun); default every day'),
        staff: z.array(staffSchema).default([]).describe('kitchen staff expected at the morning check every working day; only these can be checked'),
        max_temperature_c: z
          .number()
          .min(36)
          .max(39)
          .default(37.3)
          .describe('a temperature above this (°C, forehead or ear thermometer) fails the check'),
        items: z
          .array(z.enum([...SYMPTOMS, ...ATTIRE]))
          .min(1)
          .default([...SYMPTOMS, ...ATTIRE])
          .describe(
            'what is asked at every check. Symptoms (any present fails): fever, diarrhoea, vomiting, sore_throat, hand_wound (wounds or skin infection on the hands), jaundice. Attire (any not in order fails): uniform, cap, mask, no_jewellery. Default all ten',
          ),
      })
      .prefault({})
      .describe('the morning staff check (晨检): one per person per working day, before work'),
    samples: z
      .strictObject({
        min_grams: z
          .number()
          .int()
          .min(125)
          .max(1000)
          .default(125)
          .describe('a sample lighter than this is underweight (national rule ≥ 125 g; some places demand 150 or 200 g)'),
        retention_hours: z
          .number()
          .int()
          .min(48)
          .max(24 * 14)
          .default(48)
          .describe('samples stay refrigerated at least this long (≥ 48 h); afterwards staff are reminded and may discard them'),
        cabinets: z
          .array(cabinetSchema)
          .min(1)
          .default([{ id: 'cabinet-1', name: '留样柜' }])
          .describe('the refrigerated sample cabinets; a sample names the one it is kept in'),
        due_after_meal_minutes: z
          .number()
          .int()
          .min(0)
          .max(24 * 60)
          .default(30)
          .describe('this many minutes after a meal\'s service ends, the dishes of its menu without a sample of at least min_grams raise one `sample_missing` alert'),
        meal_ends: mealEnds,
        scale_station: id
          .optional()
          .describe('a weighing station in `canteen.stations` whose scale weighs samples ("weigh on scale"): its latest stable net weight is taken; without it weights are typed'),
        container_tare_g: z
          .number()
          .int()
          .min(0)
          .max(5000)
          .default(0)
          .describe('taken off a gross scale reading (the sample box); a scale that reports net (tared) is taken as it is'),
      })
      .prefault({})
      .describe('food samples (留样): one per dish per meal, weighed, labelled, kept cold'),
  })
  .superRefine((c, ctx) => {
    const dup = <T extends { id: string }>(list: T[], key: string) =>
      list.forEach((x, i) => {
        if (list.findIndex((y) => y.id === x.id) !== i) ctx.addIssue({ code: 'custom', path: [...key.split('.'), i, 'id'], message: `id "${x.id}" is used twice` });
      });
    dup(c.morning_check.staff, 'morning_check.staff');
    dup(c.samples.cabinets, 'samples.cabinets');
  })
  .prefault({})
  .describe('daily food-safety records: morning staff checks and food samples (gateway/kitchen/records)');

export type FoodSafetyConfig = z.output<typeof foodSafetyConfigSchema>;

/** Settings that need another section to be judged: the scale station and the meal ends against canteen meals. */
export function foodSafetyIssues(c: FoodSafetyConfig, canteen: CanteenConfig): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const station = c.samples.scale_station;
  if (station !== undefined && !canteen.stations.some((s) => s.id === station)) {
    issues.push({ path: 'food_safety.samples.scale_station', message: `got "${station}"; expected the id of a station in canteen.stations (${canteen.stations.map((s) => s.id).join(', ') || 'none configured'})` });
  }
  for (const meal of ['breakfast', 'lunch', 'dinner'] as const) {
    const end = c.samples.meal_ends[meal];
    if (end <= canteen.meals[meal]) issues.push({ path: `food_safety.samples.meal_ends.${meal}`, message: `got "${end}"; expected a time after the ${meal} start ${canteen.meals[meal]} (canteen.meals.${meal})` });
  }
  return issues;
}
