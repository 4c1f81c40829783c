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
export interface KioskSnapshot { site: SiteInfo; devices: DeviceStatus[]; weights: ScaleWeightMsg[] }
export interface KitchenSnapshot { site: SiteInfo; devices: DeviceStatus[]; frames: CameraFrameMsg[] }
/** Store-and-forward at a glance, pushed on `/admin` as `outbox:status` every few seconds. */
export interface OutboxStatusMsg {
  at: number;
  links: { uplink: string; state: 'online' | 'backing-off' | 'offline'; since: number; lastError: string | null; retryAt: number | null; lastSendMs: number | null }[];
  /** records not yet acknowledged, per uplink and stream (counted on disk) */
  backlog: { uplink: string; stream: string; records: number }[];
  held: { stream: string; records: number; bytes: number }[];
  drops: { stream: string; reason: string; count: number }[];
  deadLetters: number;
  alarms: string[];
}

export interface AdminSnapshot { site: SiteInfo; devices: DeviceStatus[]; startedAt: number; outbox: OutboxStatusMsg | null }

/** Server → client events per namespace. Every namespace sends `snapshot` on
 * connect and `device:state` whenever a device changes state. */
export interface EnergyEvents {
  snapshot: (s: EnergySnapshot) => void;
  'meter:reading': (m: MeterReadingMsg) => void;
  'energy:summary': (s: EnergySummaryMsg) => void;
  'device:state': (d: DeviceStatus) => void;
}
export interface KioskEvents { snapshot: (s: KioskSnapshot) => void; 'scale:weight': (m: ScaleWeightMsg) => void; 'device:state': (d: DeviceStatus) => void }
export interface KitchenEvents { snapshot: (s: KitchenSnapshot) => void; 'camera:frame': (m: CameraFrameMsg) => void; 'device:state': (d: DeviceStatus) => void }
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
export type PayMethod = 'counter' | 'card' | 'qr' | 'face';

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
