// Downsampling by retention: every interval is stored at each period already, so
// thinning history is deleting the fine rows once they are older than their keep.
import type { Db } from '../store/sqlite.ts';
import type { Period } from '../wire/energy.ts';
import { PERIOD_MS } from './periods.ts';

export type Retention = Record<Period, number | null>; // days to keep; null = forever

export function pruneHistory(db: Db, keepDays: Retention, now = Date.now()): number {
  const del = db.prepare('DELETE FROM energy_intervals WHERE period = ? AND start < ?');
  let removed = 0;
  db.transaction(() => {
    for (const [period, days] of Object.entries(keepDays) as [Period, number | null][]) {
      if (days !== null) removed += del.run(period, now - days * PERIOD_MS['1d']).changes;
    }
    const anomalyDays = keepDays['1d'];
    if (anomalyDays !== null) db.prepare('DELETE FROM energy_anomalies WHERE at < ?').run(now - anomalyDays * PERIOD_MS['1d']);
  }).immediate();
  return removed;
}
