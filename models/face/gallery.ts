// 1:N identification in memory: every enrolled template is a row of one Float32Array
// matrix (unit-length, so cosine similarity is a dot product), searched exhaustively —
// exact, no index, ≈ 1 ms per 10 000 templates of 128 values (bench/face).
//
// A person may have several templates; a person scores the best of theirs. A decision
// needs the best person at or above the threshold AND ahead of the second-best person by
// at least the margin: a near-tie between two people is refused, never guessed (a false
// match charges the wrong person, DOMAIN.md). Templates are biometric data: this class
// keeps them in memory only; storing them (encrypted, deletable) is the caller's job.

export interface FaceGalleryOptions {
  /** embedding length (default 128, MobileFaceNet) */
  dim?: number;
  /** cosine similarity a match must reach (default DEFAULT_MATCH_THRESHOLD) */
  threshold?: number;
  /** lead over the second-best person a match must have (default DEFAULT_MIN_MARGIN) */
  minMargin?: number;
  /** templates kept per person; adding more drops the oldest (default 10) */
  maxPerPerson?: number;
}

/**
 * MobileFaceNet cosine threshold — NOT a calibrated false-accept rate. On the shared
 * photos (bench/face/thresholds.ts; models/face/README.md "Match threshold"): 65 impostor
 * pairs, max 0.418, mean 0.040, sd 0.101; the one genuine pair 0.777. 0.55 is above every
 * impostor seen, and above the Gaussian extrapolation of those 65 pairs for a 1:N search
 * over 1 000 people at 1e-3 false accepts per search (0.520). A deployment sets its own
 * with `thresholdForFar` on its enrolment photos (`canteen-edge face calibrate --people`).
 */
export const DEFAULT_MATCH_THRESHOLD = 0.55;
/**
 * Lead over the second-best person: one impostor standard deviation (0.101 on the shared
 * photos), rounded — a smaller lead is no evidence of who it is. See models/face/README.md.
 */
export const DEFAULT_MIN_MARGIN = 0.1;

export interface FaceCandidate {
  personId: string;
  similarity: number;
}

export type NoMatchReason = 'empty-gallery' | 'below-threshold' | 'ambiguous';

export interface FaceMatch {
  /** the decision: true only when both rules hold */
  matched: boolean;
  /** the matched person; null when there is no match */
  personId: string | null;
  /** the best person, whatever the decision (for logs; never to charge) */
  candidate: string | null;
  /** the best person's cosine similarity (−1 for an empty gallery) */
  similarity: number;
  /** the best other person */
  secondBest: FaceCandidate | null;
  /** similarity − secondBest.similarity; null with only one person enrolled */
  margin: number | null;
  threshold: number;
  minMargin: number;
  reason?: NoMatchReason;
  /** why not, in words */
  message?: string;
}

function unit(e: ArrayLike<number>, dim: number, what: string): Float32Array {
  if (e.length !== dim) throw new Error(`${what}: embedding of ${e.length} values, expected ${dim}`);
  let s = 0;
  for (let i = 0; i < dim; i++) {
    const v = e[i]!;
    if (!Number.isFinite(v)) throw new Error(`${what}: embedding value ${i} is not finite`);
    s += v * v;
  }
  if (!(s > 0)) throw new Error(`${what}: zero embedding`);
  const k = 1 / Math.sqrt(s);
  const out = new Float32Array(dim);
  for (let i = 0; i < dim; i++) out[i] = e[i]! * k;
  return out;
}

export class FaceGallery {
  readonly dim: number;
  readonly threshold: number;
  readonly minMargin: number;
  readonly maxPerPerson: number;
  /** rows × dim, row-major; capacity grows by doubling */
  private matrix: Float32Array;
  private rows = 0;
  /** row → person slot */
  private owner: Int32Array;
  private readonly slotOf = new Map<string, number>();
  private personOfSlot: string[] = [];

