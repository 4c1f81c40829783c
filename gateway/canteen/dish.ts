// What a dish is, and the checks every write of one passes.
import { z } from 'zod';
import type { DishMsg } from '../wire/canteen.ts';
import { CanteenError } from './errors.ts';

export const DISH_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export const nutritionSchema = z
  .strictObject({
    kcal: z.number().min(0).max(900),
    protein_g: z.number().min(0).max(100),
    fat_g: z.number().min(0).max(100),
    carbohydrate_g: z.number().min(0).max(100),
    sodium_mg: z.number().min(0).max(40_000),
  })
  .refine((n) => n.protein_g + n.fat_g + n.carbohydrate_g <= 100, {
    message: 'protein, fat and carbohydrate add up to more than 100 g per 100 g',
  });

export const dishInputSchema = z
  .strictObject({
    id: z.string().regex(DISH_ID, 'lower-case letters, digits, "-" or "_", at most 63 characters').optional(),
    name: z.string({ error: 'a dish needs a name' }).trim().min(1, 'a dish needs a name').max(40),
    name_en: z.string().trim().max(80).nullable().optional(),
    price_mode: z.enum(['by_weight', 'per_portion']),
    price_fen: z.number({ error: 'a price in whole fen (0.01 yuan)' }).int('a price in whole fen (0.01 yuan)').min(1).max(1_000_000),
    per_grams: z.union([z.literal(100), z.literal(500)], { error: '100 or 500 (the price is per 100 g or per 500 g)' }).nullable().optional(),
    nutrition_per_100g: nutritionSchema.nullable().optional(),
    active: z.boolean().default(true),
  })
  .superRefine((d, ctx) => {
    if (d.price_mode === 'by_weight' && d.per_grams == null) {
      ctx.addIssue({ code: 'custom', path: ['per_grams'], message: 'a dish priced by weight needs per_grams: 100 or 500' });
    }
    if (d.price_mode === 'per_portion' && d.per_grams != null) {
      ctx.addIssue({ code: 'custom', path: ['per_grams'], message: 'a dish priced per portion has no per_grams' });
    }
  });

export type DishInput = z.input<typeof dishInputSchema>;

export function issuesText(err: z.ZodError): string {
  return err.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');
}

/** A dish from untrusted input; `photo` is kept from `previous` (photos have their own route). */
export function parseDish(input: unknown, id: string, previous?: DishMsg): DishMsg {
  const r = dishInputSchema.safeParse(input);
  if (!r.success) throw new CanteenError(400, issuesText(r.error), r.error.issues);
  const d = r.data;
  if (d.id !== undefined && d.id !== id) throw new CanteenError(400, `id "${d.id}" in the body differs from "${id}"`);
  return {
    id,
    name: d.name,
    name_en: d.name_en || null,
    price_mode: d.price_mode,
    price_fen: d.price_fen,
    per_grams: d.price_mode === 'by_weight' ? d.per_grams! : null,
    nutrition_per_100g: d.nutrition_per_100g ?? null,
    photo: previous?.photo ?? null,
    active: d.active,
  };
}
