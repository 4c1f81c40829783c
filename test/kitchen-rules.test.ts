// Rule timing with synthetic detections (pure: no models, no clock): a rule fires once
// after its minimum duration over enough frames and not before, a short miss does not end
// the event, the cooldown holds, hours in the site's zone, zones in pixels or normalised;
// and the kitchen config's cross-checks.
import { describe, expect, it } from 'vitest';
import type { Box } from '../models/detector/decode.ts';
import type { Detection } from '../models/detector/detector.ts';
import { kitchenConfigIssues, kitchenConfigSchema, ruleSchema, zoneSchema } from '../gateway/kitchen/config.ts';
import { boxInZone, localMinutes, pointInPolygon, RuleTracker, ruleSpec, zoneInPixels, type Observation, type RuleFire } from '../gateway/kitchen/rules.ts';

const TZ = 'Asia/Shanghai';
const det = (label: string, box: Box, score = 0.9): Detection => ({ label, score, box, model: 'yolox_nano', classIndex: 0 });
const PERSON = det('person', [100, 50, 200, 300]);
const PHONE = det('cell phone', [150, 120, 170, 150]);

function tracker(rule: Record<string, unknown>, zones: Record<string, unknown>[] = [], size = { width: 640, height: 360 }) {
  const z = zones.map((x) => zoneInPixels(zoneSchema.parse(x), size.width, size.height));
  return new RuleTracker(ruleSpec(ruleSchema.parse({ id: 'r', alert: 'phone', ...rule }), z, { minScore: 0.4, timeZone: TZ }));
}

/** Feeds frames every `stepMs` from `t0`; `seen(t)` gives the frame's detections. Returns the fires. */
function run(tr: RuleTracker, t0: number, t1: number, stepMs: number, seen: (t: number) => Detection[] | Observation): RuleFire[] {
  const fires: RuleFire[] = [];
  for (let t = t0; t <= t1; t += stepMs) {
    const s = seen(t);
    const f = tr.observe(Array.isArray(s) ? { at: t, detections: s } : s);
    if (f) fires.push(f);
  }
  return fires;
}

// a Thursday at 10:00 in Shanghai (UTC+8, no DST)
const T0 = Date.parse('2026-11-26T02:00:00Z');

