// Interval consumption from a cumulative counter: the difference between two
// readings, checked. A counter that goes backwards, jumps beyond what the meter
// can pass in the time, or restarts after a swap is an anomaly with its cause —
// never negative consumption. A wrap past the counter's maximum is a rollover.
import type { AnomalyKind } from '../wire/energy.ts';

export interface CounterLimits {
  /** the value after which the meter rolls over to 0 */
  max?: number;
  /** the most the counter can advance per hour (kW rating for kWh, m³/h for water) */
  maxRatePerHour?: number;
}

export interface CounterStep {
  /** consumption to book for the interval between the readings, ≥ 0 */
  delta: number;
  anomaly?: { kind: AnomalyKind; detail: string };
  rollover?: boolean;
}

/** Share of the counter's range a rollover may start from / land in. */
const ROLLOVER_BAND = 0.1;

export function counterStep(prev: number, cur: number, hours: number, limits: CounterLimits): CounterStep {
  let delta = cur - prev;
  let rollover = false;
  if (delta < 0) {
    const { max } = limits;
    if (max && prev > max * (1 - ROLLOVER_BAND) && cur < max * ROLLOVER_BAND) {
      delta = max - prev + cur;
      rollover = true;
    } else if (cur < Math.max(prev * ROLLOVER_BAND, 1)) {
      return { delta: 0, anomaly: { kind: 'reset', detail: `counter restarted from ${fmt(prev)} to ${fmt(cur)} (meter swapped or reset?)` } };
    } else {
      return { delta: 0, anomaly: { kind: 'backwards', detail: `counter went backwards from ${fmt(prev)} to ${fmt(cur)}` } };
    }
  }
  const limit = limits.maxRatePerHour;
  // A little slack for timestamp jitter on short intervals.
  if (limit !== undefined && delta > limit * hours * 1.2 + limit / 3600) {
    return {
      delta: 0,
      anomaly: { kind: 'jump', detail: `counter jumped by ${fmt(delta)} in ${fmt(hours * 60)} min, more than the rating of ${fmt(limit)} per hour allows` },
    };
  }
  return rollover ? { delta, rollover } : { delta };
}

function fmt(n: number): string {
  return Number(n.toFixed(3)).toString();
}
