// The messages the gateway sends to the pages over Socket.IO. The kiosk imports
// these as types only: pages talk to the gateway over the wire, never in-process.

export type DeviceKind = 'meter' | 'scale' | 'camera';

/** starting: not yet heard from; online: last request answered; degraded: some
 * requests failing; offline: nothing answered for a while. */
export type DeviceState = 'starting' | 'online' | 'degraded' | 'offline';

export interface DeviceStatus {
  id: string;
  kind: DeviceKind;
  state: DeviceState;
  /** epoch ms when the device entered this state */
  since: number;
  /** epoch ms of the last good reading, or null */
  lastGoodAt: number | null;
  /** the last error, human-readable, or null */
  lastError: string | null;
}

export interface PointValue { value: number; unit: string }

export interface MeterReadingMsg {
  deviceId: string;
  profile: string;
  at: number;
  values: Record<string, PointValue>;
}

export interface ScaleWeightMsg {
  deviceId: string;
  at: number;
  grams: number;
  stable: boolean;
  net: boolean;
  overload: boolean;
  underload: boolean;
  /** the frame as received, for the audit record */
  raw?: string;
  /** the tare the scale applied, when it says */
  tare?: number;
  /** who decided `stable`: the scale's own flag or the stability filter */
  stableBy?: 'scale' | 'filter';
}

export interface CameraFrameMsg {
  deviceId: string;
  at: number;
  seq: number;
  width: number;
  height: number;
  /** path of the latest frame as JPEG on this gateway */
  url: string;
}

export interface SiteInfo { name: string; version: string; timezone: string }

export interface EnergySnapshot { site: SiteInfo; devices: DeviceStatus[]; readings: MeterReadingMsg[]; summary: EnergySummaryMsg | null }
export interface KioskSnapshot { site: SiteInfo; devices: DeviceStatus[]; weights: ScaleWeightMsg[]; /** face pay can be offered (its models are installed and it is switched on); false: card, QR and PIN only */ facePay?: boolean }
export interface KitchenSnapshot { site: SiteInfo; devices: DeviceStatus[]; frames: CameraFrameMsg[]; /** open + acknowledged + today's resolved alerts, newest first (gateway/kitchen) */ alerts: KitchenAlertMsg[]; /** today's food-safety records (gateway/kitchen/records) */ records?: KitchenRecordsMsg | null }
/** Store-and-forward at a glance, pushed on `/admin` as `outbox:status` every few seconds. */
export interface OutboxStatusMsg {
  at: number;
  links: { uplink: string; state: 'online' | 'backing-off' | 'offline' | 'stalled'; since: number; lastError: string | null; retryAt: number | null; lastSendMs: number | null }[];
  /** records not yet acknowledged, per uplink and stream (counted on disk) */
  backlog: { uplink: string; stream: string; records: number }[];
  held: { stream: string; records: number; bytes: number }[];
  drops: { stream: string; reason: string; count: number }[];
  deadLetters: number;
  alarms: string[];
}

export interface AdminSnapshot { site: SiteInfo; devices: DeviceStatus[]; startedAt: number; outbox: OutboxStatusMsg | null }

// ── Operations (gateway/ops, issue 8): GET /api/admin/ops ────────────────────

export interface OpsDiskMsg {
  dataDir: string;
  /** bytes of the files under the data directory (apparent sizes) */
  usedBytes: number;
  files: number;
  /** the filesystem holding the data directory (statfs) */
  fs: { totalBytes: number; freeBytes: number; availableBytes: number; usedPercent: number };
}
export interface OpsVersionsMsg {
  canteenEdge: string;
  node: string;
  onnxruntime: string | null;
  sqlite: string;
  betterSqlite3: string | null;
  /** the database's schema version (newest migration applied) */
  schema: number;
  os: { name: string; kernel: string; arch: string };
}
/** One of the last warnings or errors logged (secrets already redacted). */
export interface OpsLogLineMsg { time: string; level: 'warn' | 'error' | 'fatal'; msg: string; module: string | null; detail: string | null }
export interface OpsMsg {
  at: number;
  boxId: string;
  site: SiteInfo;
  startedAt: number;
  devices: DeviceStatus[];
  /** detail: for the installer's CLI and logs (may name files); the page shows the feature, state and what to do */
  models: { name: string; family: string; feature: string | null; state: string; detail: string | null; loaded: boolean }[];
  outbox: OutboxStatusMsg | null;
  /** newest first */
  lastErrors: OpsLogLineMsg[];
  disk: OpsDiskMsg;
  versions: OpsVersionsMsg;
}