describe('rule timing', () => {
  it('fires once after the minimum duration, not before, and once per event', () => {
    const tr = tracker({ when: { label: 'cell phone' }, min_duration_ms: 10_000, min_frames: 3, cooldown_ms: 60_000 });
    // 5 fps: frame at 0, 200 … the event starts at T0
    const fires = run(tr, T0, T0 + 30_000, 200, () => [PERSON, PHONE]);
    expect(fires).toHaveLength(1);
    expect(fires[0]!.at - T0).toBe(10_000);
    expect(fires[0]!.since).toBe(T0);
    expect(fires[0]!.frames).toBe(51);
    expect(fires[0]!.matches).toEqual([PHONE]);
  });

  it('needs min_frames as well: a slow camera fires on its third frame, not at the duration', () => {
    const tr = tracker({ when: { label: 'cell phone' }, min_duration_ms: 1000, min_frames: 3 });
    const fires = run(tr, T0, T0 + 10_000, 2000, () => [PHONE]);
    expect(fires.map((f) => f.at - T0)).toEqual([4000]);
  });

  it('a condition that never lasts long enough never fires', () => {
    const tr = tracker({ when: { label: 'cell phone' }, min_duration_ms: 5000, gap_ms: 1000 });
    // 4 s with, 2 s without, repeated
    const fires = run(tr, T0, T0 + 60_000, 200, (t) => (((t - T0) % 6000) < 4000 ? [PHONE] : [PERSON]));
    expect(fires).toEqual([]);
  });

  it('a miss shorter than gap_ms keeps the event going; a longer one ends it', () => {
    const short = tracker({ when: { label: 'cell phone' }, min_duration_ms: 5000, gap_ms: 1000 });
    // the detector loses the phone for 600 ms at 2 s
    const lost = (from: number, ms: number) => (t: number) => (t - T0 >= from && t - T0 < from + ms ? [PERSON] : [PHONE]);
    expect(run(short, T0, T0 + 8000, 200, lost(2000, 600)).map((f) => f.at - T0)).toEqual([5000]);
    const long = tracker({ when: { label: 'cell phone' }, min_duration_ms: 5000, gap_ms: 1000 });
    // lost for 1.6 s at 2 s: a new event starts at 3.6 s and fires 5 s later
    expect(run(long, T0, T0 + 12_000, 200, lost(2000, 1600)).map((f) => f.at - T0)).toEqual([8600]);
  });

  it('the cooldown holds across events, then the next event alerts', () => {
    const tr = tracker({ when: { label: 'cell phone' }, min_duration_ms: 2000, gap_ms: 500, cooldown_ms: 20_000 });
    // phone for 5 s, gone 3 s, again … (an 8 s cycle)
    const fires = run(tr, T0, T0 + 60_000, 250, (t) => (((t - T0) % 8000) < 5000 ? [PHONE] : []));
    // first event fires at 2 s; events starting at 8 s and 16 s are inside the cooldown (until 22 s);
    // the event starting at 24 s fires at 26 s; cooldown until 46 s; the one at 48 s fires at 50 s
    expect(fires.map((f) => (f.at - T0) / 1000)).toEqual([2, 26, 50]);
  });

  it('a long event still inside the cooldown fires once the cooldown is over', () => {
    const tr = tracker({ when: { label: 'cell phone' }, min_duration_ms: 1000, gap_ms: 500, cooldown_ms: 10_000 });
    const fires = run(tr, T0, T0 + 30_000, 500, (t) => (t - T0 < 2000 || t - T0 >= 4000 ? [PHONE] : []));
    expect(fires.map((f) => (f.at - T0) / 1000)).toEqual([1, 11]);
  });

  it('reset (the stream dropped) ends the event in progress', () => {
    const tr = tracker({ when: { label: 'cell phone' }, min_duration_ms: 3000 });
    run(tr, T0, T0 + 2000, 200, () => [PHONE]);
    tr.reset();
    expect(run(tr, T0 + 2200, T0 + 5000, 200, () => [PHONE])).toEqual([]);
    expect(run(tr, T0 + 5200, T0 + 5200, 200, () => [PHONE]).map((f) => f.at - T0)).toEqual([5200]);
  });

  it('absent: fires when no box of the label is there for the duration', () => {
    const tr = tracker({ alert: 'unattended', when: { label: 'person', is: 'absent' }, min_duration_ms: 3000 });
    const fires = run(tr, T0, T0 + 10_000, 500, (t) => (t - T0 < 4000 ? [PERSON] : []));
    expect(fires.map((f) => f.at - T0)).toEqual([7000]);
    expect(fires[0]!.matches).toEqual([]);
  });

  it('without_mask: persons whose face was found bare; masked faces and unseen faces do not count', () => {
    const tr = tracker({ alert: 'no_mask', when: { label: 'person', is: 'without_mask' }, min_duration_ms: 1000 });
    const masked = run(tr, T0, T0 + 5000, 500, (t) => ({ at: t, detections: [PERSON], attributes: { mask: [{ person: PERSON, has: true }] } }));
    expect(masked).toEqual([]);
    const noFace = run(tr, T0 + 5500, T0 + 9000, 500, (t) => ({ at: t, detections: [PERSON], attributes: { mask: [] } }));
    expect(noFace).toEqual([]);
    const bare = run(tr, T0 + 9500, T0 + 12_000, 500, (t) => ({ at: t, detections: [PERSON], attributes: { mask: [{ person: PERSON, has: false }] } }));
    expect(bare.map((f) => f.at - T0)).toEqual([10_500]);
    expect(bare[0]!.matches).toEqual([PERSON]);
  });

  it('lacking: any per-person attribute by name (a hat), the same timing; another attribute\'s results do not count', () => {
    const tr = tracker({ alert: 'no_hat', when: { label: 'person', is: 'lacking', attribute: 'hat' }, min_duration_ms: 1000 });
    const maskOnly = run(tr, T0, T0 + 3000, 500, (t) => ({ at: t, detections: [PERSON], attributes: { mask: [{ person: PERSON, has: false }] } }));
    expect(maskOnly).toEqual([]);
    const bare = run(tr, T0 + 3500, T0 + 6000, 500, (t) => ({ at: t, detections: [PERSON], attributes: { hat: [{ person: PERSON, has: false }] } }));
    expect(bare.map((f) => f.at - T0)).toEqual([4500]);
    expect(ruleSchema.safeParse({ id: 'r', alert: 'no_hat', when: { label: 'person', is: 'lacking' } }).success).toBe(false);
  });

  it('the rule union: min_count means nothing for absent, an unknown condition names the choices', () => {
    expect(ruleSchema.safeParse({ id: 'r', alert: 'x', when: { label: 'person', is: 'absent', min_count: 2 } }).success).toBe(false);
    const bad = ruleSchema.safeParse({ id: 'r', alert: 'x', when: { label: 'person', is: 'without_hat' } });
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error!.issues)).toContain('lacking');
  });

  it('min_score and min_count', () => {
    const weak = tracker({ when: { label: 'cell phone', min_score: 0.8 }, min_duration_ms: 0, min_frames: 1 });
    expect(run(weak, T0, T0 + 1000, 500, () => [det('cell phone', [0, 0, 10, 10], 0.7)])).toEqual([]);
    const two = tracker({ alert: 'crowd', when: { label: 'person', min_count: 2 }, min_duration_ms: 0, min_frames: 1 });
    expect(run(two, T0, T0 + 1000, 500, () => [PERSON])).toEqual([]);
    expect(run(two, T0 + 1500, T0 + 1500, 500, () => [PERSON, det('person', [300, 50, 400, 300])])).toHaveLength(1);
  });
});

