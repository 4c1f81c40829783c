// What the energy panel fetches over HTTP (the 24 h / 30 d series, the summary when the
// socket has none yet) and how the series become chart data.
import { useEffect, useRef } from 'preact/hooks';
import type { EnergySeriesMsg, EnergySummaryMsg } from '../../gateway/wire/energy.ts';

export const QUARTER_MS = 15 * 60_000;
const HOUR_MS = 3_600_000;

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export const fetchSeries = (period: '15m' | '1d', day?: string | null) =>
  getJson<EnergySeriesMsg>(`/api/energy/series?period=${period}${day ? `&day=${day}` : ''}`);
export const fetchSummary = () => getJson<EnergySummaryMsg>('/api/energy/summary');

export interface PowerPoint { start: number; kw: number | null; estimated: boolean; open: boolean }

/**
 * 15-minute kWh as average kW: kWh × 4 for a closed quarter; the quarter still open
 * is divided by the time elapsed in it (at least a minute), so the line does not dip
 * at its right end.
 */
export function powerPoints(s: EnergySeriesMsg, now: number): PowerPoint[] {
  return s.points.map((p) => {
    const open = now < p.start + QUARTER_MS;
    const hours = open ? Math.max(now - p.start, 60_000) / HOUR_MS : QUARTER_MS / HOUR_MS;
    // a gap stays a gap (null: uPlot draws no line there), never a zero
    return { start: p.start, kw: p.electricityKwh == null ? null : p.electricityKwh / hours, estimated: p.estimated, open };
  });
}

/** Calls `load` now, at every full minute (so also right after the hour changes) and whenever `connected` turns true again. */
export function useMinuteRefresh(connected: boolean, load: () => Promise<void>): void {
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const schedule = () => {
      const now = Date.now();
      // A second and a half past the minute: the gateway has booked the closed quarter by then.
      timer = setTimeout(tick, Math.floor(now / 60_000) * 60_000 + 61_500 - now);
    };
    const tick = () => {
      if (stopped) return;
      void latest.current().finally(() => { if (!stopped) schedule(); });
    };
    schedule();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  useEffect(() => {
    if (connected) void latest.current();
  }, [connected]);
}

/** The newest of what we hold and what arrived (socket push and HTTP may cross). */
export function newer(cur: EnergySummaryMsg | null, next: EnergySummaryMsg | null): EnergySummaryMsg | null {
  if (!next) return cur;
  return cur && cur.at > next.at ? cur : next;
}
