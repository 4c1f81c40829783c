// One disinfection cabinet or UV lamp: its running signal (a digital input, or a power
// meter channel above a threshold) turned into cycles — on at t0, off at t1 — each
// recorded (SQLite + outbox stream `events`). At each `due` time of the site day, a
// full cycle (≥ min_cycle_minutes) must have ended since the previous due time, else a
// disinfection_missing alert. Times are injected (`now`) so the rule can be tested.
import type { Logger } from '../../log.ts';
import { localMinutes } from '../../site-time.ts';
import type { RaiseAlertFn } from '../alerts.ts';
import type { DisinfectionStatusMsg } from '../../wire/kitchen-sensors.ts';
import { minCycleMinutes, parseHHMM, type DisinfectionConfig } from './config.ts';
import type { CycleRecord } from './store.ts';

export interface DisinfectionDeps {
  cfg: DisinfectionConfig;
  timeZone: string;
  raise: RaiseAlertFn;
  /** stores the cycle and hands it to the outbox */
  saveCycle: (c: CycleRecord) => void;
  /** the last full cycle that ended at or before `at` (from the store, so it survives a restart) */
  lastFullCycleEnd: (unit: string, at: number) => number | null;
  logger: Logger;
  now?: () => number;
}

const DAY = 86_400_000;

export class DisinfectionWatch {
  private readonly now: () => number;
  private onSince: number | null = null;
  private lastSignalAt: number | null = null;
  private signalError: string | null = null;
  /** due-time checks already made (epoch ms of the due instant) */
  private lastDueChecked: number;

  constructor(private readonly deps: DisinfectionDeps) {
    this.now = deps.now ?? Date.now;
    this.lastDueChecked = this.now();
  }

  get id(): string {
    return this.deps.cfg.id;
  }

  /** The running signal at `at`. */
  signal(on: boolean, at = this.now()): void {
    this.lastSignalAt = at;
    this.signalError = null;
    if (on && this.onSince === null) this.onSince = at;
    if (!on && this.onSince !== null) {
      const { cfg } = this.deps;
      const minutes = (at - this.onSince) / 60_000;
      const full = minutes >= minCycleMinutes(cfg);
      this.deps.saveCycle({ unit: cfg.id, name: cfg.name, kind: cfg.kind, startedAt: this.onSince, endedAt: at, minutes: Math.round(minutes * 10) / 10, full });
      this.onSince = null;
    }
    this.checkDue(at);
  }

  signalFailed(reason: string): void {
    this.signalError = reason;
    this.checkDue(this.now());
  }

  /** Due times passed since the last check: each needs a full cycle ended since the previous due time. */
  checkDue(at = this.now()): void {
    const { cfg, timeZone } = this.deps;
    if (!cfg.due.length) return;
    for (const due of dueInstants(cfg.due, this.lastDueChecked, at, timeZone)) {
      const previous = previousDue(cfg.due, due, timeZone);
      const end = this.deps.lastFullCycleEnd(cfg.id, due);
      if (end === null || end <= previous) {
        const hhmm = cfg.due.find((d) => Math.abs(localMinutes(due, timeZone) - parseHHMM(d)) < 1)!;
        this.deps.raise({
          type: 'disinfection_missing',
          severity: 'warning',
          message: `${cfg.name}：${hhmm} 前未完成消毒（至少 ${minCycleMinutes(cfg)} 分钟）`,
          details: { name: cfg.name, due: hhmm, minutes: minCycleMinutes(cfg) },
          zone: cfg.id,
          rule: 'disinfection',
          dedupeKey: `disinfection:${cfg.id}:${due}`,
        });
      }
    }
    this.lastDueChecked = at;
  }

  status(): DisinfectionStatusMsg {
    const { cfg } = this.deps;
    const now = this.now();
    return {
      id: cfg.id,
      name: cfg.name,
      kind: cfg.kind,
      running: this.onSince !== null,
      runningSince: this.onSince,
      minCycleMinutes: minCycleMinutes(cfg),
      due: cfg.due,
      lastFullCycleEndedAt: this.deps.lastFullCycleEnd(cfg.id, now),
      lastSignalAt: this.lastSignalAt,
      signalError: this.signalError,
    };
  }
}

/** The instants of the `due` local times in (from, to]. */
export function dueInstants(due: string[], from: number, to: number, timeZone: string): number[] {
  const out: number[] = [];
  const minutes = due.map(parseHHMM);
  // walk local days from the day before `from` to the day of `to`
  for (let day = from - DAY; day <= to + DAY; day += DAY) {
    const midnight = day - localMinutes(day, timeZone) * 60_000 - (day % 60_000);
    for (const m of minutes) {
      const t = midnight + m * 60_000;
      if (t > from && t <= to && !out.includes(t)) out.push(t);
    }
  }
  return out.sort((a, b) => a - b);
}

/** The due instant before `due` (the previous one the same day, or the last one of the day before). */
function previousDue(due: string[], at: number, timeZone: string): number {
  const before = dueInstants(due, at - DAY - 1, at - 1, timeZone);
  return before.length ? before[before.length - 1]! : at - DAY;
}
