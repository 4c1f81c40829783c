// The durable outbox. A producer's append resolves only once its record is on
// disk: appends arriving in the same tick are committed together in one
// transaction (group commit; the database runs WAL with synchronous = FULL, so
// a commit has been fsynced when it returns — NORMAL would survive a crash of
// the process but not a power cut). Uplinks read in order after their cursor,
// and a record is deleted only when every uplink that takes its stream has it
// acknowledged and the backfill window has passed, or the disk budget needs room.
import { EventEmitter } from 'node:events';
import type { Db } from '../store/sqlite.ts';
import { STREAM_NAMES, type Stream } from '../wire/streams.ts';
import { STREAMS, type DataClass } from './streams.ts';

export interface OutboxRecord {
  stream: Stream;
  seq: number;
  id: string;
  at: number;
  payload: unknown;
}

export interface StoredRecord {
  stream: Stream;
  seq: number;
  id: string;
  at: number;
  /** the payload as stored, JSON */
  json: string;
}

/** An append the outbox would not take: nothing was stored, the producer knows. */
export class OutboxRefused extends Error {
  constructor(
    readonly stream: Stream,
    readonly reason: string,
  ) {
    super(`outbox refused a ${stream} record: ${reason}`);
  }
}

export interface AppendOptions {
  /** a natural key (e.g. "main-meter:15m:1795658400000"): appending the same key again returns the record already held */
  key?: string;
  at?: number;
}

interface Pending {
  stream: Stream;
  json: string;
  key?: string;
  at: number;
  resolve: (r: OutboxRecord) => void;
  reject: (e: Error) => void;
  payload: unknown;
}

export interface OutboxEvents {
  /** records were committed */
  appended: [stream: Stream];
  dropped: [stream: Stream, reason: string, count: number];
}

export class Outbox extends EventEmitter<OutboxEvents> {
  private queue: Pending[] = [];
  private flushScheduled = false;
  /** data classes currently refused, with the reason (set by the disk budget) */
  readonly refusing = new Map<DataClass, string>();
  private readonly st;

