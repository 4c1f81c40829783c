import { describe, expect, it } from 'vitest';
import { canteenConfigSchema, canteenDeviceIssues, withDefaults } from '../gateway/canteen/config.ts';
import { priceLine, roundToInterval, scaleNutrition, totalFen, unitPriceFor, weigh, type PriceableDish, type ScaleInput } from '../gateway/canteen/pricing.ts';

const stable = (grams: number, more: Partial<ScaleInput> = {}): ScaleInput => ({ grams, stable: true, net: false, overload: false, underload: false, ...more });
const perDish = { mode: 'per_dish' } as const;
const pork: PriceableDish = {
  price_mode: 'by_weight',
  price_fen: 1280,
  per_grams: 500,
  nutrition_per_100g: { kcal: 297, protein_g: 13.6, fat_g: 24.1, carbohydrate_g: 4.2, sodium_mg: 512 },
};
const rice: PriceableDish = { price_mode: 'per_portion', price_fen: 50, per_grams: null, nutrition_per_100g: null };
const station = { interval_g: 2, min_sale_g: 40 };

describe('rounding to the verification interval e', () => {
  it('rounds half up to a whole interval', () => {
    expect(roundToInterval(487, 2)).toBe(488);
    expect(roundToInterval(486.9, 2)).toBe(486);
    expect(roundToInterval(352.5, 5)).toBe(355);
    expect(roundToInterval(352.4, 5)).toBe(350);
    expect(roundToInterval(357.49999999999994, 5)).toBe(360); // 357.5 after float arithmetic
    expect(roundToInterval(357.499, 5)).toBe(355);
    expect(roundToInterval(0.2, 1)).toBe(0);
    expect(roundToInterval(-7.5, 5)).toBe(-10);
    expect(Object.is(roundToInterval(-0.2, 1), 0)).toBe(true);
  });

  it('is exact on decimal intervals (the scale driver\'s integer algorithm): 0.3 g at e = 0.1 is 0.3', () => {
    expect(roundToInterval(0.3, 0.1)).toBe(0.3); // the float division gave 0.30000000000000004
    expect(roundToInterval(0.7, 0.1)).toBe(0.7);
    expect(roundToInterval(1.15, 0.05)).toBe(1.15);
    expect(weigh(stable(0.3), 0.1, 0).netG).toBe(0.3);
  });

  it('prices the rounded weight, not the reading', () => {
    const out = priceLine(stable(487), station, 136, perDish, pork);
    expect(out).toMatchObject({ ok: true, weighing: { grossG: 488, tareG: 136, netG: 352, tareSource: 'tray' }, totalFen: 901 });
  });
});

describe('tare', () => {
  it('takes the preset tray tare off a gross reading', () => {
    expect(weigh(stable(600), 5, 150)).toEqual({ grossG: 600, tareG: 150, netG: 450, tareSource: 'tray' });
    expect(weigh(stable(600), 5, 0)).toEqual({ grossG: 600, tareG: 0, netG: 600, tareSource: 'none' });
  });

  it('does not take the preset tare off again when the scale reports net', () => {
    expect(weigh(stable(451, { net: true, tare: 150 }), 5, 150)).toEqual({ grossG: 600, tareG: 150, netG: 450, tareSource: 'scale' });
    expect(weigh(stable(451, { net: true }), 5, 150)).toEqual({ grossG: null, tareG: 0, netG: 450, tareSource: 'scale' });
  });

  it('refuses a preset tare that is not a whole number of intervals', () => {
    const r = canteenConfigSchema.safeParse({ stations: [{ id: 's1', scale: 'checkout-1', interval_g: 5, trays: [{ id: 'std', name: '标准餐盘', tare_g: 132 }] }] });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]).toMatchObject({ path: ['stations', 0, 'trays', 0, 'tare_g'], message: 'tare 132 g is not a whole number of 5 g intervals' });
  });
});

describe('totals in fen, half up', () => {
  it('by weight per 500 g and per 100 g', () => {
    expect(totalFen({ mode: 'by_weight', fen: 1280, perGrams: 500 }, 352)).toBe(901); // 901.12
    expect(totalFen({ mode: 'by_weight', fen: 299, perGrams: 100 }, 355)).toBe(1061); // 1061.45
    expect(totalFen({ mode: 'by_weight', fen: 1, perGrams: 500 }, 250)).toBe(1); // 0.5 → 1
    expect(totalFen({ mode: 'by_weight', fen: 3, perGrams: 100 }, 50)).toBe(2); // 1.5 → 2
    expect(totalFen({ mode: 'by_weight', fen: 3, perGrams: 100 }, 49)).toBe(1); // 1.47 → 1
    expect(totalFen({ mode: 'by_weight', fen: 999_999, perGrams: 100 }, 30_000)).toBe(299_999_700);
  });

  it('per portion, whatever the weight', () => {
    expect(priceLine(stable(300), station, 0, perDish, rice)).toMatchObject({ ok: true, unit: { mode: 'per_portion', fen: 50 }, totalFen: 50, nutrition: null });
    expect(priceLine(stable(900), station, 0, perDish, rice)).toMatchObject({ ok: true, totalFen: 50 });
  });
});

