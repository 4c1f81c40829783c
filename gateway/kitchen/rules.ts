// Rule timing, pure: detections of one frame at a time in, "fire" out. A rule's
// condition (conditions.ts: a label present / absent / a person lacking a mask, in its zones, within
// its hours) must hold for `min_duration_ms` over at least `min_frames` evaluated frames;
// misses shorter than `gap_ms` (a box the detector lost for a frame) do not end the
// event. One event fires once; after a fire, a new event of the same rule raises nothing
// for `cooldown_ms`. Times are whatever clock the caller uses (frame time), never read here.
import type { Box } from '../../models/detector/decode.ts';
import type { Detection } from '../../models/detector/detector.ts';
import { localMinutes } from '../site-time.ts';
import type { KitchenAlertSeverity } from '../wire/kitchen.ts';
import { evaluateCondition, type Observation } from './conditions.ts';
import { parseHours, type RuleConfig, type ZoneConfig } from './config.ts';

export interface Zone {
  id: string;
  /** polygon in frame pixels */
  points: [number, number][];
  anchor: 'centre' | 'bottom';
}

/** A zone's polygon in pixels of a width × height frame. */
export function zoneInPixels(z: ZoneConfig, width: number, height: number): Zone {
  const points = z.units === 'normalised' ? z.points.map(([x, y]) => [x * width, y * height] as [number, number]) : z.points.map(([x, y]) => [x, y] as [number, number]);
  return { id: z.id, points, anchor: z.anchor };
}

/** Even-odd ray casting. */
export function pointInPolygon(x: number, y: number, poly: readonly [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i]!;
    const [xj, yj] = poly[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function boxInZone(box: Box, zone: Zone): boolean {
  const x = (box[0] + box[2]) / 2;
  const y = zone.anchor === 'bottom' ? box[3] : (box[1] + box[3]) / 2;
  return pointInPolygon(x, y, zone.points);
}

export type { Observation, PersonAttribute } from './conditions.ts';

export interface RuleSpec {
  id: string;
  alert: string;
  severity: KitchenAlertSeverity;
  message?: string;
  when: RuleConfig['when'] & { min_score: number };
  zones: Zone[];
  hours: { from: number; to: number }[];
  minDurationMs: number;
  minFrames: number;
  gapMs: number;
  cooldownMs: number;
  timeZone: string;
}

export function ruleSpec(r: RuleConfig, zones: Zone[], defaults: { minScore: number; timeZone: string }): RuleSpec {
  const byId = new Map(zones.map((z) => [z.id, z]));
  return {
    id: r.id,
    alert: r.alert,
    severity: r.severity,
    message: r.message,
    when: { ...r.when, min_score: r.when.min_score ?? defaults.minScore },
    zones: r.zones.map((z) => {
      const zone = byId.get(z);
      if (!zone) throw new Error(`rule ${r.id}: unknown zone ${z}`);
      return zone;
    }),
    hours: r.hours.map(parseHours),
    minDurationMs: r.min_duration_ms,
    minFrames: r.min_frames,
    gapMs: r.gap_ms,
    cooldownMs: r.cooldown_ms,
    timeZone: defaults.timeZone,
  };
}

export { localMinutes } from '../site-time.ts';

export function withinHours(at: number, spec: Pick<RuleSpec, 'hours' | 'timeZone'>): boolean {
  if (!spec.hours.length) return true;
  const m = localMinutes(at, spec.timeZone);
  return spec.hours.some(({ from, to }) => (from < to ? m >= from && m < to : m >= from || m < to));
}

/** The boxes that make the condition true on this frame (for absent: none), and whether it holds. */
export function evaluate(spec: RuleSpec, o: Observation): { holds: boolean; matches: Detection[] } {
  const { label, min_score } = spec.when;
  const inZones = (b: Box) => !spec.zones.length || spec.zones.some((z) => boxInZone(b, z));
  return evaluateCondition(spec.when, o, (d: Detection) => d.label === label && d.score >= min_score && inZones(d.box));
}

export interface RuleFire {
  rule: RuleSpec;
  /** frame time the rule fired at */
  at: number;
  /** when the event began (its first frame) */
  since: number;
  /** evaluated frames in the event so far */
  frames: number;
  matches: Detection[];
}

/** One rule's timing state. */
export class RuleTracker {
  private since: number | null = null;
  private lastTrueAt = -Infinity;
  private frames = 0;
  private fired = false;
  private lastFireAt = -Infinity;

  constructor(readonly spec: RuleSpec) {}

  /** Feeds one frame; returns the fire when this frame completes an event. */
  observe(o: Observation): RuleFire | null {
    const { holds, matches } = withinHours(o.at, this.spec) ? evaluate(this.spec, o) : { holds: false, matches: [] };
    if (!holds) {
      if (this.since !== null && o.at - this.lastTrueAt > this.spec.gapMs) this.endEvent();
      return null;
    }
    if (this.since === null || o.at - this.lastTrueAt > this.spec.gapMs) {
      this.endEvent();
      this.since = o.at;
    }
    this.frames++;
    this.lastTrueAt = o.at;
    if (this.fired) return null;
    const s = this.spec;
    if (o.at - this.since < s.minDurationMs || this.frames < s.minFrames) return null;
    if (o.at - this.lastFireAt < s.cooldownMs) return null;
    this.fired = true;
    this.lastFireAt = o.at;
    return { rule: s, at: o.at, since: this.since, frames: this.frames, matches };
  }

  /** The stream dropped: whatever was going on is unknown now (the cooldown stays). */
  reset(): void {
    this.endEvent();
  }

  private endEvent(): void {
    this.since = null;
    this.frames = 0;
    this.fired = false;
    this.lastTrueAt = -Infinity;
  }
}
