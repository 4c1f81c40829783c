// Self-service weighing (gateway/canteen) and the `/kiosk` namespace.
import type { DeviceStatus, ScaleWeightMsg } from './devices.ts';
import type { SaleMethod } from './payments.ts';
import type { SiteInfo } from './site.ts';

export interface KioskSnapshot { site: SiteInfo; devices: DeviceStatus[]; weights: ScaleWeightMsg[]; /** face pay can be offered (its models are installed and it is switched on); false: card, QR and PIN only */ facePay?: boolean }
export interface KioskEvents { snapshot: (s: KioskSnapshot) => void; 'scale:weight': (m: ScaleWeightMsg) => void; 'device:state': (d: DeviceStatus) => void; /** face pay became available or unavailable (models installed + reload) */ 'face:availability': (m: { facePay: boolean }) => void }

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
  /** a legal-for-trade scale's data plate and certificates (JJG 539; OIML R76-1 7.1): shown on the receipt */
  metrology?: LineMetrologyMsg | null;
}

export interface LineMetrologyMsg {
  maxG: number;
  minG: number;
  typeApprovalNo: string;
  verificationNo: string;
  verifiedUntil: string;
}

export type SaleStatus = 'awaiting_payment' | 'paid' | 'cancelled';

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
  method: SaleMethod | null;
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
/** verification_expired: the legal-for-trade scale's verification (检定) has lapsed: nothing is sold by weight */
export type StationReason = 'overload' | 'underload' | 'below_min' | 'choose_dish' | 'verification_expired' | null;

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

/** GET /api/canteen/verifications — a legal-for-trade scale's verification (检定, JJG 539). */
export interface ScaleVerificationMsg {
  scale: string;
  verificationNo: string;
  /** site-local YYYY-MM-DD, valid through that day */
  verifiedUntil: string;
  /** days from today (site-local) to verifiedUntil; negative once expired */
  daysLeft: number;
  /** due_soon: 30 days or fewer left; expired: no pricing by weight until a new verification is entered */
  state: 'valid' | 'due_soon' | 'expired';
  enteredBy: string | null;
  enteredAt: number | null;
}
