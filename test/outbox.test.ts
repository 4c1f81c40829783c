import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiskBudget } from '../gateway/outbox/budget.ts';
import { Outbox, OutboxRefused } from '../gateway/outbox/outbox.ts';
import type { Stream } from '../gateway/wire/streams.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-outbox-'));

describe('outbox', () => {
  it('gives each record a stable id and a per-stream sequence, durable when the append resolves', async () => {
    const dir = tmp();
    const db = openDatabase(dir);
    const outbox = new Outbox(db, 'box1');
    const [a, b, c] = await Promise.all([
      outbox.append('readings', { n: 1 }),
      outbox.append('readings', { n: 2 }),
      outbox.append('intervals', { n: 3 }),
    ]);
    expect([a!.seq, b!.seq, c!.seq]).toEqual([1, 2, 1]);
    expect(a!.id).toBe('box1:readings:1');
    db.close();
    // a fresh process sees exactly what was acknowledged
    const again = new Outbox(openDatabase(dir), 'box1');
    expect(again.nextBatch('up', 'readings', 10).map((r) => JSON.parse(r.json))).toEqual([{ n: 1 }, { n: 2 }]);
    expect((await again.append('readings', { n: 4 })).seq).toBe(3);
  });

  it('commits the appends of one tick in one transaction (group commit)', async () => {
    const db = openDatabase(tmp());
    const outbox = new Outbox(db, 'b');
    let commits = 0;
    const original = db.transaction.bind(db);
    type Run = (...a: unknown[]) => unknown;
    const counted = (run: Run): Run => (...args) => (commits++, run(...args));
    db.transaction = ((fn: () => unknown) => {
      const t = original(fn as never) as unknown as Run & Record<'immediate' | 'deferred' | 'exclusive', Run>;
      return Object.assign(counted(t), { immediate: counted(t.immediate), deferred: counted(t.deferred), exclusive: counted(t.exclusive) }) as never;
    }) as never;
    await Promise.all(Array.from({ length: 1000 }, (_, i) => outbox.append('readings', { i })));
    expect(commits).toBe(1);
    expect(outbox.held().find((h) => h.stream === 'readings')!.records).toBe(1000);
  });

  it('returns the record already held for a repeated natural key', async () => {
    const outbox = new Outbox(openDatabase(tmp()), 'b');
    const first = await outbox.append('intervals', { kwh: 1 }, { key: 'm1:15m:0' });
    const second = await outbox.append('intervals', { kwh: 1 }, { key: 'm1:15m:0' });
    expect(second.id).toBe(first.id);
    expect(second.seq).toBe(first.seq);
    expect(outbox.backlog('up', 'intervals')).toBe(1);
  });

  it('delivers in order after the cursor and dead-letters rejected records with the reason', async () => {
    const outbox = new Outbox(openDatabase(tmp()), 'b');
    for (let i = 1; i <= 5; i++) await outbox.append('transactions', { i });
    const batch = outbox.nextBatch('up', 'transactions', 3);
    expect(batch.map((r) => r.seq)).toEqual([1, 2, 3]);
    outbox.acknowledge('up', 'transactions', 3, [{ record: batch[1]!, reason: 'amount missing' }]);
    expect(outbox.nextBatch('up', 'transactions', 10).map((r) => r.seq)).toEqual([4, 5]);
    expect(outbox.backlog('up', 'transactions')).toBe(2);
    expect(outbox.backlog('other', 'transactions')).toBe(5); // each uplink has its own cursor
    expect(outbox.deadLetters()).toEqual([expect.objectContaining({ uplink: 'up', seq: 2, reason: 'amount missing' })]);
  });

  it('keeps delivered records for backfill, then prunes what every uplink has', async () => {
    const outbox = new Outbox(openDatabase(tmp()), 'b');
    for (let i = 1; i <= 4; i++) await outbox.append('alerts', { i }, { at: 1000 });
    outbox.acknowledge('a', 'alerts', 4);
    outbox.acknowledge('b', 'alerts', 2);
    expect(outbox.range('alerts', 2, 3, 10).map((r) => r.seq)).toEqual([2, 3]);
    const uplinks = new Map<Stream, string[]>([['alerts', ['a', 'b']]]);
    expect(outbox.pruneDelivered(uplinks, 500)).toBe(0); // still inside the backfill window
    expect(outbox.pruneDelivered(uplinks, 2000)).toBe(2); // both have 1–2
    expect(outbox.held().find((h) => h.stream === 'alerts')!.records).toBe(2);
  });

  it('counts drops and reports them upstream once', async () => {
    const outbox = new Outbox(openDatabase(tmp()), 'b');
    outbox.refusing.set('samples', 'test');
    await expect(outbox.append('readings', {})).rejects.toBeInstanceOf(OutboxRefused);
    await outbox.reportDrops();
    await outbox.reportDrops();
    const events = outbox.nextBatch('up', 'events', 10).map((r) => JSON.parse(r.json));
    expect(events).toEqual([{ type: 'outbox-drops', drops: [{ stream: 'readings', reason: 'refused', count: 1, total: 1 }] }]);
  });
});

