// Whether the data directory's disk still takes writes, told honestly.
//   low  — less free than outbox.min_free_disk_mb: an alarm; the outbox makes room
//          (acknowledged records, then instantaneous samples thinned, then refused:
//          gateway/outbox/budget.ts) while writes still succeed;
//   full — a write failed for want of space (ENOSPC, EDQUOT, SQLITE_FULL): /readyz
//          answers 503, state-changing requests 507, until a probe write of
//          RESUME_FREE_BYTES succeeds again (checked every few seconds and on /readyz).
import { EventEmitter } from 'node:events';
import { closeSync, fsyncSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import path from 'node:path';

export type DiskState = 'ok' | 'low' | 'full';

const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
/** Writes resume once this much can be written and synced again (a WAL checkpoint's worth). */
export const RESUME_FREE_BYTES = 1024 * 1024;
const PROBE_FILE = '.disk-probe';
const MB = 1024 * 1024;

/** What a person reads when a write was refused for want of space (a diner at a kiosk too): Chinese first. */
export const DISK_FULL_MESSAGE = '存储空间已满，本次操作未保存，请稍后重试或联系工作人员。Storage full: nothing was saved; try again later or ask the staff.';

/** A write that failed because the disk (or the quota) is full. */
export function isDiskFull(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (typeof e.code === 'string' && DISK_FULL_CODES.has(e.code)) return true;
  }
  return false;
}

export interface DiskGuardOptions {
  /** below this many free bytes the disk is low */
  lowFreeBytes: number;
  checkMs?: number;
  /** the data directory's free bytes (statfs by default) */
  freeBytes?: () => number;
}

export class DiskGuard extends EventEmitter<{ change: [state: DiskState, previous: DiskState] }> {
  private current: DiskState = 'ok';
  private fullSince: number | null = null;
  private lastFailure: string | null = null;
  private free = Number.POSITIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private readonly freeBytesOf: () => number;

  constructor(
    readonly dataDir: string,
    private readonly opts: DiskGuardOptions,
  ) {
    super();
    this.freeBytesOf =
      opts.freeBytes ??
      (() => {
        const s = statfsSync(dataDir);
        return s.bavail * s.bsize;
      });
  }

  get state(): DiskState {
    return this.current;
  }

  /** Free bytes on the data directory's filesystem at the last check. */
  get freeBytes(): number {
    return this.free;
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), this.opts.checkMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Call with any write error: true (and the disk is full from now) when it failed for want of space. */
  failed(err: unknown): boolean {
    if (!isDiskFull(err)) return false;
    this.lastFailure = (err as { code: string }).code;
    this.fullSince ??= Date.now();
    this.set('full');
    return true;
  }

  /** Reads the free space; while full, tries a probe write to see whether writes work again. */
  check(): DiskState {
    try {
      this.free = this.freeBytesOf();
    } catch {
      // the filesystem went away: the next write will tell
    }
    if (this.current === 'full' && !this.probe()) return this.current;
    this.fullSince = null;
    this.set(this.free < this.opts.lowFreeBytes ? 'low' : 'ok');
    return this.current;
  }

  /** /readyz reasons: the box cannot keep what it is given. */
  notReady(): string[] {
    return this.current === 'full' ? [`disk full: writes to the data directory fail (${this.lastFailure}) since ${new Date(this.fullSince!).toISOString()}; 存储空间已满`] : [];
  }

  alarms(): string[] {
    const free = `${(this.free / MB).toFixed(1)} MB free`;
    if (this.current === 'full') return [`磁盘已满，写入失败，新记录无法保存 — disk full: writes fail, ${free}`];
    if (this.current === 'low') return [`磁盘空间不足 — disk low: ${free}, below ${(this.opts.lowFreeBytes / MB).toFixed(0)} MB (outbox.min_free_disk_mb); instantaneous readings are thinned first`];
    return [];
  }

  private probe(): boolean {
    if (this.free < RESUME_FREE_BYTES) return false;
    const file = path.join(this.dataDir, PROBE_FILE);
    try {
      const fd = openSync(file, 'w', 0o600);
      try {
        writeSync(fd, Buffer.alloc(RESUME_FREE_BYTES));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return true;
    } catch {
      return false;
    } finally {
      rmSync(file, { force: true });
    }
  }

  private set(state: DiskState): void {
    const previous = this.current;
    if (state === previous) return;
    this.current = state;
    this.emit('change', state, previous);
  }
}
