// The `canteen:` section of the config: how the site prices, and the weighing
// stations (a scale, maybe a camera, the legal interval e, preset tares).
import { z } from 'zod';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_", at most 63 characters');

/** Scale intervals are 1, 2 or 5 × 10^k grams (OIML R 76). */
const interval = z
  .number()
  .int()
  .min(1)
  .max(1000)
  .refine((e) => /^[125]0*$/.test(String(e)), 'a scale interval is 1, 2 or 5 × 10^k grams');

const perGrams = z.union([z.literal(100), z.literal(500)]);

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour, site-local');

export const trayConfigSchema = z.strictObject({
  id: id.describe('tray or plate type id'),
  name: z.string().min(1).max(40).describe('what the diner and staff see, e.g. "标准餐盘"'),
  tare_g: z.number().int().min(0).max(10_000).describe('preset tare in grams; must be a whole number of scale intervals (interval_g)'),
});

export const stationConfigSchema = z
  .strictObject({
    id: id.describe('station id, used in URLs (`/?station=ID`) and records'),
    name: z.string().min(1).max(40).optional().describe('shown on the checkout page, e.g. "1 号结算台"'),
    scale: id.describe('device id of the scale in `devices.scales`'),
    camera: id.optional().describe('device id of the camera over the scale, for dish recognition'),
    interval_g: interval.describe('verification scale interval e in grams, from the scale\'s data plate (e = d for direct sale); weights are rounded to it before pricing'),
    zero_tolerance_g: z
      .number()
      .min(0)
      .max(1000)
      .optional()
      .describe('a stable reading within ± this many grams counts as an empty scale (zero before the next sale); default and at most a quarter interval, ±0.25 e (OIML R76-1 4.5.2 zero-setting accuracy)'),
    stability_tolerance_g: z
      .number()
      .min(0)
      .max(10_000)
      .optional()
      .describe('a stable weight that moves more than this from the weight the dish was chosen at is a different plate: the dish and recognition start over; default 5 intervals. Any change is re-priced'),
    min_sale_g: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .optional()
      .describe('net weights below this are not sold; default 20 intervals (the minimum capacity of a class III scale; check local rules)'),
    trays: z.array(trayConfigSchema).default([]).describe('preset tares per tray or plate type; the first is used unless the diner or staff pick another'),
    sells: z.boolean().default(true).describe('false: a weighing station that never prices (food samples, kitchen waste) — the only use an hx711 or other non-approvable scale may have'),
  })
  .superRefine((s, ctx) => {
    // OIML R76-1 4.5.2: the zero-setting device sets zero within ±0.25 e.
    if (s.zero_tolerance_g !== undefined && s.zero_tolerance_g > s.interval_g / 4) {
      ctx.addIssue({ code: 'custom', path: ['zero_tolerance_g'], message: `got ${s.zero_tolerance_g} g; expected at most 0.25 e = ${s.interval_g / 4} g (OIML R76-1 4.5.2)` });
    }
    s.trays.forEach((t, i) => {
      if (t.tare_g % s.interval_g !== 0) {
        ctx.addIssue({ code: 'custom', path: ['trays', i, 'tare_g'], message: `tare ${t.tare_g} g is not a whole number of ${s.interval_g} g intervals` });
      }
    });
    const ids = s.trays.map((t) => t.id);
    ids.forEach((t, i) => {
      if (ids.indexOf(t) !== i) ctx.addIssue({ code: 'custom', path: ['trays', i, 'id'], message: `tray id "${t}" is used twice` });
    });
  });

