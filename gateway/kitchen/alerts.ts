// The kitchen's alert book (SQLite, migration 008): every alert from any producer —
// the camera rules here, the morning checks and food samples (gateway/kitchen/records) —
// with its lifecycle open → acknowledged (who, when) → resolved (who, when, note), its two
// snapshots on disk, and every alert and change appended to the outbox stream `alerts`.
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EventBus } from '../bus/event-bus.ts';
import type { Db } from '../store/sqlite.ts';
import type { KitchenAlertMsg, KitchenAlertSeverity, KitchenAlertState } from '../wire/kitchen.ts';

/** What any producer hands in. */
export interface RaiseAlert {
  /** e.g. no_mask, phone, person_in_zone, rodent, morning_check_failed, sample_underweight … */
  type: string;
  severity: KitchenAlertSeverity;
  /** short text shown on the board */
  message: string;
  camera?: string | null;
  zone?: string | null;
  rule?: string | null;
  /** while an alert with this key is not resolved, raising it again makes no new alert */
  dedupeKey?: string;
  /** JPEGs: with boxes drawn, and the same frame clean */
  snapshot?: { annotated: Buffer; clean: Buffer };
  /** the values of the message (names, dates, grams): the board words it from its translations `kitchen.detail.<type>` */
  details?: Record<string, string | number>;
}
/** null when deduplicated */
export type RaiseAlertFn = (a: RaiseAlert) => KitchenAlertMsg | null;
export type ResolveAlertByKeyFn = (dedupeKey: string, by: string, note: string) => KitchenAlertMsg | null;

export const SNAPSHOT_DIR = 'kitchen-snapshots';

/** A client mistake: the route answers with this status and message. */
export class AlertError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

interface Row {
  id: string;
  type: string;
  severity: KitchenAlertSeverity;
  state: KitchenAlertState;
  message: string;
  camera: string | null;
  zone: string | null;
  rule: string | null;
  dedupe_key: string | null;
  opened_at: number;
  acked_at: number | null;
  acked_by: string | null;
  ack_note: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  note: string | null;
  snapshot: string | null;
  clean: string | null;
  details: string | null;
}

export interface AlertFilter {
  state?: KitchenAlertState;
  camera?: string;
  type?: string;
  limit?: number;
}

export type AlertEvent = 'alert:new' | 'alert:update';
/** appends to the outbox; resolves once on disk */
export type PutAlert = (payload: Record<string, unknown>, key: string) => Promise<unknown>;

export interface AlertBookOptions {
  db: Db;
  dataDir: string;
  /** where alert:new and alert:update go (the board, the buzzer) */
  bus: EventBus;
  put: PutAlert;
  onPutError: (err: unknown) => void;
  now?: () => number;
}

export class AlertBook {
  readonly snapshotDir: string;
  private readonly db: Db;
  private readonly bus: EventBus;
  private readonly put: PutAlert;
  private readonly onPutError: (err: unknown) => void;
  private readonly now: () => number;

  constructor(opts: AlertBookOptions) {
    this.db = opts.db;
    this.bus = opts.bus;
    this.put = opts.put;
    this.onPutError = opts.onPutError;
    this.now = opts.now ?? Date.now;
    this.snapshotDir = path.join(opts.dataDir, SNAPSHOT_DIR);
    mkdirSync(this.snapshotDir, { recursive: true });
  }