describe('hours', () => {
  it('local minutes in the site zone', () => {
    expect(localMinutes(T0, TZ)).toBe(600);
    expect(localMinutes(T0, 'UTC')).toBe(120);
  });

  it('applies only inside its local windows, including one across midnight', () => {
    const day = tracker({ when: { label: 'cell phone' }, hours: ['06:00-09:59'], min_duration_ms: 1000 });
    // 10:00 local: outside 06:00-09:59
    expect(run(day, T0, T0 + 5000, 500, () => [PHONE])).toEqual([]);
    // 09:58:00 local: inside until 09:59, the rule fires at 09:58:01
    const t958 = T0 - 2 * 60_000;
    expect(run(day, t958, t958 + 3000, 500, () => [PHONE]).map((f) => f.at - t958)).toEqual([1000]);

    const night = tracker({ alert: 'intruder', when: { label: 'person' }, hours: ['22:00-06:00'], min_duration_ms: 0, min_frames: 1, cooldown_ms: 0 });
    const at = (hhmm: string, day = 26) => Date.parse(`2026-11-${day}T${hhmm}:00+08:00`);
    expect(night.observe({ at: at('23:30'), detections: [PERSON] })).not.toBeNull();
    night.reset();
    expect(night.observe({ at: at('05:59', 27), detections: [PERSON] })).not.toBeNull();
    night.reset();
    expect(night.observe({ at: at('06:00', 27), detections: [PERSON] })).toBeNull();
    expect(night.observe({ at: at('12:00', 27), detections: [PERSON] })).toBeNull();
  });
});

describe('zones', () => {
  it('point in polygon, concave too', () => {
    const L: [number, number][] = [[0, 0], [10, 0], [10, 4], [4, 4], [4, 10], [0, 10]];
    expect(pointInPolygon(2, 2, L)).toBe(true);
    expect(pointInPolygon(8, 2, L)).toBe(true);
    expect(pointInPolygon(8, 8, L)).toBe(false);
    expect(pointInPolygon(2, 8, L)).toBe(true);
    expect(pointInPolygon(11, 2, L)).toBe(false);
  });

  it('normalised points scale to the frame; the anchor chooses centre or feet', () => {
    const z = zoneInPixels(zoneSchema.parse({ id: 'line', points: [[0, 0.5], [0.5, 0.5], [0.5, 1], [0, 1]] }), 640, 360);
    expect(z.points).toEqual([[0, 180], [320, 180], [320, 360], [0, 360]]);
    // the person spans y 50-300: centre 175 is above the zone, the feet (300) inside
    expect(boxInZone(PERSON.box, z)).toBe(false);
    expect(boxInZone(PERSON.box, { ...z, anchor: 'bottom' })).toBe(true);
  });

  it('a rule limited to a zone ignores boxes outside it', () => {
    const zones = [{ id: 'left', units: 'pixels', points: [[0, 0], [320, 0], [320, 360], [0, 360]] }];
    const tr = tracker({ when: { label: 'cell phone' }, zones: ['left'], min_duration_ms: 1000 }, zones);
    const right = det('cell phone', [500, 100, 520, 130]);
    expect(run(tr, T0, T0 + 5000, 500, () => [right])).toEqual([]);
    expect(run(tr, T0 + 5500, T0 + 8000, 500, () => [right, PHONE]).map((f) => f.matches)).toEqual([[PHONE]]);
  });
});

