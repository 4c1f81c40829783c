// What the accountant books and announces: closed intervals and counter anomalies. Apart
// from accountant.ts so the bus can name them without importing the accountant.
import type { AnomalyKind } from './counter.ts';
import type { Period } from './periods.ts';

export type Medium = 'electricity' | 'water' | 'gas';

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
}

export interface EnergyAnomaly {
  meter: string;
  at: number;
  kind: AnomalyKind;
  detail: string;
}
