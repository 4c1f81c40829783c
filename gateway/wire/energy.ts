// The energy panel's messages and the `/energy` namespace.
import type { DeviceStatus, MeterReadingMsg } from './devices.ts';
import type { SiteInfo } from './site.ts';

export interface EnergySnapshot { site: SiteInfo; devices: DeviceStatus[]; readings: MeterReadingMsg[]; summary: EnergySummaryMsg | null }

/** Server → client events per namespace. Every namespace sends `snapshot` on
 * connect and `device:state` whenever a device changes state. */
export interface EnergyEvents {
  snapshot: (s: EnergySnapshot) => void;
  'meter:reading': (m: MeterReadingMsg) => void;
  'energy:summary': (s: EnergySummaryMsg) => void;
  'device:state': (d: DeviceStatus) => void;
}

export type Medium = 'electricity' | 'water' | 'gas';

export interface WindowTotalsMsg {
  /** epoch ms of the window's local start */
  from: number;
  electricityKwh: number;
  waterM3: number;
  gasM3: number;
  kgce: number;
  /** electricity (grid factor) plus gas burnt on site */
  co2Kg: number;
  co2ElectricityKg: number;
  co2GasKg: number;
}

/** The conversion factors in use and where they come from (shown in the panel's details). */
export interface EnergyFactorsMsg {
  electricityKgcePerKwh: number;
  gasKgcePerM3: number;
  gridCo2KgPerKwh: number;
  gasCo2KgPerM3: number;
  sources: { coal: string; grid: string; gas: string };
}

export interface IndicatorMsg {
  ytd: number;
  /** the year projected from the days with data; null before `minDays` of data */
  projectedYear: number | null;
  /** whole days of data this year the projection rests on */
  dataDays: number;
  minDays: number;
  target: number | null;
}

/** The energy panel's figures, pushed on `/energy` as `energy:summary` at most once a second. */
export interface EnergySummaryMsg {
  at: number;
  today: WindowTotalsMsg;
  month: WindowTotalsMsg;
  year: WindowTotalsMsg;
  indicators: { kgcePerM2: IndicatorMsg | null; kgcePerPerson: IndicatorMsg | null; waterM3PerPerson: IndicatorMsg | null };
  factors: EnergyFactorsMsg;
  /** site electricity, this period so far vs the last period up to the same time (null: no data then) */
  compare: { day: { current: number; previous: number | null }; month: { current: number; previous: number | null } };
  /** live power of the site meters, kW */
  sitePowerKw: number;
  meters: { id: string; name: string; medium: Medium; unit: string; site: boolean; todayAmount: number; powerKw: number | null }[];
  groups: { id: string; name: string; subItem: string | null; powerKw: number; todayKwh: number; todayWaterM3: number }[];
  /** `detail` is for logs (English); prev → value are the counter readings the panel words it from */
  anomalies: { meter: string; at: number; kind: string; detail: string; prev: number | null; value: number | null; kgce: number | null }[];
}

/** GET /api/energy/series?period=15m|1d: site totals per interval. */
export interface EnergySeriesMsg {
  period: '15m' | '1d';
  /** null: no meter of that medium booked anything then (a gap, not a zero); partial: the period still running */
  points: { start: number; electricityKwh: number | null; waterM3: number | null; estimated: boolean; partial: boolean }[];
}

// ── Energy accounting (gateway/energy): what the bus carries and the outbox sends ──

export const PERIODS = ['1m', '15m', '1h', '1d'] as const;
export type Period = (typeof PERIODS)[number];

export type AnomalyKind = 'backwards' | 'reset' | 'jump' | 'baseload';

export interface EnergyInterval {
  meter: string;
  medium: Medium;
  unit: string;
  period: Period;
  start: number;
  end: number;
  amount: number;
  estimated: boolean;
  anomalies: number;
  /** the meter's cumulative counter at the period's end, when known (the raw function value JGJ/T 285 platforms take) */
  reading?: number;
}

export interface EnergyAnomaly {
  meter: string;
  at: number;
  kind: AnomalyKind;
  detail: string;
}
