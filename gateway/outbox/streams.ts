// The streams the box sends upstream, and the data class that decides what may
// give way when the disk budget is reached.
import type { Stream } from '../wire/streams.ts';

/** samples may be thinned and refused; events may be refused; the rest are never dropped. */
export type DataClass = 'samples' | 'counters' | 'transactions' | 'alerts' | 'events';

export const STREAMS = {
  readings: 'samples', // instantaneous meter readings, high rate
  intervals: 'counters', // interval consumption from cumulative counters
  transactions: 'transactions', // payments, refunds, voids
  alerts: 'alerts', // kitchen safety alerts, counter anomalies
  events: 'events', // device state changes, drop reports
} as const satisfies Record<Stream, DataClass>;

export const NEVER_DROPPED: DataClass[] = ['counters', 'transactions', 'alerts'];

export function isStream(s: string): s is Stream {
  return s in STREAMS;
}