  constructor(opts: FaceGalleryOptions = {}) {
    this.dim = opts.dim ?? 128;
    this.threshold = opts.threshold ?? DEFAULT_MATCH_THRESHOLD;
    this.minMargin = opts.minMargin ?? DEFAULT_MIN_MARGIN;
    this.maxPerPerson = opts.maxPerPerson ?? 10;
    if (!(this.threshold > -1 && this.threshold <= 1)) throw new Error(`face match threshold ${this.threshold}: expected −1 < t ≤ 1`);
    if (!(this.minMargin >= 0)) throw new Error(`face match margin ${this.minMargin}: expected ≥ 0`);
    this.matrix = new Float32Array(64 * this.dim);
    this.owner = new Int32Array(64);
  }

  /** Templates in the gallery. */
  get size(): number {
    return this.rows;
  }

  people(): { personId: string; templates: number }[] {
    const count = new Map<number, number>();
    for (let r = 0; r < this.rows; r++) count.set(this.owner[r]!, (count.get(this.owner[r]!) ?? 0) + 1);
    return [...this.slotOf].map(([personId, slot]) => ({ personId, templates: count.get(slot) ?? 0 }));
  }

  has(personId: string): boolean {
    return this.slotOf.has(personId);
  }

  /** Adds templates of a person (L2-normalised copies); beyond maxPerPerson the oldest go. */
  add(personId: string, ...embeddings: ArrayLike<number>[]): number {
    if (typeof personId !== 'string' || !personId) throw new Error('person id: a non-empty string expected');
    if (!embeddings.length) throw new Error(`add ${personId}: no embeddings`);
    const units = embeddings.map((e) => unit(e, this.dim, `add ${personId}`));
    let slot = this.slotOf.get(personId);
    if (slot === undefined) {
      slot = this.personOfSlot.length;
      this.personOfSlot.push(personId);
      this.slotOf.set(personId, slot);
    }
    this.ensure(this.rows + units.length);
    for (const u of units) {
      this.matrix.set(u, this.rows * this.dim);
      this.owner[this.rows++] = slot;
    }
    let mine = 0;
    for (let r = 0; r < this.rows; r++) if (this.owner[r] === slot) mine++;
    if (mine > this.maxPerPerson) this.dropOldest(slot, mine - this.maxPerPerson);
    return Math.min(mine, this.maxPerPerson);
  }

  /** Forgets a person (withdrawal of consent, left the institution). */
  remove(personId: string): boolean {
    const slot = this.slotOf.get(personId);
    if (slot === undefined) return false;
    this.compact((r) => this.owner[r] !== slot);
    this.slotOf.delete(personId);
    // renumber the slots so they stay dense
    const keep = this.personOfSlot.filter((p) => p !== personId);
    const remap = new Map(keep.map((p, i) => [this.slotOf.get(p)!, i]));
    for (let r = 0; r < this.rows; r++) this.owner[r] = remap.get(this.owner[r]!)!;
    this.personOfSlot = keep;
    keep.forEach((p, i) => this.slotOf.set(p, i));
    return true;
  }

  clear(): void {
    this.rows = 0;
    this.slotOf.clear();
    this.personOfSlot = [];
  }

  /** Every template with its person (copies), e.g. to store them encrypted. */
  *templates(): Generator<{ personId: string; embedding: Float32Array }> {
    for (let r = 0; r < this.rows; r++) yield { personId: this.personOfSlot[this.owner[r]!]!, embedding: this.matrix.slice(r * this.dim, (r + 1) * this.dim) };
  }

