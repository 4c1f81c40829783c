// The kitchen board: safety alerts (gateway/kitchen), daily food-safety records
// (gateway/kitchen/records) and the `/kitchen` namespace.
import type { Meal } from './canteen.ts';
import type { CameraFrameMsg, DeviceStatus } from './devices.ts';
import type { SiteInfo } from './site.ts';

export interface KitchenSnapshot { site: SiteInfo; devices: DeviceStatus[]; frames: CameraFrameMsg[]; /** open + acknowledged + today's resolved alerts, newest first (gateway/kitchen) */ alerts: KitchenAlertMsg[]; /** today's food-safety records (gateway/kitchen/records) */ records?: KitchenRecordsMsg | null }
export interface KitchenEvents { snapshot: (s: KitchenSnapshot) => void; 'camera:frame': (m: CameraFrameMsg) => void; 'device:state': (d: DeviceStatus) => void; 'alert:new': (m: KitchenAlertMsg) => void; 'alert:update': (m: KitchenAlertMsg) => void; 'records:update': (m: KitchenRecordsMsg) => void }

// ── Daily food-safety records (gateway/kitchen/records, issue 7) ─────────────

export type FoodSymptom = 'fever' | 'diarrhoea' | 'vomiting' | 'sore_throat' | 'hand_wound' | 'jaundice';
export type FoodAttireItem = 'uniform' | 'cap' | 'mask' | 'no_jewellery';

/** One morning check (晨检); pass or fail is computed by the gateway. */
export interface MorningCheckMsg {
  id: string;
  day: string;
  staffId: string;
  staffName: string;
  temperatureC: number;
  /** every item asked: a symptom true = present; an attire item true = in order */
  answers: Partial<Record<FoodSymptom | FoodAttireItem, boolean>>;
  passed: boolean;
  /** why it failed: 'temperature', a symptom present, an attire item not in order */
  failures: string[];
  note: string | null;
  /** the signed-in account that recorded it (the signature) */
  checkedBy: string;
  checkedAt: number;
  /** a re-check replaced this one; kept as history */
  supersededBy: string | null;
}

/** A person expected today: due (before due_by), missing (after), passed, failed (off the kitchen today). */
/**
 * off_duty: an earlier failed check has not been cleared by a supervisor (the person stays off the kitchen);
 * cleared: today's check failed and a supervisor has since cleared the person.
 */
export interface StaffDayMsg {
  id: string;
  name: string;
  status: 'due' | 'missing' | 'passed' | 'failed' | 'off_duty' | 'cleared';
  check: MorningCheckMsg | null;
  /** the failed check that keeps the person off duty until cleared (any day), or null */
  offDuty: { checkId: string; day: string; failures: string[] } | null;
  healthCertificate: HealthCertificateMsg;
}

/** A food handler's health certificate (健康证, Food Safety Law art. 45). */
export interface HealthCertificateMsg {
  number: string | null;
  /** site-local YYYY-MM-DD, valid through that day */
  expires: string | null;
  daysLeft: number | null;
  /** missing or expired: cannot be checked in; expiring: 30 days or fewer left */
  state: 'valid' | 'expiring' | 'expired' | 'missing';
}

/** POST /api/kitchen/staff/:id/clear — a supervisor's clearance after a failed check. */
export interface StaffClearanceMsg { id: string; staffId: string; checkId: string; note: string; clearedBy: string; clearedAt: number }

/** One food sample (留样). */
export interface FoodSampleMsg {
  id: string;
  day: string;
  meal: Meal;
  dishId: string;
  dishName: string;
  grams: number;
  source: 'typed' | 'scale';
  /** under the minimum in force when it was taken */
  underweight: boolean;
  minGrams: number;
  cabinet: string;
  takenBy: string;
  takenAt: number;
  retainUntil: number;
  discardedAt: number | null;
  discardedBy: string | null;
}

/** A meal's samples against its menu; `missing`: menu dishes without a sample of at least the minimum. */
export interface MealSamplesMsg {
  meal: Meal;
  /** null: no menu set for the meal, so nothing can be missing */
  menu: { dishId: string; dishName: string }[] | null;
  missing: { dishId: string; dishName: string }[];
  /** when missing samples become an alert */
  dueAt: number;
  overdue: boolean;
}

/** GET /api/kitchen/records/today, GET /api/kitchen/records?date= and `records:update` on /kitchen. */
export interface KitchenRecordsMsg {
  date: string;
  at: number;
  rules: { dueBy: string; maxTemperatureC: number; items: (FoodSymptom | FoodAttireItem)[]; minGrams: number; retentionHours: number };
  cabinets: { id: string; name: string }[];
  /** the station whose scale weighs samples, or null (weights are typed) */
  scaleStation: string | null;
  /** active dishes of the catalog, for the sample form */
  dishes: { id: string; name: string }[];
  /** the meal being served now (for the form's default) */
  currentMeal: Meal;
  staff: StaffDayMsg[];
  /** the day's checks, replaced ones included (supersededBy set) */
  checks: MorningCheckMsg[];
  samples: FoodSampleMsg[];
  meals: MealSamplesMsg[];
  /** samples of any day kept past their retention time and not yet discarded */
  retentionDue: FoodSampleMsg[];
}

/** Events the records module adds to `/kitchen`. */
export interface KitchenRecordsEvents { 'records:update': (m: KitchenRecordsMsg) => void }

// ── Kitchen safety alerts (gateway/kitchen, issue 7) ─────────────────────────

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type KitchenAlertSeverity = (typeof ALERT_SEVERITIES)[number];
export type KitchenAlertState = 'open' | 'acknowledged' | 'resolved';
/** One alert of the kitchen's alert book: pushed on `/kitchen` as `alert:new`, then `alert:update` on every change. Times epoch ms, null when unset. */
export interface KitchenAlertMsg {
  id: string;
  type: string;
  severity: KitchenAlertSeverity;
  state: KitchenAlertState;
  message: string;
  camera: string | null;
  zone: string | null;
  rule: string | null;
  openedAt: number;
  ackedAt: number | null;
  ackedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  /** the resolution note (or the acknowledgement's, until resolved) */
  note: string | null;
  /** the snapshot with boxes drawn, and the clean copy (JPEG), when the alert has them */
  snapshotUrl: string | null;
  cleanUrl: string | null;
  /** the values of a record alert's message; the board words it from `kitchen.detail.<type>` (zh, en) */
  details?: Record<string, string | number> | null;
}