  constructor(
    private readonly db: Db,
    private readonly boxId: string,
  ) {
    super();
    const insertStream = db.prepare('INSERT OR IGNORE INTO outbox_streams (stream, next_seq) VALUES (?, 1)');
    for (const s of STREAM_NAMES) insertStream.run(s);
    this.st = {
      nextSeq: db.prepare('SELECT next_seq FROM outbox_streams WHERE stream = ?').pluck(),
      insert: db.prepare('INSERT INTO outbox_records (stream, seq, id, at, payload) VALUES (?, ?, ?, ?, ?)'),
      byId: db.prepare('SELECT stream, seq, id, at, payload AS json FROM outbox_records WHERE id = ?'),
      bump: db.prepare('UPDATE outbox_streams SET next_seq = ?, bytes = bytes + ?, records = records + ? WHERE stream = ?'),
      batch: db.prepare('SELECT stream, seq, id, at, payload AS json FROM outbox_records WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?'),
      range: db.prepare('SELECT stream, seq, id, at, payload AS json FROM outbox_records WHERE stream = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?'),
      cursor: db.prepare('SELECT delivered_seq FROM outbox_cursors WHERE uplink = ? AND stream = ?').pluck(),
      setCursor: db.prepare(
        'INSERT INTO outbox_cursors (uplink, stream, delivered_seq) VALUES (?, ?, ?) ON CONFLICT (uplink, stream) DO UPDATE SET delivered_seq = max(delivered_seq, excluded.delivered_seq)',
      ),
      deadLetter: db.prepare('INSERT INTO outbox_dead_letters (uplink, stream, seq, record_id, at, reason, payload) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      thinned: db.prepare('SELECT from_seq, to_seq, removed FROM outbox_thinned WHERE stream = ? AND to_seq > ?'),
      addThinned: db.prepare('INSERT INTO outbox_thinned (stream, from_seq, to_seq, removed) VALUES (?, ?, ?, ?)'),
      held: db.prepare('SELECT stream, next_seq AS nextSeq, bytes, records FROM outbox_streams'),
      countDrop: db.prepare(
        'INSERT INTO outbox_drops (stream, reason, count) VALUES (?, ?, ?) ON CONFLICT (stream, reason) DO UPDATE SET count = count + excluded.count',
      ),
    };
  }

  /** Stores a record durably; resolves with its id and sequence number once committed. */
  append(stream: Stream, payload: unknown, opts: AppendOptions = {}): Promise<OutboxRecord> {
    const refused = this.refusing.get(STREAMS[stream]);
    if (refused) {
      try {
        this.countDrop(stream, 'refused', 1);
      } catch {
        this.emit('dropped', stream, 'refused', 1); // a full disk: counted in the metric, not on disk
      }
      return Promise.reject(new OutboxRefused(stream, refused));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, payload, json: JSON.stringify(payload), key: opts.key, at: opts.at ?? Date.now(), resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.commit());
      }
    });
  }

  /**
   * Stores a record now, inside the caller's SQLite transaction when there is one
   * (better-sqlite3 nests it as a savepoint): the caller's own row and its outbox
   * entry commit together or not at all, so a crash between the two cannot leave a
   * committed record that never goes upstream. Throws the write's error, so that the
   * caller's transaction rolls back.
   *
   * Never refused by the disk budget: the caller writes its own row (a morning check,
   * a food sample) in the same transaction whatever the budget says, so refusing the
   * outbox copy frees nothing — it only left a committed, answered record outside the
   * outbox, invisible to the backlog, until a later hand-over (issue 12, fault-harness
   * seed 554855: 33 committed morning checks not upstream after the outbox "drained").
   */
  appendNow(stream: Stream, payload: unknown, opts: AppendOptions = {}): OutboxRecord {
    const json = JSON.stringify(payload);
    const at = opts.at ?? Date.now();
    const record = this.db.transaction((): OutboxRecord => {
      const id = opts.key ? `${this.boxId}:${stream}:${opts.key}` : undefined;
      const existing = id ? (this.st.byId.get(id) as StoredRecord | undefined) : undefined;
      if (existing) return { ...existing, payload: JSON.parse(existing.json) };
      const seq = this.st.nextSeq.get(stream) as number;
      const recordId = id ?? `${this.boxId}:${stream}:${seq}`;
      this.st.insert.run(stream, seq, recordId, at, json);
      this.st.bump.run(seq + 1, json.length, 1, stream);
      return { stream, seq, id: recordId, at, payload };
    }).immediate();
    // after the caller's commit (this runs to completion first); a rolled-back record is simply not found
    setImmediate(() => this.emit('appended', stream));
    return record;
  }

  /** Commits everything queued so far in one transaction. */
  commit(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (!batch.length) return;
    const done: [Pending, OutboxRecord][] = [];
    try {
      this.db.transaction(() => {
        const next = new Map<Stream, { seq: number; bytes: number; records: number }>();
        for (const p of batch) {
          const id = p.key ? `${this.boxId}:${p.stream}:${p.key}` : undefined;
          const existing = id ? (this.st.byId.get(id) as StoredRecord | undefined) : undefined;
          if (existing) {
            done.push([p, { ...existing, payload: JSON.parse(existing.json) }]);
            continue;
          }
          let n = next.get(p.stream);
          if (!n) next.set(p.stream, (n = { seq: this.st.nextSeq.get(p.stream) as number, bytes: 0, records: 0 }));
          const seq = n.seq++;
          const recordId = id ?? `${this.boxId}:${p.stream}:${seq}`;
          this.st.insert.run(p.stream, seq, recordId, p.at, p.json);
          n.bytes += p.json.length;
          n.records += 1;
          done.push([p, { stream: p.stream, seq, id: recordId, at: p.at, payload: p.payload }]);
        }
        for (const [stream, n] of next) this.st.bump.run(n.seq, n.bytes, n.records, stream);
      }).immediate();
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
      return;
    }
    for (const [p, r] of done) p.resolve(r);
    for (const s of new Set(batch.map((p) => p.stream))) this.emit('appended', s);
  }

  /** The next records of `stream` after what `uplink` has acknowledged, in order. */
  nextBatch(uplink: string, stream: Stream, limit: number): StoredRecord[] {
    return this.st.batch.all(stream, this.cursor(uplink, stream), limit) as StoredRecord[];
  }

  /** Records still held in a sequence range, for a receiver's backfill request. */
  range(stream: Stream, fromSeq: number, toSeq: number, limit: number): StoredRecord[] {
    return this.st.range.all(stream, fromSeq, toSeq, limit) as StoredRecord[];
  }

  cursor(uplink: string, stream: Stream): number {
    return (this.st.cursor.get(uplink, stream) as number | undefined) ?? 0;
  }

  /**
   * Marks records up to `seq` delivered to `uplink`; `rejected` records go to the
   * dead-letter table with their reason. One transaction: nothing is marked
   * without its dead letters, so no record can be skipped silently.
   */
  acknowledge(uplink: string, stream: Stream, seq: number, rejected: { record: StoredRecord; reason: string }[] = []): void {
    this.db.transaction(() => {
      for (const { record, reason } of rejected) {
        this.st.deadLetter.run(uplink, stream, record.seq, record.id, Date.now(), reason, record.json);
      }
      this.st.setCursor.run(uplink, stream, seq);
    }).immediate();
  }

  /**
   * Records of `stream` not yet acknowledged by `uplink`: the sequence numbers after
   * its cursor, less those the disk budget thinned (read from disk, never a scan of
   * the records: a COUNT(*) takes seconds at ten million). While the cursor is inside
   * a thinned stretch, that stretch counts in proportion.
   */
  backlog(uplink: string, stream: Stream): number {
    const cursor = this.cursor(uplink, stream);
    const next = this.st.nextSeq.get(stream) as number;
    let thinned = 0;
    for (const t of this.st.thinned.all(stream, cursor) as { from_seq: number; to_seq: number; removed: number }[]) {
      thinned += t.from_seq >= cursor ? t.removed : (t.removed * (t.to_seq - cursor)) / (t.to_seq - t.from_seq);
    }
    return Math.max(0, Math.round(next - 1 - cursor - thinned));
  }

  /** Records the disk budget deleted from a stretch of unsent ones: remembered for backlog(). */
  recordThinning(stream: Stream, fromSeq: number, toSeq: number, removed: number): void {
    if (removed > 0) this.st.addThinned.run(stream, fromSeq, toSeq, removed);
  }

  held(): { stream: Stream; nextSeq: number; bytes: number; records: number }[] {
    return this.st.held.all() as { stream: Stream; nextSeq: number; bytes: number; records: number }[];
  }

  deadLetters(limit = 100): { uplink: string; stream: string; seq: number; record_id: string; at: number; reason: string }[] {
    return this.db.prepare('SELECT uplink, stream, seq, record_id, at, reason FROM outbox_dead_letters ORDER BY id DESC LIMIT ?').all(limit) as never;
  }

  deadLetterCount(): number {
    return this.db.prepare('SELECT COUNT(*) FROM outbox_dead_letters').pluck().get() as number;
  }

  /** Counts dropped records on disk (reported upstream later); `announce: false` when the metric already has them. */
  countDrop(stream: Stream, reason: string, count: number, announce = true): void {
    if (count <= 0) return;
    this.st.countDrop.run(stream, reason, count);
    if (announce) this.emit('dropped', stream, reason, count);
  }

  drops(): { stream: Stream; reason: string; count: number; reported: number }[] {
    return this.db.prepare('SELECT stream, reason, count, reported FROM outbox_drops ORDER BY stream, reason').all() as never;
  }

  /**
   * Drops not yet reported upstream become one `events` record (appended here),
   * so the receiver learns what it will never get.
   */
  async reportDrops(): Promise<void> {
    const unreported = this.drops().filter((d) => d.count > d.reported);
    if (!unreported.length) return;
    await this.append('events', {
      type: 'outbox-drops',
      drops: unreported.map((d) => ({ stream: d.stream, reason: d.reason, count: d.count - d.reported, total: d.count })),
    });
    const mark = this.db.prepare('UPDATE outbox_drops SET reported = ? WHERE stream = ? AND reason = ?');
    this.db.transaction(() => unreported.forEach((d) => mark.run(d.count, d.stream, d.reason))).immediate();
  }

  /** Deletes records every listed uplink has acknowledged and that are older than `before`. */
  pruneDelivered(uplinksByStream: Map<Stream, string[]>, before: number): number {
    let removed = 0;
    for (const [stream, uplinks] of uplinksByStream) {
      const upto = uplinks.length ? Math.min(...uplinks.map((u) => this.cursor(u, stream))) : Number.MAX_SAFE_INTEGER;
      removed += this.deleteWhere(stream, 'seq <= ? AND at < ?', [upto, before]);
      this.db.prepare('DELETE FROM outbox_thinned WHERE stream = ? AND to_seq <= ?').run(stream, upto);
    }
    return removed;
  }

  /** Deletes held records of a stream matching `where` and keeps the per-stream totals right. */
  deleteWhere(stream: Stream, where: string, params: unknown[]): number {
    return this.db.transaction(() => {
      const gone = this.db
        .prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(length(payload)), 0) AS bytes FROM outbox_records WHERE stream = ? AND ${where}`)
        .get(stream, ...params) as { n: number; bytes: number };
      if (!gone.n) return 0;
      this.db.prepare(`DELETE FROM outbox_records WHERE stream = ? AND ${where}`).run(stream, ...params);
      this.db.prepare('UPDATE outbox_streams SET bytes = bytes - ?, records = records - ? WHERE stream = ?').run(gone.bytes, gone.n, stream);
      return gone.n;
    }).immediate();
  }

  /** Commits what is queued; called on shutdown. */
  close(): void {
    this.commit();
  }
}
