// SQLite rows of the sensor records (migration 015): disinfection cycles and kitchen-waste disposals.
import type { Db } from '../../store/sqlite.ts';
import type { DisinfectionCycleMsg, WasteDisposalMsg } from '../../wire/kitchen-sensors.ts';

export interface CycleRecord {
  unit: string;
  name: string;
  kind: string;
  startedAt: number;
  endedAt: number;
  minutes: number;
  full: boolean;
}

export class SensorRecordsStore {
  constructor(private readonly db: Db) {}

  addCycle(c: CycleRecord): DisinfectionCycleMsg {
    const id = `dis-${c.unit}-${c.startedAt}`;
    this.db.prepare('INSERT OR IGNORE INTO kitchen_disinfection_cycles (id, unit, started_at, ended_at, minutes, full) VALUES (?, ?, ?, ?, ?, ?)').run(id, c.unit, c.startedAt, c.endedAt, c.minutes, c.full ? 1 : 0);
    return { id, unit: c.unit, startedAt: c.startedAt, endedAt: c.endedAt, minutes: c.minutes, full: c.full };
  }

  lastFullCycleEnd(unit: string, at: number): number | null {
    const r = this.db.prepare('SELECT MAX(ended_at) AS t FROM kitchen_disinfection_cycles WHERE unit = ? AND full = 1 AND ended_at <= ?').get(unit, at) as { t: number | null };
    return r.t;
  }

  cyclesSince(since: number): DisinfectionCycleMsg[] {
    return (this.db.prepare('SELECT * FROM kitchen_disinfection_cycles WHERE ended_at >= ? ORDER BY ended_at').all(since) as { id: string; unit: string; started_at: number; ended_at: number; minutes: number; full: number }[]).map((r) => ({
      id: r.id,
      unit: r.unit,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      minutes: r.minutes,
      full: r.full === 1,
    }));
  }

  addWaste(row: WasteDisposalMsg): WasteDisposalMsg {
    this.db
      .prepare('INSERT INTO kitchen_waste (id, at, grams, from_scale, scale, carrier, company, recorded_by, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.id, row.at, row.grams, row.fromScale ? 1 : 0, row.scale, row.carrier, row.company, row.recordedBy, row.note);
    return row;
  }

  wasteSince(since: number): WasteDisposalMsg[] {
    type Row = { id: string; at: number; grams: number; from_scale: number; scale: string | null; carrier: string; company: string | null; recorded_by: string; note: string | null };
    return (this.db.prepare('SELECT * FROM kitchen_waste WHERE at >= ? ORDER BY at').all(since) as Row[]).map((r) => ({
      id: r.id,
      at: r.at,
      grams: r.grams,
      fromScale: r.from_scale === 1,
      scale: r.scale,
      carrier: r.carrier,
      company: r.company,
      recordedBy: r.recorded_by,
      note: r.note,
    }));
  }
}