describe('disk budget', () => {
  async function filled(samples: number) {
    const db = openDatabase(tmp());
    const outbox = new Outbox(db, 'b');
    const pad = 'x'.repeat(90);
    const t0 = Date.UTC(2026, 0, 1);
    await Promise.all(Array.from({ length: samples }, (_, i) => outbox.append('readings', { deviceId: `m${i % 2}`, pad }, { at: t0 + i * 60_000 })));
    await Promise.all(Array.from({ length: 100 }, (_, i) => outbox.append('intervals', { i, pad })));
    await Promise.all(Array.from({ length: 100 }, (_, i) => outbox.append('transactions', { i, pad })));
    return outbox;
  }
  const held = (o: Outbox, s: Stream) => o.held().find((h) => h.stream === s)!.records;
  const byStream = () => new Map<Stream, string[]>([['readings', ['up']], ['intervals', ['up']], ['transactions', ['up']], ['events', ['up']], ['alerts', ['up']]]);

  it('thins samples first (every 10th kept) and never touches counters or transactions', async () => {
    const outbox = await filled(2000);
    const sampleBytes = outbox.held().find((h) => h.stream === 'readings')!.bytes;
    const budget = new DiskBudget(outbox, tmp(), byStream, { totalBytes: 1e9, perClassBytes: { samples: sampleBytes * 0.8 }, minFreeBytes: 0, keepDeliveredMs: 0 }, () => 1e12);
    const state = budget.enforce();
    expect(held(outbox, 'readings')).toBe(1000 + 100); // the older half thinned to every 10th
    expect(held(outbox, 'intervals')).toBe(100);
    expect(held(outbox, 'transactions')).toBe(100);
    expect(outbox.drops()).toEqual([{ stream: 'readings', reason: 'thinned-every-10th', count: 900, reported: 0 }]);
    expect(state.alarms).toEqual([]);
    // the backlog is counted without a scan and stays exact across the thinned stretch
    expect(outbox.backlog('up', 'readings')).toBe(1100);
    outbox.acknowledge('up', 'readings', 500);
    expect(outbox.backlog('up', 'readings')).toBe(1000 + 50);
    outbox.acknowledge('up', 'readings', 1000);
    expect(outbox.backlog('up', 'readings')).toBe(1000);
    // the newest half is untouched and in order
    expect(outbox.nextBatch('up', 'readings', 5000).slice(-1000).map((r) => r.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => 1001 + i));
  });

  it('thins to one per meter per hour, then refuses new samples and events, raising an alarm', async () => {
    const outbox = await filled(2000);
    const budget = new DiskBudget(outbox, tmp(), byStream, { totalBytes: 1e9, perClassBytes: { samples: 20_000 }, minFreeBytes: 0, keepDeliveredMs: 0 }, () => 1e12);
    const state = budget.enforce();
    expect(outbox.drops().map((d) => d.reason)).toEqual(['thinned-every-10th', 'thinned-hourly']);
    expect(state.alarms[0]).toMatch(/^refusing new samples: disk budget reached/);
    await expect(outbox.append('readings', {})).rejects.toThrow(/refused/);
    await expect(outbox.append('events', {})).rejects.toThrow(/refused/);
    await expect(outbox.append('transactions', { ok: true })).resolves.toMatchObject({ stream: 'transactions' });
    expect(held(outbox, 'transactions')).toBe(101);
  });

  it('keeps counters and transactions over their budget and says so', async () => {
    const outbox = await filled(10);
    const budget = new DiskBudget(outbox, tmp(), byStream, { totalBytes: 1e9, perClassBytes: { transactions: 100 }, minFreeBytes: 0, keepDeliveredMs: 0 }, () => 1e12);
    const state = budget.enforce();
    expect(held(outbox, 'transactions')).toBe(100);
    expect(state.alarms).toContain('transactions over their disk budget; kept (never dropped)');
  });

  it('makes room when the disk runs low, delivered records first', async () => {
    const outbox = await filled(100);
    outbox.acknowledge('up', 'readings', 100);
    let free = 1e6;
    const budget = new DiskBudget(outbox, tmp(), byStream, { totalBytes: 1e9, perClassBytes: {}, minFreeBytes: 5e6, keepDeliveredMs: 3_600_000 }, () => free);
    const state = budget.enforce();
    expect(held(outbox, 'readings')).toBe(0); // delivered, so no loss
    expect(state.alarms).toContain('disk almost full: 1 MB free');
    free = 1e9;
    expect(budget.enforce().alarms).toEqual([]); // room again: refusals lifted
    await expect(outbox.append('readings', {})).resolves.toBeTruthy();
  });
});