/** Server → client events per namespace. Every namespace sends `snapshot` on
 * connect and `device:state` whenever a device changes state. */
export interface EnergyEvents {
  snapshot: (s: EnergySnapshot) => void;
  'meter:reading': (m: MeterReadingMsg) => void;
  'energy:summary': (s: EnergySummaryMsg) => void;
  'device:state': (d: DeviceStatus) => void;
}
export interface KioskEvents { snapshot: (s: KioskSnapshot) => void; 'scale:weight': (m: ScaleWeightMsg) => void; 'device:state': (d: DeviceStatus) => void; /** face pay became available or unavailable (models installed + reload) */ 'face:availability': (m: { facePay: boolean }) => void }
export interface KitchenEvents { snapshot: (s: KitchenSnapshot) => void; 'camera:frame': (m: CameraFrameMsg) => void; 'device:state': (d: DeviceStatus) => void; 'alert:new': (m: KitchenAlertMsg) => void; 'alert:update': (m: KitchenAlertMsg) => void; 'records:update': (m: KitchenRecordsMsg) => void }
export interface AdminEvents { snapshot: (s: AdminSnapshot) => void; 'device:state': (d: DeviceStatus) => void; 'outbox:status': (s: OutboxStatusMsg) => void }

export type Medium = 'electricity' | 'water' | 'gas';

export interface WindowTotalsMsg {
  /** epoch ms of the window's local start */
  from: number;
  electricityKwh: number;
  waterM3: number;
  gasM3: number;
  kgce: number;
  co2Kg: number;
}

export interface IndicatorMsg {
  ytd: number;
  projectedYear: number;
  target: number | null;
}

/** The energy panel's figures, pushed on `/energy` as `energy:summary` at most once a second. */
export interface EnergySummaryMsg {
  at: number;
  today: WindowTotalsMsg;
  month: WindowTotalsMsg;
  year: WindowTotalsMsg;
  indicators: { kgcePerM2: IndicatorMsg | null; kgcePerPerson: IndicatorMsg | null; waterM3PerPerson: IndicatorMsg | null };
  /** live power of the site meters, kW */
  sitePowerKw: number;
  meters: { id: string; name: string; medium: Medium; unit: string; site: boolean; todayAmount: number; powerKw: number | null }[];
  groups: { id: string; name: string; subItem: string | null; powerKw: number; todayKwh: number; todayWaterM3: number }[];
  anomalies: { meter: string; at: number; kind: string; detail: string }[];
}

/** GET /api/energy/series?period=15m|1d: site totals per interval. */
export interface EnergySeriesMsg {
  period: '15m' | '1d';
  points: { start: number; electricityKwh: number; waterM3: number; estimated: boolean }[];
}

// ── Self-service weighing (gateway/canteen) ──────────────────────────────────

export interface NutritionMsg { kcal: number; protein_g: number; fat_g: number; carbohydrate_g: number; sodium_mg: number }

/** A dish as the catalog keeps it and the REST API returns it. Money in fen. */
export interface DishMsg {
  id: string;
  /** Chinese name, what the diner sees first */
  name: string;
  name_en: string | null;
  price_mode: 'by_weight' | 'per_portion';
  /** by_weight: fen per `per_grams` grams; per_portion: fen per portion */
  price_fen: number;
  per_grams: 100 | 500 | null;
  nutrition_per_100g: NutritionMsg | null;
  /** file name under the data dir's dish-photos/, served at /api/canteen/photos/<photo> */
  photo: string | null;
  active: boolean;
}

export type Meal = 'breakfast' | 'lunch' | 'dinner';

export interface MenuMsg { date: string; meal: Meal; /** null: no menu set, every active dish is offered */ dishIds: string[] | null }

export type UnitPriceMsg = { mode: 'by_weight'; fen: number; perGrams: 100 | 500 } | { mode: 'per_portion'; fen: number };

export interface TrayMsg { id: string; name: string; tareG: number }

export interface StationInfoMsg { id: string; name: string; scale: string; intervalG: number; minSaleG: number; trays: TrayMsg[] }