describe('site pricing', () => {
  const uniform = { mode: 'uniform', price_fen: 1500, per_grams: 500 } as const;

  it('uniform (荤素同价) prices every dish, even one sold per portion, by the site price', () => {
    expect(unitPriceFor(uniform, pork)).toEqual({ mode: 'by_weight', fen: 1500, perGrams: 500 });
    expect(unitPriceFor(uniform, rice)).toEqual({ mode: 'by_weight', fen: 1500, perGrams: 500 });
    expect(priceLine(stable(352), station, 0, uniform, pork)).toMatchObject({ ok: true, totalFen: 1056, nutrition: { kcal: 1045 } });
  });

  it('uniform needs no dish; per dish does', () => {
    expect(priceLine(stable(352), station, 0, uniform, null)).toMatchObject({ ok: true, totalFen: 1056, nutrition: null });
    expect(priceLine(stable(352), station, 0, perDish, null)).toMatchObject({ ok: false, reason: 'choose_dish' });
  });

  it('a uniform config without its price is refused', () => {
    const r = canteenConfigSchema.safeParse({ pricing: { mode: 'uniform', per_grams: 500 } });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toEqual(['pricing.price_fen']);
  });
});

describe('what is never priced', () => {
  it('a weight below the minimum sale', () => {
    expect(priceLine(stable(174), station, 136, perDish, pork)).toMatchObject({ ok: false, reason: 'below_min', weighing: { netG: 38 } });
    expect(priceLine(stable(176), station, 136, perDish, pork)).toMatchObject({ ok: true, weighing: { netG: 40 }, totalFen: 102 });
    expect(priceLine(stable(100), station, 136, perDish, pork)).toMatchObject({ ok: false, reason: 'below_min', weighing: { netG: -36 } });
  });

  it('an unstable, overloaded or underloaded reading', () => {
    expect(priceLine(stable(400, { stable: false }), station, 0, perDish, pork)).toMatchObject({ ok: false, reason: 'unstable' });
    expect(priceLine(stable(400, { overload: true }), station, 0, perDish, pork)).toMatchObject({ ok: false, reason: 'overload' });
    expect(priceLine(stable(-400, { underload: true }), station, 0, perDish, pork)).toMatchObject({ ok: false, reason: 'underload' });
  });
});

describe('nutrition', () => {
  it('scales per-100 g values to the net weight', () => {
    expect(scaleNutrition(pork.nutrition_per_100g!, 352)).toEqual({ kcal: 1045, protein_g: 47.9, fat_g: 84.8, carbohydrate_g: 14.8, sodium_mg: 1802 });
    expect(scaleNutrition({ kcal: 85, protein_g: 2.1, fat_g: 5.3, carbohydrate_g: 6.8, sodium_mg: 312 }, 352)).toEqual({
      kcal: 299,
      protein_g: 7.4,
      fat_g: 18.7,
      carbohydrate_g: 23.9,
      sodium_mg: 1098,
    });
  });
});

describe('station config', () => {
  it('fills in zero tolerance, stability tolerance and minimum sale from e', () => {
    const c = canteenConfigSchema.parse({ stations: [{ id: 's1', scale: 'checkout-1', interval_g: 2 }] });
    expect(withDefaults(c.stations[0]!)).toMatchObject({ zero_tolerance_g: 0.5, stability_tolerance_g: 10, min_sale_g: 40, trays: [] });
    expect(c.pricing).toEqual({ mode: 'per_dish' });
  });

  it('accepts only intervals of 1, 2 or 5 × 10^k g and one station per scale', () => {
    expect(canteenConfigSchema.safeParse({ stations: [{ id: 's1', scale: 'a', interval_g: 3 }] }).success).toBe(false);
    expect(canteenConfigSchema.safeParse({ stations: [{ id: 's1', scale: 'a', interval_g: 20 }] }).success).toBe(true);
    const two = canteenConfigSchema.safeParse({ stations: [{ id: 's1', scale: 'a', interval_g: 1 }, { id: 's2', scale: 'a', interval_g: 1 }] });
    expect(two.error?.issues[0]?.message).toMatch(/scale "a" already belongs to station "s1"/);
  });
});

describe('station devices', () => {
  it('names a station whose scale or camera is not configured', () => {
    const c = canteenConfigSchema.parse({ stations: [{ id: 's1', scale: 'checkout-9', camera: 'cam-1', interval_g: 2 }] });
    expect(canteenDeviceIssues(c, { scales: [{ id: 'checkout-1' }], cameras: [] })).toEqual([
      { path: 'canteen.stations[0].scale', message: 'got "checkout-9"; expected the id of a scale in devices.scales (checkout-1)' },
      { path: 'canteen.stations[0].camera', message: 'got "cam-1"; expected the id of a camera in devices.cameras (none configured)' },
    ]);
  });
});