  raise: RaiseAlertFn = (a) => {
    if (a.dedupeKey) {
      const dup = this.db.prepare(`SELECT id FROM kitchen_alerts WHERE dedupe_key = ? AND state <> 'resolved'`).get(a.dedupeKey);
      if (dup) return null;
    }
    const id = randomUUID();
    const openedAt = this.now();
    let snapshot: string | null = null;
    let clean: string | null = null;
    if (a.snapshot) {
      snapshot = `${id}.jpg`;
      clean = `${id}-clean.jpg`;
      writeFileSync(path.join(this.snapshotDir, snapshot), a.snapshot.annotated);
      writeFileSync(path.join(this.snapshotDir, clean), a.snapshot.clean);
    }
    const msg = this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO kitchen_alerts (id, type, severity, state, message, camera, zone, rule, dedupe_key, opened_at, snapshot, clean, details)
           VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, a.type, a.severity, a.message, a.camera ?? null, a.zone ?? null, a.rule ?? null, a.dedupeKey ?? null, openedAt, snapshot, clean, a.details ? JSON.stringify(a.details) : null);
      const m = this.get(id)!;
      this.enqueue(m, 'opened', a.snapshot?.annotated);
      return m;
    }).immediate();
    this.bus.emit('alert:new', msg);
    return msg;
  };

  get(id: string): KitchenAlertMsg | undefined {
    const row = this.db.prepare('SELECT * FROM kitchen_alerts WHERE id = ?').get(id) as Row | undefined;
    return row && toMsg(row);
  }

  list(f: AlertFilter = {}): KitchenAlertMsg[] {
    const where: string[] = [];
    const args: unknown[] = [];
    for (const k of ['state', 'camera', 'type'] as const) {
      if (f[k] !== undefined) {
        where.push(`${k} = ?`);
        args.push(f[k]);
      }
    }
    const sql = `SELECT * FROM kitchen_alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, rowid DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit ?? 100) as Row[]).map(toMsg);
  }

  /** What the board starts with: open and acknowledged alerts, and those resolved since `since`. */
  current(since: number): KitchenAlertMsg[] {
    const rows = this.db
      .prepare(`SELECT * FROM kitchen_alerts WHERE state <> 'resolved' OR resolved_at >= ? ORDER BY opened_at DESC, rowid DESC LIMIT 500`)
      .all(since) as Row[];
    return rows.map(toMsg);
  }

  /** Severities with an alert that is open and not yet acknowledged. */
  unacknowledgedSeverities(): Set<KitchenAlertSeverity> {
    const rows = this.db.prepare(`SELECT DISTINCT severity FROM kitchen_alerts WHERE state = 'open'`).all() as { severity: KitchenAlertSeverity }[];
    return new Set(rows.map((r) => r.severity));
  }

  acknowledge(id: string, by: string, note?: string): KitchenAlertMsg {
    const a = this.mustGet(id);
    if (a.state !== 'open') throw new AlertError(409, `alert ${id} is ${a.state}; only an open alert can be acknowledged`);
    const msg = this.db.transaction(() => {
      this.db.prepare(`UPDATE kitchen_alerts SET state = 'acknowledged', acked_at = ?, acked_by = ?, ack_note = ? WHERE id = ? AND state = 'open'`).run(this.now(), by, note ?? null, id);
      const m = this.get(id)!;
      this.enqueue(m, 'acknowledged');
      return m;
    }).immediate();
    this.bus.emit('alert:update', msg);
    return msg;
  }

  resolve(id: string, by: string, note: string): KitchenAlertMsg {
    const a = this.mustGet(id);
    if (a.state === 'resolved') throw new AlertError(409, `alert ${id} is already resolved`);
    const msg = this.db.transaction(() => {
      this.db.prepare(`UPDATE kitchen_alerts SET state = 'resolved', resolved_at = ?, resolved_by = ?, note = ? WHERE id = ? AND state <> 'resolved'`).run(this.now(), by, note, id);
      const m = this.get(id)!;
      this.enqueue(m, 'resolved');
      return m;
    }).immediate();
    this.bus.emit('alert:update', msg);
    return msg;
  }

  /** Resolves the open (or acknowledged) alert raised with this dedupe key, if any: a record that closes its own reminder. */
  resolveByKey: ResolveAlertByKeyFn = (dedupeKey, by, note) => {
    const row = this.db.prepare(`SELECT id FROM kitchen_alerts WHERE dedupe_key = ? AND state <> 'resolved'`).get(dedupeKey) as { id: string } | undefined;
    return row ? this.resolve(row.id, by, note) : null;
  };

  /** Snapshot file of an alert: path on disk, or undefined when it has none. */
  snapshotFile(id: string, which: 'snapshot' | 'clean'): string | undefined {
    const row = this.db.prepare(`SELECT snapshot, clean FROM kitchen_alerts WHERE id = ?`).get(id) as Pick<Row, 'snapshot' | 'clean'> | undefined;
    if (!row) throw new AlertError(404, `no alert ${id}`);
    const name = row[which];
    return name ? path.join(this.snapshotDir, name) : undefined;
  }

  /**
   * Deletes resolved alerts (rows and snapshot files) opened before their type's
   * retention; open and acknowledged alerts stay whatever their age. Returns how many.
   */
  purge(retentionDays: (type: string) => number): number {
    const now = this.now();
    const rows = this.db.prepare(`SELECT id, type, opened_at, snapshot, clean FROM kitchen_alerts WHERE state = 'resolved'`).all() as Row[];
    const expired = rows.filter((r) => r.opened_at < now - retentionDays(r.type) * 86_400_000);
    const del = this.db.prepare('DELETE FROM kitchen_alerts WHERE id = ?');
    this.db.transaction(() => expired.forEach((r) => del.run(r.id))).immediate();
    for (const r of expired) for (const f of [r.snapshot, r.clean]) if (f) rmSync(path.join(this.snapshotDir, f), { force: true });
    return expired.length;
  }

  private mustGet(id: string): KitchenAlertMsg {
    const a = this.get(id);
    if (!a) throw new AlertError(404, `no alert ${id}`);
    return a;
  }

  /**
   * The alert's outbox record, called inside the transaction that writes the alert:
   * the outbox's put joins it, so the two commit together (issue 12). Never dropped:
   * the outbox keeps alerts whatever the budget; a failure to write is logged loudly.
   */
  private enqueue(msg: KitchenAlertMsg, change: 'opened' | 'acknowledged' | 'resolved', annotated?: Buffer): void {
    const { snapshotUrl: _s, cleanUrl: _c, ...record } = msg;
    const payload: Record<string, unknown> = { kind: 'kitchen-alert', change, ...record, hasSnapshot: msg.snapshotUrl !== null };
    if (annotated) payload.snapshotJpegBase64 = annotated.toString('base64');
    this.put(payload, `kitchen-alert:${msg.id}:${change}`).catch(this.onPutError);
  }

}

function toMsg(r: Row): KitchenAlertMsg {
  const url = (which: string) => `/api/kitchen/alerts/${r.id}/${which}.jpg`;
  return {
    id: r.id,
    type: r.type,
    severity: r.severity,
    state: r.state,
    message: r.message,
    camera: r.camera,
    zone: r.zone,
    rule: r.rule,
    openedAt: r.opened_at,
    ackedAt: r.acked_at,
    ackedBy: r.acked_by,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    note: r.note ?? r.ack_note,
    snapshotUrl: r.snapshot ? url('snapshot') : null,
    cleanUrl: r.clean ? url('clean') : null,
    details: r.details ? (JSON.parse(r.details) as Record<string, string | number>) : null,
  };
}
