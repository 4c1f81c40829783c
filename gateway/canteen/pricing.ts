// Pricing a plate, pure. Money is integer fen, weight integer grams.
//
// The weight the scale reports is rounded to the verification interval e (half up),
// a preset tare (a whole number of intervals) is taken off unless the scale already
// reports net, and only a stable, in-range net weight of at least the minimum sale
// weight is priced. By weight: total = net × price_fen / per_grams, rounded half up
// to the fen. Per portion: total = price_fen. Uniform site pricing (荤素同价)
// replaces every dish's price with the site's price by weight.
import { roundToInterval } from '../../drivers/scale/interval.ts';
import type { SitePricingConfig, Station } from './config.ts';

// Rounding to e is the scale driver's (integer-exact: 0.3 g at e = 0.1 stays 0.3); re-exported.
export { roundToInterval } from '../../drivers/scale/interval.ts';

export type PerGrams = 100 | 500;
export type PriceMode = 'by_weight' | 'per_portion';

export type UnitPrice = { mode: 'by_weight'; fen: number; perGrams: PerGrams } | { mode: 'per_portion'; fen: number };

export interface Nutrition {
  kcal: number;
  protein_g: number;
  fat_g: number;
  carbohydrate_g: number;
  sodium_mg: number;
}

export interface PriceableDish {
  price_mode: PriceMode;
  price_fen: number;
  per_grams: PerGrams | null;
  nutrition_per_100g: Nutrition | null;
}

export interface ScaleInput {
  grams: number;
  stable: boolean;
  net: boolean;
  overload: boolean;
  underload: boolean;
  /** the tare the scale itself applied, when it reports net and says so */
  tare?: number | undefined;
}

export interface Weighing {
  /** gross weight rounded to e; null when the scale reports net without its tare */
  grossG: number | null;
  tareG: number;
  tareSource: 'tray' | 'scale' | 'none';
  netG: number;
}

export type Refusal = 'unstable' | 'overload' | 'underload' | 'below_min' | 'choose_dish';

export type PriceOutcome =
  | { ok: true; weighing: Weighing; unit: UnitPrice; totalFen: number; nutrition: Nutrition | null }
  | { ok: false; weighing: Weighing; reason: Refusal };

export function weigh(r: ScaleInput, e: number, trayTareG: number): Weighing {
  const shown = roundToInterval(r.grams, e);
  if (r.net) {
    const tare = r.tare === undefined ? null : roundToInterval(r.tare, e);
    return { grossG: tare === null ? null : shown + tare, tareG: tare ?? 0, tareSource: 'scale', netG: shown };
  }
  return { grossG: shown, tareG: trayTareG, tareSource: trayTareG > 0 ? 'tray' : 'none', netG: shown - trayTareG };
}

/** The gross weight as the scale sees it, unrounded: what the zero band is judged on. */
export function grossOf(r: ScaleInput): number {
  return r.net && r.tare !== undefined ? r.grams + r.tare : r.grams;
}

export function unitPriceFor(pricing: SitePricingConfig, dish: PriceableDish | null): UnitPrice | null {
  if (pricing.mode === 'uniform') return { mode: 'by_weight', fen: pricing.price_fen!, perGrams: pricing.per_grams! };
  if (!dish) return null;
  if (dish.price_mode === 'per_portion') return { mode: 'per_portion', fen: dish.price_fen };
  return { mode: 'by_weight', fen: dish.price_fen, perGrams: dish.per_grams ?? 500 };
}

/** Half up to the fen; exact in integers since per_grams is even. */
export function totalFen(unit: UnitPrice, netG: number): number {
  if (unit.mode === 'per_portion') return unit.fen;
  return Math.floor((netG * unit.fen + unit.perGrams / 2) / unit.perGrams);
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.floor(x * f + 0.5 + 1e-9) / f;
};

/** Per-100 g values scaled to the net weight: kcal and sodium to the unit, grams to 0.1 g. */
export function scaleNutrition(per100: Nutrition, netG: number): Nutrition {
  const k = netG / 100;
  return {
    kcal: round(per100.kcal * k, 0),
    protein_g: round(per100.protein_g * k, 1),
    fat_g: round(per100.fat_g * k, 1),
    carbohydrate_g: round(per100.carbohydrate_g * k, 1),
    sodium_mg: round(per100.sodium_mg * k, 0),
  };
}

export function priceLine(
  r: ScaleInput,
  station: Pick<Station, 'interval_g' | 'min_sale_g'>,
  trayTareG: number,
  pricing: SitePricingConfig,
  dish: PriceableDish | null,
): PriceOutcome {
  const weighing = weigh(r, station.interval_g, trayTareG);
  const refuse = (reason: Refusal): PriceOutcome => ({ ok: false, weighing, reason });
  if (r.overload) return refuse('overload');
  if (r.underload) return refuse('underload');
  if (!r.stable) return refuse('unstable');
  if (weighing.netG < Math.max(station.min_sale_g, 1)) return refuse('below_min');
  const unit = unitPriceFor(pricing, dish);
  if (!unit) return refuse('choose_dish');
  const nutrition = dish?.nutrition_per_100g ? scaleNutrition(dish.nutrition_per_100g, weighing.netG) : null;
  return { ok: true, weighing, unit, totalFen: totalFen(unit, weighing.netG), nutrition };
}
