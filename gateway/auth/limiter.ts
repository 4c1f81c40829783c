// Failed sign-ins (and pairing attempts) per client address and per username, in a
// sliding window. A client over the limit is answered 429 without the password
// being checked, until its oldest failure in the window has aged out. A success
// does not wipe a client's failures (one valid account must not reset guessing at
// others); it does clear that username's. Bounded memory: the oldest keys go first.
export interface LimiterOptions {
  maxFailures: number;
  windowMs: number;
  /** a username is locked after this many failures from anywhere (distributed guessing) */
  maxFailuresPerUser: number;
  maxKeys?: number;
}

export class FailureLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly opts: LimiterOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** 0 when allowed, otherwise the milliseconds until the next attempt is. */
  retryAfter(client: string, username?: string): number {
    return Math.max(this.wait(`c:${client}`, this.opts.maxFailures), username ? this.wait(`u:${username}`, this.opts.maxFailuresPerUser) : 0);
  }

  fail(client: string, username?: string): void {
    this.push(`c:${client}`);
    if (username) this.push(`u:${username}`);
  }

  succeeded(username: string): void {
    this.failures.delete(`u:${username}`);
  }

  private wait(key: string, max: number): number {
    const list = this.recent(key);
    if (list.length < max) return 0;
    return Math.max(1, list[list.length - max]! + this.opts.windowMs - this.now());
  }

  private recent(key: string): number[] {
    const since = this.now() - this.opts.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  private push(key: string): void {
    const list = this.recent(key);
    list.push(this.now());
    // keep no more than needed to decide
    if (list.length > Math.max(this.opts.maxFailures, this.opts.maxFailuresPerUser)) list.shift();
    this.failures.delete(key);
    this.failures.set(key, list);
    const max = this.opts.maxKeys ?? 10_000;
    while (this.failures.size > max) this.failures.delete(this.failures.keys().next().value!);
  }
}