/** GET /api/canteen/catalog */
export interface CanteenCatalogMsg {
  version: number;
  pricing: { mode: 'per_dish' } | { mode: 'uniform'; fen: number; perGrams: 100 | 500 };
  dishes: DishMsg[];
  /** the menu of the current meal */
  menu: MenuMsg;
  stations: StationInfoMsg[];
}

/** One priced plate, as shown and as audited. */
export interface PricedLineMsg {
  id: string;
  at: number;
  grossG: number | null;
  tareG: number;
  netG: number;
  intervalG: number;
  dishId: string | null;
  dishName: string | null;
  unit: UnitPriceMsg;
  totalFen: number;
  nutrition: NutritionMsg | null;
  /** recognition score of the dish, null when it was not recognised */
  score: number | null;
  /** the diner picked another dish than the recognised one */
  corrected: boolean;
}

export type SaleStatus = 'awaiting_payment' | 'paid' | 'cancelled';
export type PayMethod = 'counter' | 'card' | 'qr' | 'face' | 'pin';

/** GET /api/canteen/sales/:id — the receipt. */
export interface SaleMsg {
  id: string;
  /** the number shown and called at the counter, per site-local day: "0012" */
  no: string;
  day: string;
  station: string;
  status: SaleStatus;
  totalFen: number;
  createdAt: number;
  paidAt: number | null;
  method: PayMethod | null;
  reference: string | null;
  lines: PricedLineMsg[];
}

/**
 * zero: empty and ready; loading: weight moving; stable: still, not priced (see reason);
 * priced: the diner may confirm; awaiting_payment: handed over to the counter;
 * paid / cancelled: done, waiting for the plate to go; clear: take the plate off first
 * (seen at start-up); idle: no reading yet.
 */
export type StationPhase = 'idle' | 'clear' | 'zero' | 'loading' | 'stable' | 'priced' | 'awaiting_payment' | 'paid' | 'cancelled';
export type StationReason = 'overload' | 'underload' | 'below_min' | 'choose_dish' | null;

/** Pushed on `/kiosk` as `station:state` whenever something the diner sees changes; `seq` only grows. */
export interface StationStateMsg {
  station: string;
  scale: string;
  seq: number;
  at: number;
  phase: StationPhase;
  reason: StationReason;
  /** the reading rounded to e, tare taken off */
  weight: { grossG: number | null; tareG: number; netG: number; stable: boolean; at: number } | null;
  tray: TrayMsg | null;
  dishId: string | null;
  corrected: boolean;
  candidates: { dishId: string; score: number }[];
  recognising: boolean;
  line: PricedLineMsg | null;
  sale: SaleMsg | null;
}

/** Pushed on `/kiosk` and `/admin` as `canteen:catalog` after every catalog or menu change. */
export interface CatalogChangedMsg { version: number; at: number }

/** Events the canteen module adds to `/kiosk` (and `canteen:catalog` to `/admin`). */
export interface CanteenKioskEvents { 'station:state': (m: StationStateMsg) => void; 'canteen:catalog': (m: CatalogChangedMsg) => void }

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
export interface StaffDayMsg { id: string; name: string; status: 'due' | 'missing' | 'passed' | 'failed'; check: MorningCheckMsg | null }

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

// ── Face pay (gateway/biometrics, issue 6) ───────────────────────────────────

export type FaceDecline = 'not_recognised' | 'liveness_failed' | 'no_face' | 'account_frozen' | 'account_closed'
  | 'insufficient_balance' | 'daily_cap_reached' | 'face_pay_unavailable';
export interface FaceProgress {
  sessionId: string;
  state: 'looking' | 'checking' | 'matched' | 'declined' | 'paid';
  /** liveness frames collected / needed, and the running mean score (0..1) */
  liveness: { frames: number; needed: number; score: number | null };
  /** why this frame did not count, e.g. 'face too small', 'hold still' (quality reasons, short) */
  hint: string | null;
  /** once matched: masked name (张*明) and the balance the debit would leave, fen */
  candidate: { person: string; balance_fen: number; balance_after_fen: number } | null;
  decline: FaceDecline | null;
  message: string | null;            // human-readable reason (en) for logs/tests
  transaction: { id: string; status: 'approved' | 'declined'; reason: string | null } | null;
}

// ── Kitchen safety alerts (gateway/kitchen, issue 7) ─────────────────────────

export type KitchenAlertSeverity = 'info' | 'warning' | 'critical';
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
}