describe('kitchen config', () => {
  const devices = { cameras: [{ id: 'line', width: 640, height: 360 }] };
  const parse = (k: unknown) => kitchenConfigSchema.parse(k);

  it('defaults: YOLOX-nano, the masked-face model, 90 days, no outputs', () => {
    const k = parse({ cameras: [{ camera: 'line', rules: [{ id: 'phone', alert: 'phone', when: { label: 'cell phone' } }] }] });
    expect(k.models).toEqual(['yolox_nano']);
    expect(k.mask_model).toBe('ultraface-RFB-640-masked_face-v2');
    expect(k.retention.default_days).toBe(90);
    expect(k.cameras[0]!.rules[0]).toMatchObject({ severity: 'warning', min_duration_ms: 5000, min_frames: 3, cooldown_ms: 300_000, zones: [], hours: [] });
    expect(kitchenConfigIssues(k, devices)).toEqual([]);
  });

  it('names unknown cameras and zones, duplicate ids, points outside the frame, and reused pins', () => {
    const k = parse({
      outputs: [{ severity: 'critical', pin: 17 }, { severity: 'warning', pin: 17 }],
      cameras: [
        {
          camera: 'line',
          zones: [{ id: 'a', units: 'pixels', points: [[0, 0], [700, 0], [0, 100]] }],
          rules: [
            { id: 'x', alert: 'phone', when: { label: 'cell phone' }, zones: ['b'] },
            { id: 'x', alert: 'phone', when: { label: 'cell phone' } },
          ],
        },
        { camera: 'nope', rules: [{ id: 'y', alert: 'phone', when: { label: 'cell phone' } }] },
      ],
    });
    expect(kitchenConfigIssues(k, devices).map((i) => i.path)).toEqual([
      'kitchen.cameras[0].zones[0].points[1]',
      'kitchen.cameras[0].rules[0].zones[0]',
      'kitchen.cameras[0].rules[1].id',
      'kitchen.cameras[1].camera',
      'kitchen.outputs[1].pin',
    ]);
    expect(kitchenConfigIssues(k, devices)[3]!.message).toBe('unknown camera "nope"; expected one of devices.cameras: line');
  });

  it('a lacking rule names an attribute of kitchen.attributes (mask is always there)', () => {
    const rule = (attribute: string) => ({ camera: 'line', rules: [{ id: 'r', alert: 'no_hat', when: { label: 'person', is: 'lacking', attribute } }] });
    expect(kitchenConfigIssues(parse({ cameras: [rule('mask')] }), devices)).toEqual([]);
    expect(kitchenConfigIssues(parse({ attributes: { hat: 'chef_hat_v1' }, cameras: [rule('hat')] }), devices)).toEqual([]);
    expect(kitchenConfigIssues(parse({ cameras: [rule('hat')] }), devices)).toEqual([
      { path: 'kitchen.cameras[0].rules[0].when.attribute', message: 'unknown attribute "hat"; expected one of kitchen.attributes: mask' },
    ]);
  });

  it('refuses bad hours and alert types', () => {
    expect(ruleSchema.safeParse({ id: 'r', alert: 'phone', when: { label: 'x' }, hours: ['25:00-06:00'] }).success).toBe(false);
    expect(ruleSchema.safeParse({ id: 'r', alert: 'No Mask', when: { label: 'x' } }).success).toBe(false);
  });
});
