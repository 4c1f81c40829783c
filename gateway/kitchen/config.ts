// The `kitchen:` section of the config: which models look at which camera, the default
// zones of each camera's frame (the site redraws them at /admin: zones.ts), the rules
// that turn detections into alerts, how long alerts are kept, and the GPIO
// buzzers/lights per severity. Cross-references (cameras, zones) are checked by
// `kitchenConfigIssues` once the whole file has parsed.
import { z } from 'zod';
import { MASK_MODEL } from '../../models/detector/mask.ts';
import type { ConfigIssue } from '../config/issues.ts';
import { ALERT_SEVERITIES } from '../wire/kitchen.ts';
import { attributeNameSchema, conditionAttribute, conditionSchema, MASK_ATTRIBUTE } from './conditions.ts';

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_", at most 63 characters');
const modelName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a model manifest name, e.g. yolox_nano');
export const alertTypeSchema = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'lower-case letters, digits and "_", e.g. no_mask');
const ms = (min: number, max: number) => z.number().int().min(min).max(max);
const severity = z.enum(ALERT_SEVERITIES);
const HOURS_RE = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;

export const zoneSchema = z.strictObject({
  id: id.describe('zone id, named by rules'),
  name: z.string().max(60).optional().describe('what staff call it, e.g. "切配区"'),
  units: z.enum(['normalised', 'pixels']).default('normalised').describe('normalised: points are 0–1 of the frame width/height; pixels: frame pixels at the camera\'s configured width × height'),
  points: z
    .array(z.tuple([z.number().min(0), z.number().min(0)]))
    .min(3)
    .max(64)
    .describe('the polygon, [[x, y], …] in order around it (at least 3 points)'),
  anchor: z.enum(['centre', 'bottom']).default('centre').describe('the point of a box that must be inside: its centre, or the middle of its bottom edge (feet of a person)'),
});

export const ruleSchema = z.strictObject({
  id: id.describe('rule id, unique per camera'),
  alert: alertTypeSchema.describe('alert type raised, e.g. no_mask, phone, person_in_zone, rodent'),
  severity: severity.default('warning').describe('info, warning or critical (drives the GPIO outputs)'),
  message: z.string().min(1).max(200).optional().describe('text shown on the board; default from the rule and camera'),
  when: conditionSchema,
  zones: z.array(id).default([]).describe('zone ids where the condition is looked for; empty: the whole frame'),
  hours: z
    .array(z.string().regex(HOURS_RE, 'HH:MM-HH:MM in 24 h, e.g. 06:00-13:30 (may cross midnight: 22:00-06:00)'))
    .default([])
    .describe('local time windows (site timezone) when the rule applies; empty: always'),
  min_duration_ms: ms(0, 3_600_000).default(5000).describe('the condition must hold this long (over several frames) before the rule fires'),
  min_frames: z.number().int().min(1).max(1000).default(3).describe('and on at least this many evaluated frames'),
  gap_ms: ms(0, 600_000).default(2000).describe('a miss shorter than this (a frame where the detector lost the box) does not end the event'),
  cooldown_ms: ms(0, 86_400_000).default(300_000).describe('after the rule fired, a new event of it raises no alert for this long'),
});

export const kitchenCameraSchema = z.strictObject({
  camera: id.describe('id of a camera in devices.cameras'),
  models: z.array(modelName).min(1).optional().describe('detector models run on this camera; default kitchen.models'),
  clock: z
    .enum(['wall', 'stream'])
    .default('wall')
    .describe('wall: frame arrival time, frames dropped while the detector is busy (live cameras); stream: the first frame arrival plus frame number ÷ fps, every frame evaluated (recorded videos, tests)'),
  zones: z.array(zoneSchema).default([]).describe('areas of the frame rules can be limited to; the defaults: a zone drawn at /admin replaces the one of the same id (stored in the database, see gateway/kitchen/README.md)'),
  rules: z.array(ruleSchema).min(1).describe('what raises an alert on this camera'),
});

export const gpioOutputSchema = z.strictObject({
  severity: severity.describe('the output is on while an alert of this severity is open and not acknowledged'),
  pin: z.number().int().min(0).max(1023).describe('GPIO number (sysfs; on kernels ≥ 6.6 a Raspberry Pi\'s BCM n is often 512 + n: check /sys/kernel/debug/gpio)'),
  kind: z.enum(['buzzer', 'light']).default('light').describe('what is wired to it (shown on /readyz)'),
  active_low: z.boolean().default(false).describe('the device is on when the pin is low'),
});