export const canteenConfigSchema = z
  .strictObject({
    pricing: z
      .strictObject({
        mode: z
          .enum(['per_dish', 'uniform'])
          .default('per_dish')
          .describe('per_dish: each dish has its own price, by weight or per portion; uniform (荤素同价): one price by weight for every dish, which is then only needed for nutrition'),
        price_fen: z.number().int().min(1).max(1_000_000).optional().describe('uniform pricing: the price in fen (0.01 yuan) per `per_grams` grams'),
        per_grams: perGrams.optional().describe('uniform pricing: the price is per 100 g or per 500 g (one jin)'),
      })
      .superRefine((p, ctx) => {
        if (p.mode !== 'uniform') return;
        if (p.price_fen === undefined) ctx.addIssue({ code: 'custom', path: ['price_fen'], message: 'uniform pricing needs price_fen' });
        if (p.per_grams === undefined) ctx.addIssue({ code: 'custom', path: ['per_grams'], message: 'uniform pricing needs per_grams (100 or 500)' });
      })
      .prefault({})
      .describe('how the site prices plates'),
    meals: z
      .strictObject({
        breakfast: hhmm.default('05:00').describe('breakfast starts, site-local'),
        lunch: hhmm.default('10:00').describe('lunch starts, site-local'),
        dinner: hhmm.default('15:30').describe('dinner starts, site-local; it lasts until the next breakfast'),
      })
      .prefault({})
      .describe('meal times, for picking today\'s menu'),
    recognition: z
      .strictObject({
        min_score: z.number().min(0).max(1).default(0.72).describe('the top recognised dish is taken without asking when its cosine similarity is at least this; otherwise the diner picks from the top three. 0.72 is the threshold calibrated for MobileNetV2 embeddings (models/dish/README.md): recalibrate on the station\'s own photos'),
        timeout_ms: z.number().int().min(50).max(10_000).default(800).describe('recognition slower than this is ignored and the diner picks'),
        classifier: z
          .string()
          .optional()
          .describe('instead of few-shot matching against photos enrolled at the station: the manifest name of a site-trained classifier (family classifier) whose labels are dish ids'),
      })
      .prefault({})
      .describe('dish recognition at the stable moment (when a recognizer is loaded)'),
    stations: z.array(stationConfigSchema).default([]).describe('self-service weighing stations'),
    max_photo_pixels: z
      .number()
      .int()
      .min(1_000_000)
      .max(100_000_000)
      .default(12_000_000)
      .describe('largest dish photo (width × height, read from its header before decoding) PUT /api/canteen/dishes/:id/photo takes; a larger one is refused unread with 413'),
    max_dishes: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(5000)
      .describe('the dish catalogue holds at most this many dishes: a CSV import or a new dish beyond it is refused (422) with the count'),
  })
  .superRefine((c, ctx) => {
    const ids = c.stations.map((s) => s.id);
    const scales = c.stations.map((s) => s.scale);
    c.stations.forEach((s, i) => {
      if (ids.indexOf(s.id) !== i) ctx.addIssue({ code: 'custom', path: ['stations', i, 'id'], message: `station id "${s.id}" is used twice` });
      if (scales.indexOf(s.scale) !== i) ctx.addIssue({ code: 'custom', path: ['stations', i, 'scale'], message: `scale "${s.scale}" already belongs to station "${c.stations[scales.indexOf(s.scale)]!.id}"` });
    });
    const [b, l, d] = [c.meals.breakfast, c.meals.lunch, c.meals.dinner];
    if (!(b < l && l < d)) ctx.addIssue({ code: 'custom', path: ['meals'], message: 'meals must start in the order breakfast < lunch < dinner' });
  })
  .prefault({})
  .describe('self-service weighing: pricing, meals and checkout stations');

export type CanteenConfig = z.output<typeof canteenConfigSchema>;
export type StationConfig = z.output<typeof stationConfigSchema>;
export type TrayConfig = z.output<typeof trayConfigSchema>;
export type SitePricingConfig = CanteenConfig['pricing'];

/** A station with its defaults filled in. */
export interface Station extends StationConfig {
  zero_tolerance_g: number;
  stability_tolerance_g: number;
  min_sale_g: number;
}

export function withDefaults(s: StationConfig): Station {
  return {
    ...s,
    zero_tolerance_g: s.zero_tolerance_g ?? s.interval_g / 4,
    stability_tolerance_g: s.stability_tolerance_g ?? 5 * s.interval_g,
    min_sale_g: s.min_sale_g ?? 20 * s.interval_g,
  };
}

/** A scale as the canteen checks it: its protocol may be type-approved for trade (drivers/scale/protocols.ts). */
export interface StationScale { id: string; protocol?: string; approvable?: boolean }

/** Stations pointing at scales or cameras the config does not have, or selling on a scale that cannot be approved: `{path, message}` like the config's other issues. */
export function canteenDeviceIssues(c: CanteenConfig, devices: { scales: StationScale[]; cameras: { id: string }[] }): { path: string; message: string }[] {
  const scales = devices.scales.map((s) => s.id);
  const cameras = devices.cameras.map((s) => s.id);
  return c.stations.flatMap((s, i) => {
    const scale = devices.scales.find((x) => x.id === s.scale);
    return [
      ...(scale ? [] : [{ path: `canteen.stations[${i}].scale`, message: `got "${s.scale}"; expected the id of a scale in devices.scales (${scales.join(', ') || 'none configured'})` }]),
      // Metrology Law art. 9 / JJG 539: an instrument used to charge money must be type-approved and verified.
      ...(scale && s.sells && scale.approvable === false
        ? [{ path: `canteen.stations[${i}].scale`, message: `got "${s.scale}", a ${scale.protocol} scale; a selling station needs a type-approved (型式批准) indicator with its own stable flag — a ${scale.protocol} load cell cannot price sales (set sells: false to weigh food samples or waste on it)` }]
        : []),
      ...(s.camera === undefined || cameras.includes(s.camera) ? [] : [{ path: `canteen.stations[${i}].camera`, message: `got "${s.camera}"; expected the id of a camera in devices.cameras (${cameras.join(', ') || 'none configured'})` }]),
    ];
  });
}
