// The records in SQLite (migration 009_food_safety.sql): morning checks with their
// history, samples with their discard, and the reminders already raised.
import type { Meal } from '../../wire/canteen.ts';
import type { FoodSampleMsg, MorningCheckMsg } from '../../wire/kitchen.ts';
import type { Db } from '../../store/sqlite.ts';

interface CheckRow {
  id: string;
  day: string;
  staff_id: string;
  staff_name: string;
  temperature_c: number;
  answers: string;
  passed: number;
  failures: string;
  note: string | null;
  checked_by: string;
  checked_at: number;
  superseded_by: string | null;
}

interface SampleRow {
  id: string;
  day: string;
  meal: Meal;
  dish_id: string;
  dish_name: string;
  grams: number;
  source: 'typed' | 'scale';
  min_grams: number;
  cabinet: string;
  taken_by: string;
  taken_at: number;
  retain_until: number;
  discarded_at: number | null;
  discarded_by: string | null;
}

const checkMsg = (r: CheckRow): MorningCheckMsg => ({
  id: r.id,
  day: r.day,
  staffId: r.staff_id,
  staffName: r.staff_name,
  temperatureC: r.temperature_c,
  answers: JSON.parse(r.answers) as MorningCheckMsg['answers'],
  passed: r.passed === 1,
  failures: JSON.parse(r.failures) as string[],
  note: r.note,
  checkedBy: r.checked_by,
  checkedAt: r.checked_at,
  supersededBy: r.superseded_by,
});

const sampleMsg = (r: SampleRow): FoodSampleMsg => ({
  id: r.id,
  day: r.day,
  meal: r.meal,
  dishId: r.dish_id,
  dishName: r.dish_name,
  grams: r.grams,
  source: r.source,
  underweight: r.grams < r.min_grams,
  minGrams: r.min_grams,
  cabinet: r.cabinet,
  takenBy: r.taken_by,
  takenAt: r.taken_at,
  retainUntil: r.retain_until,
  discardedAt: r.discarded_at,
  discardedBy: r.discarded_by,
});

export class RecordsStore {
  constructor(private readonly db: Db) {}

  /** Writes the check; the person's earlier check of the day (if any) is marked as replaced by it, in one transaction. */
  addCheck(c: MorningCheckMsg): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE food_morning_checks SET superseded_by = ? WHERE day = ? AND staff_id = ? AND superseded_by IS NULL').run(c.id, c.day, c.staffId);
      this.db
        .prepare(
          `INSERT INTO food_morning_checks (id, day, staff_id, staff_name, temperature_c, answers, passed, failures, note, checked_by, checked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(c.id, c.day, c.staffId, c.staffName, c.temperatureC, JSON.stringify(c.answers), c.passed ? 1 : 0, JSON.stringify(c.failures), c.note, c.checkedBy, c.checkedAt);
    }).immediate();
  }

  /** The check this one replaced, if it was a re-check. */
  replacedCheck(id: string): string | undefined {
    return (this.db.prepare('SELECT id FROM food_morning_checks WHERE superseded_by = ?').get(id) as { id: string } | undefined)?.id;
  }

  currentCheck(day: string, staffId: string): MorningCheckMsg | undefined {
    const r = this.db.prepare('SELECT * FROM food_morning_checks WHERE day = ? AND staff_id = ? AND superseded_by IS NULL').get(day, staffId) as CheckRow | undefined;
    return r && checkMsg(r);
  }

  /** The day's checks, replaced ones included, in the order they were taken. */
  checks(day: string): MorningCheckMsg[] {
    return (this.db.prepare('SELECT * FROM food_morning_checks WHERE day = ? ORDER BY checked_at, rowid').all(day) as CheckRow[]).map(checkMsg);
  }

  addSample(s: FoodSampleMsg, scaleStation: string | null): void {
    this.db
      .prepare(
        `INSERT INTO food_samples (id, day, meal, dish_id, dish_name, grams, source, scale_station, min_grams, cabinet, taken_by, taken_at, retain_until)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(s.id, s.day, s.meal, s.dishId, s.dishName, s.grams, s.source, scaleStation, s.minGrams, s.cabinet, s.takenBy, s.takenAt, s.retainUntil);
  }

  sample(id: string): FoodSampleMsg | undefined {
    const r = this.db.prepare('SELECT * FROM food_samples WHERE id = ?').get(id) as SampleRow | undefined;
    return r && sampleMsg(r);
  }

  samples(day: string): FoodSampleMsg[] {
    return (this.db.prepare('SELECT * FROM food_samples WHERE day = ? ORDER BY taken_at, rowid').all(day) as SampleRow[]).map(sampleMsg);
  }

  discard(id: string, by: string, at: number): void {
    this.db.prepare('UPDATE food_samples SET discarded_at = ?, discarded_by = ? WHERE id = ? AND discarded_at IS NULL').run(at, by, id);
  }

  /** Kept past their retention time, not discarded. */
  retentionDue(now: number): FoodSampleMsg[] {
    return (this.db.prepare('SELECT * FROM food_samples WHERE discarded_at IS NULL AND retain_until <= ? ORDER BY retain_until, rowid').all(now) as SampleRow[]).map(sampleMsg);
  }

  /** Retention due and not yet reminded of. */
  unremindedRetention(now: number): FoodSampleMsg[] {
    return (this.db.prepare('SELECT * FROM food_samples WHERE discarded_at IS NULL AND reminded_at IS NULL AND retain_until <= ? ORDER BY retain_until, rowid').all(now) as SampleRow[]).map(sampleMsg);
  }

  markReminded(ids: string[], at: number): void {
    const stmt = this.db.prepare('UPDATE food_samples SET reminded_at = ? WHERE id = ?');
    this.db.transaction(() => ids.forEach((id) => stmt.run(at, id))).immediate();
  }

  hasReminder(key: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM food_reminders WHERE key = ?').get(key);
  }

  rememberReminder(key: string, at: number): void {
    this.db.prepare('INSERT OR IGNORE INTO food_reminders (key, raised_at) VALUES (?, ?)').run(key, at);
  }

  // ── the outbox hand-over ──

  markQueued(kind: 'check' | 'sample' | 'discard', id: string, at: number): void {
    const sql = {
      check: 'UPDATE food_morning_checks SET queued_at = ? WHERE id = ?',
      sample: 'UPDATE food_samples SET queued_at = ? WHERE id = ?',
      discard: 'UPDATE food_samples SET discard_queued_at = ? WHERE id = ?',
    }[kind];
    this.db.prepare(sql).run(at, id);
  }

  /** Records the outbox has not taken yet (a refusal or a crash in between), oldest first. */
  unqueued(): { checks: MorningCheckMsg[]; samples: FoodSampleMsg[]; discards: FoodSampleMsg[] } {
    return {
      checks: (this.db.prepare('SELECT * FROM food_morning_checks WHERE queued_at IS NULL ORDER BY checked_at, rowid').all() as CheckRow[]).map(checkMsg),
      samples: (this.db.prepare('SELECT * FROM food_samples WHERE queued_at IS NULL ORDER BY taken_at, rowid').all() as SampleRow[]).map(sampleMsg),
      discards: (this.db.prepare('SELECT * FROM food_samples WHERE discarded_at IS NOT NULL AND discard_queued_at IS NULL ORDER BY discarded_at, rowid').all() as SampleRow[]).map(sampleMsg),
    };
  }
}
