// The alert book on a real SQLite database (migration 008): lifecycle open → acknowledged →
// resolved with who/when/note, deduplication, every alert and change to the outbox stream
// `alerts`, retention per type (rows and snapshot files); and the GPIO outputs per severity
// with a pin factory injected at the pin layer — and, on this machine (no GPIO), the real
// `onoff` factory reported as degraded, not a crash.
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OutputPin, PinFactory } from '../drivers/scale/hx711.ts';
import { onoffPins } from '../drivers/scale/hx711.ts';
import { EventBus } from '../gateway/bus/event-bus.ts';
import { AlertBook, AlertError } from '../gateway/kitchen/alerts.ts';
import { gpioOutputSchema } from '../gateway/kitchen/config.ts';
import { AlertOutputs } from '../gateway/kitchen/outputs.ts';
import { createLogger } from '../gateway/log.ts';
import { openDatabase, type Db } from '../gateway/store/sqlite.ts';

let db: Db;
let dir: string;
let now: number;
let outbox: { payload: Record<string, unknown>; key: string }[];
let book: AlertBook;
let bus: EventBus;
const JPEG = (n: number) => Buffer.from([0xff, 0xd8, n, 0xff, 0xd9]);

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kitchen-alerts-'));
  db = openDatabase(dir);
  now = Date.parse('2026-11-26T02:00:00Z');
  outbox = [];
  bus = new EventBus((_event, err) => {
    throw err;
  });
  book = new AlertBook({
    db,
    dataDir: dir,
    bus,
    put: async (payload, key) => void outbox.push({ payload, key }),
    onPutError: (err) => {
      throw err;
    },
    now: () => now,
  });
});
afterEach(() => db.close());

describe('alert book', () => {
  it('open → acknowledged → resolved, with who, when and the note; each step to the outbox and the listeners', () => {
    const events: string[] = [];
    for (const e of ['alert:new', 'alert:update'] as const) bus.on(e, (a) => events.push(`${e}:${a.state}`));
    const a = book.raise({ type: 'phone', severity: 'warning', message: '切配区 使用手机', camera: 'line', zone: 'prep', rule: 'phone', snapshot: { annotated: JPEG(1), clean: JPEG(2) } })!;
    expect(a).toMatchObject({ state: 'open', openedAt: now, ackedAt: null, ackedBy: null, resolvedAt: null, note: null, snapshotUrl: `/api/kitchen/alerts/${a.id}/snapshot.jpg`, cleanUrl: `/api/kitchen/alerts/${a.id}/clean.jpg` });
    expect(existsSync(book.snapshotFile(a.id, 'snapshot')!)).toBe(true);
    now += 60_000;
    const acked = book.acknowledge(a.id, 'wang', '看到了');
    expect(acked).toMatchObject({ state: 'acknowledged', ackedAt: now, ackedBy: 'wang', note: '看到了' });
    expect(() => book.acknowledge(a.id, 'li')).toThrow(AlertError);
    now += 60_000;
    const resolved = book.resolve(a.id, 'li', '已提醒员工');
    expect(resolved).toMatchObject({ state: 'resolved', ackedBy: 'wang', resolvedAt: now, resolvedBy: 'li', note: '已提醒员工' });
    expect(() => book.resolve(a.id, 'li', 'again')).toThrow(/already resolved/);
    expect(() => book.resolve('00000000-0000-4000-8000-000000000000', 'li', 'x')).toThrow(/no alert/);
    expect(events).toEqual(['alert:new:open', 'alert:update:acknowledged', 'alert:update:resolved']);
    expect(outbox.map((o) => [o.key, o.payload.change, o.payload.state])).toEqual([
      [`kitchen-alert:${a.id}:opened`, 'opened', 'open'],
      [`kitchen-alert:${a.id}:acknowledged`, 'acknowledged', 'acknowledged'],
      [`kitchen-alert:${a.id}:resolved`, 'resolved', 'resolved'],
    ]);
    expect(outbox[0]!.payload.snapshotJpegBase64).toBe(JPEG(1).toString('base64'));
  });

  it('a dedupe key makes no second alert until the first is resolved; filters and the board list', () => {
    const raise = () => book.raise({ type: 'no_mask', severity: 'critical', message: 'no mask', camera: 'line', dedupeKey: 'camera:line:no-mask' });
    const first = raise()!;
    expect(raise()).toBeNull();
    book.acknowledge(first.id, 'wang');
    expect(raise()).toBeNull();
    book.resolve(first.id, 'wang', 'ok');
    const second = raise()!;
    expect(second.id).not.toBe(first.id);
    book.raise({ type: 'sample_missing', severity: 'info', message: '午餐缺留样' });
    expect(book.list({ camera: 'line' }).map((a) => a.id)).toEqual([second.id, first.id]);
    expect(book.list({ state: 'resolved' }).map((a) => a.id)).toEqual([first.id]);
    expect(book.list({ type: 'sample_missing' })).toHaveLength(1);
    expect(book.list({ limit: 1 })).toHaveLength(1);
    expect(book.current(now + 1).map((a) => a.type)).toEqual(['sample_missing', 'no_mask']);
    expect(book.unacknowledgedSeverities()).toEqual(new Set(['critical', 'info']));
  });

  it('retention: resolved alerts past their type\'s days go with their snapshots; open ones stay', () => {
    const old = book.raise({ type: 'phone', severity: 'warning', message: 'old', snapshot: { annotated: JPEG(1), clean: JPEG(2) } })!;
    const oldOpen = book.raise({ type: 'phone', severity: 'warning', message: 'old, still open' })!;
    const rodent = book.raise({ type: 'rodent', severity: 'critical', message: 'rat' })!;
    book.resolve(old.id, 'wang', 'done');
    book.resolve(rodent.id, 'wang', 'done');
    const files = [book.snapshotFile(old.id, 'snapshot')!, book.snapshotFile(old.id, 'clean')!];
    now += 31 * 86_400_000;
    const days = (type: string) => ({ phone: 30, rodent: 365 })[type] ?? 90;
    expect(book.purge(days)).toBe(1);
    expect(book.get(old.id)).toBeUndefined();
    expect(files.map(existsSync)).toEqual([false, false]);
    expect(book.get(oldOpen.id)?.state).toBe('open');
    expect(book.get(rodent.id)?.state).toBe('resolved');
  });
});

