// The StationWeights port: a station's scale reading with its grams rounded to the
// station's interval e, the way the checkout shows it (one rounding, drivers/scale/interval.ts).
import { roundToInterval } from '../../drivers/scale/interval.ts';
import type { LiveState } from '../live.ts';
import { withDefaults, type CanteenConfig } from './config.ts';
import type { StationWeights } from './ports.ts';

export function stationWeights(stations: CanteenConfig['stations'], live: Pick<LiveState, 'weights'>): StationWeights {
  return {
    weight(stationId) {
      const configured = stations.find((s) => s.id === stationId);
      if (!configured) return undefined;
      const station = withDefaults(configured);
      const r = live.weights.get(station.scale);
      return r && { ...r, grams: roundToInterval(r.grams, station.interval_g) };
    },
  };
}
