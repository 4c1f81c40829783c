// What the provincial-service simulator received, per stream: every record
// counted, duplicates recognised by id, order and gaps checked by sequence.

export interface StreamReport {
  received: number;
  unique: number;
  duplicates: number;
  /** unique records that arrived after a higher sequence number of the same stream */
  outOfOrder: number;
  maxSeq: number;
  /** sequence numbers up to maxSeq never received */
  gaps: number;
  rejected: number;
}

export interface ReceivedRecord {
  id: string;
  seq: number;
  at: number;
  payload: unknown;
}

export class Ledger {
  private readonly streams = new Map<string, StreamReport & { ids: Set<string>; seqs: Set<number> }>();
  /** the most recent unique records per stream, for inspection in tests */
  readonly recent = new Map<string, ReceivedRecord[]>();

  constructor(private readonly keepRecent = 1000) {}

  take(stream: string, records: ReceivedRecord[], via: string, rejected: Set<string> = new Set()): void {
    let s = this.streams.get(stream);
    if (!s) {
      s = { received: 0, unique: 0, duplicates: 0, outOfOrder: 0, maxSeq: 0, gaps: 0, rejected: 0, ids: new Set(), seqs: new Set() };
      this.streams.set(stream, s);
    }
    for (const r of records) {
      s.received += 1;
      if (rejected.has(r.id)) {
        s.rejected += 1;
        continue;
      }
      if (s.ids.has(r.id)) {
        s.duplicates += 1;
        continue;
      }
      s.ids.add(r.id);
      s.seqs.add(r.seq);
      s.unique += 1;
      if (r.seq < s.maxSeq) s.outOfOrder += 1;
      s.maxSeq = Math.max(s.maxSeq, r.seq);
      let recent = this.recent.get(stream);
      if (!recent) this.recent.set(stream, (recent = []));
      recent.push({ ...r, via } as ReceivedRecord);
      if (recent.length > this.keepRecent) recent.shift();
    }
  }

  report(): Record<string, StreamReport> {
    return Object.fromEntries(
      [...this.streams].map(([name, { ids: _ids, seqs, ...r }]) => [name, { ...r, gaps: r.maxSeq - seqs.size }]),
    );
  }

  /** Ids of the unique records of a stream, in arrival order. */
  ids(stream: string): string[] {
    return [...(this.streams.get(stream)?.ids ?? [])];
  }

  reset(): void {
    this.streams.clear();
    this.recent.clear();
  }
}