describe('GPIO outputs', () => {
  const fakePins = () => {
    const levels = new Map<number, (0 | 1)[]>();
    const factory: PinFactory = {
      description: 'fake',
      input: () => {
        throw new Error('no inputs here');
      },
      output(gpio): OutputPin {
        levels.set(gpio, []);
        return { write: (v) => void levels.get(gpio)!.push(v), close: () => {} };
      },
    };
    return { factory, level: (pin: number) => levels.get(pin)?.at(-1) };
  };

  it('a buzzer per severity is on while an alert of it is open and not acknowledged', async () => {
    const pins = fakePins();
    const out = new AlertOutputs([gpioOutputSchema.parse({ severity: 'critical', pin: 17, kind: 'buzzer' }), gpioOutputSchema.parse({ severity: 'warning', pin: 27, active_low: true })], async () => pins.factory, createLogger('silent'));
    await out.start();
    const sync = () => out.update(book.unacknowledgedSeverities());
    bus.on('alert:new', sync);
    bus.on('alert:update', sync);
    sync();
    expect([pins.level(17), pins.level(27)]).toEqual([0, 1]);
    const a = book.raise({ type: 'no_mask', severity: 'critical', message: 'x' })!;
    expect([pins.level(17), pins.level(27)]).toEqual([1, 1]);
    const w = book.raise({ type: 'phone', severity: 'warning', message: 'y' })!;
    expect([pins.level(17), pins.level(27)]).toEqual([1, 0]); // active low: on is 0
    book.acknowledge(a.id, 'wang');
    expect(pins.level(17)).toBe(0);
    book.resolve(w.id, 'wang', 'done');
    expect(pins.level(27)).toBe(1);
    expect(out.status()).toEqual([
      { pin: 17, severity: 'critical', kind: 'buzzer', state: 'ok', on: false, reason: null },
      { pin: 27, severity: 'warning', kind: 'light', state: 'ok', on: false, reason: null },
    ]);
  });

  it('without GPIO (this machine, real onoff) the outputs are degraded with the reason, and updates are harmless', async () => {
    const out = new AlertOutputs([gpioOutputSchema.parse({ severity: 'critical', pin: 17 })], onoffPins, createLogger('silent'));
    await out.start();
    out.update(new Set(['critical']));
    const [s] = out.status();
    expect(s).toMatchObject({ pin: 17, state: 'degraded', on: true });
    expect(s!.reason).toMatch(/GPIO/);
    out.close();
  });
});