  /** The best two people for an embedding. */
  private bestTwo(q: Float32Array): { s1: number; p1: number; s2: number; p2: number } {
    const d = this.dim;
    const m = this.matrix;
    const owner = this.owner;
    let s1 = -Infinity, p1 = -1, s2 = -Infinity, p2 = -1;
    for (let r = 0, off = 0; r < this.rows; r++, off += d) {
      let a = 0, b = 0, c = 0, e = 0;
      let i = 0;
      for (; i + 3 < d; i += 4) {
        a += q[i]! * m[off + i]!;
        b += q[i + 1]! * m[off + i + 1]!;
        c += q[i + 2]! * m[off + i + 2]!;
        e += q[i + 3]! * m[off + i + 3]!;
      }
      for (; i < d; i++) a += q[i]! * m[off + i]!;
      const s = a + b + c + e;
      const p = owner[r]!;
      if (p === p1) {
        if (s > s1) s1 = s;
      } else if (s > s1) {
        s2 = s1; p2 = p1;
        s1 = s; p1 = p;
      } else if (s > s2) {
        s2 = s; p2 = p;
      }
    }
    return { s1, p1, s2, p2 };
  }

  /** The best `topK` people with their best template's similarity, best first. */
  search(embedding: ArrayLike<number>, topK = 5): FaceCandidate[] {
    const q = unit(embedding, this.dim, 'search');
    const best = new Float64Array(this.personOfSlot.length).fill(-Infinity);
    for (let r = 0; r < this.rows; r++) {
      let s = 0;
      const off = r * this.dim;
      for (let i = 0; i < this.dim; i++) s += q[i]! * this.matrix[off + i]!;
      const p = this.owner[r]!;
      if (s > best[p]!) best[p] = s;
    }
    return [...best]
      .map((similarity, slot) => ({ personId: this.personOfSlot[slot]!, similarity }))
      .filter((c) => c.similarity > -Infinity)
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, topK);
  }

  /** The 1:N decision for an embedding: see FaceMatch. */
  match(embedding: ArrayLike<number>, opts: { threshold?: number; minMargin?: number } = {}): FaceMatch {
    const threshold = opts.threshold ?? this.threshold;
    const minMargin = opts.minMargin ?? this.minMargin;
    const q = unit(embedding, this.dim, 'match');
    const base = { threshold, minMargin };
    if (this.rows === 0) {
      return { matched: false, personId: null, candidate: null, similarity: -1, secondBest: null, margin: null, ...base, reason: 'empty-gallery', message: 'no one is enrolled' };
    }
    const { s1, p1, s2, p2 } = this.bestTwo(q);
    const candidate = this.personOfSlot[p1]!;
    const secondBest = p2 >= 0 ? { personId: this.personOfSlot[p2]!, similarity: s2 } : null;
    const margin = secondBest ? s1 - s2 : null;
    const res = { candidate, similarity: s1, secondBest, margin, ...base };
    if (s1 < threshold) {
      return { matched: false, personId: null, ...res, reason: 'below-threshold', message: `best similarity ${s1.toFixed(3)} < threshold ${threshold}` };
    }
    if (margin !== null && margin < minMargin) {
      return {
        matched: false,
        personId: null,
        ...res,
        reason: 'ambiguous',
        message: `${candidate} ${s1.toFixed(3)} and ${secondBest!.personId} ${s2.toFixed(3)} are within ${margin.toFixed(3)} < margin ${minMargin}`,
      };
    }
    return { matched: true, personId: candidate, ...res };
  }

  private ensure(rows: number): void {
    if (rows * this.dim <= this.matrix.length) return;
    let cap = this.matrix.length / this.dim;
    while (cap < rows) cap *= 2;
    const m = new Float32Array(cap * this.dim);
    m.set(this.matrix.subarray(0, this.rows * this.dim));
    this.matrix = m;
    const o = new Int32Array(cap);
    o.set(this.owner.subarray(0, this.rows));
    this.owner = o;
  }

  private dropOldest(slot: number, n: number): void {
    let left = n;
    this.compact((r) => {
      if (left > 0 && this.owner[r] === slot) {
        left--;
        return false;
      }
      return true;
    });
  }

  private compact(keep: (row: number) => boolean): void {
    let w = 0;
    for (let r = 0; r < this.rows; r++) {
      if (!keep(r)) continue;
      if (w !== r) {
        this.matrix.copyWithin(w * this.dim, r * this.dim, (r + 1) * this.dim);
        this.owner[w] = this.owner[r]!;
      }
      w++;
    }
    this.rows = w;
  }
}