export const kitchenConfigSchema = z
  .strictObject({
    models: z.array(modelName).min(1).default(['yolox_nano']).describe('detector models (manifest names) run on every camera below; a rule may use any label of any of them'),
    mask_model: modelName.default(MASK_MODEL).describe('the face + masked-face model of the `mask` attribute (`is: without_mask` rules)'),
    attributes: z
      .record(attributeNameSchema, modelName)
      .default({})
      .describe('per-person checks for `is: lacking` rules: attribute name → a detector whose manifest has params.attribute { with, without, region }, e.g. { hat: chef_hat_v1 }; mask is kitchen.mask_model'),
    min_score: z.number().min(0).max(1).default(0.4).describe('default detection score a box needs to count for a rule'),
    snapshot_quality: z.number().int().min(30).max(100).default(85).describe('JPEG quality of alert snapshots'),
    retention: z
      .strictObject({
        default_days: z.number().int().min(1).max(3650).default(90).describe('resolved alerts (rows and snapshots) are deleted this many days after they opened'),
        by_type: z.record(alertTypeSchema, z.number().int().min(1).max(3650)).default({}).describe('days per alert type, e.g. { no_mask: 30, rodent: 365 }'),
        check_every_ms: ms(60_000, 86_400_000).default(3_600_000).describe('how often the retention job runs'),
      })
      .prefault({})
      .describe('how long alerts are kept; open and acknowledged alerts are never deleted'),
    outputs: z.array(gpioOutputSchema).default([]).describe('buzzers and lights on GPIO pins, per severity'),
    cameras: z.array(kitchenCameraSchema).default([]).describe('detection rules per camera'),
  })
  .prefault({})
  .describe('kitchen safety: detection rules on the cameras, alerts, GPIO outputs');

export type KitchenConfig = z.output<typeof kitchenConfigSchema>;
export type KitchenCameraConfig = z.output<typeof kitchenCameraSchema>;
export type RuleConfig = z.output<typeof ruleSchema>;
export type ZoneConfig = z.output<typeof zoneSchema>;
export type GpioOutputConfig = z.output<typeof gpioOutputSchema>;

/** Attribute name → model: the configured ones and `mask` (kitchen.mask_model). */
export function attributeModels(k: Pick<KitchenConfig, 'attributes' | 'mask_model'>): Record<string, string> {
  return { [MASK_ATTRIBUTE]: k.mask_model, ...k.attributes };
}

/** "HH:MM-HH:MM" → minutes of the day [from, to); to ≤ from crosses midnight. */
export function parseHours(s: string): { from: number; to: number } {
  const m = HOURS_RE.exec(s);
  if (!m) throw new Error(`hours ${s}: expected HH:MM-HH:MM`);
  return { from: Number(m[1]) * 60 + Number(m[2]), to: Number(m[3]) * 60 + Number(m[4]) };
}

/** Cross-references the schema cannot see: cameras that exist, zones that exist and fit the frame, unique ids. */
export function kitchenConfigIssues(k: KitchenConfig, devices: { cameras: { id: string; width: number; height: number }[] }): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const cams = new Map(devices.cameras.map((c) => [c.id, c]));
  const seenCams = new Set<string>();
  k.cameras.forEach((c, i) => {
    const at = `kitchen.cameras[${i}]`;
    const cam = cams.get(c.camera);
    if (!cam) issues.push({ path: `${at}.camera`, message: `unknown camera ${JSON.stringify(c.camera)}; expected one of devices.cameras: ${[...cams.keys()].join(', ') || '(none)'}` });
    if (seenCams.has(c.camera)) issues.push({ path: `${at}.camera`, message: `camera ${JSON.stringify(c.camera)} is listed twice; expected one entry per camera` });
    seenCams.add(c.camera);
    const zones = new Set<string>();
    c.zones.forEach((z, j) => {
      if (zones.has(z.id)) issues.push({ path: `${at}.zones[${j}].id`, message: `zone ${JSON.stringify(z.id)} is defined twice; expected unique zone ids per camera` });
      zones.add(z.id);
      const [maxX, maxY] = z.units === 'normalised' ? [1, 1] : [cam?.width ?? Infinity, cam?.height ?? Infinity];
      z.points.forEach(([x, y], p) => {
        if (x > maxX || y > maxY) {
          issues.push({ path: `${at}.zones[${j}].points[${p}]`, message: `point [${x}, ${y}] is outside the frame; expected x ≤ ${maxX} and y ≤ ${maxY} (${z.units})` });
        }
      });
    });
    const rules = new Set<string>();
    c.rules.forEach((r, j) => {
      if (rules.has(r.id)) issues.push({ path: `${at}.rules[${j}].id`, message: `rule ${JSON.stringify(r.id)} is defined twice; expected unique rule ids per camera` });
      rules.add(r.id);
      r.zones.forEach((z, n) => {
        if (!zones.has(z)) issues.push({ path: `${at}.rules[${j}].zones[${n}]`, message: `unknown zone ${JSON.stringify(z)}; expected one of this camera's zones: ${[...zones].join(', ') || '(none)'}` });
      });
      const attribute = conditionAttribute(r.when);
      if (attribute !== undefined && !(attribute in attributeModels(k))) {
        issues.push({ path: `${at}.rules[${j}].when.attribute`, message: `unknown attribute ${JSON.stringify(attribute)}; expected one of kitchen.attributes: ${Object.keys(attributeModels(k)).join(', ')}` });
      }
    });
  });
  const pins = new Set<number>();
  k.outputs.forEach((o, i) => {
    if (pins.has(o.pin)) issues.push({ path: `kitchen.outputs[${i}].pin`, message: `GPIO ${o.pin} is used twice; expected one output per pin` });
    pins.add(o.pin);
  });
  return issues;
}
