// The outbox, a forwarder and the HTTP uplink against the provincial-service
// simulator, with the receiver misbehaving in each way it can.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Forwarder, type LinkStatus } from '../gateway/outbox/forwarder.ts';
import { Outbox } from '../gateway/outbox/outbox.ts';
import type { Stream } from '../gateway/wire/streams.ts';
import { ProvinceSim } from '../gateway/sim/province/province.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';
import { HttpUplink } from '../gateway/uplink/http.ts';

const STREAMS: Stream[] = ['readings', 'intervals', 'transactions'];
let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function rig(opts: { token?: string; hmacKey?: string; simToken?: string; simKey?: string; timeoutMs?: number } = {}) {
  const sim = new ProvinceSim({ host: '127.0.0.1', httpPort: 0, token: opts.simToken ?? 'tok', hmacKey: opts.simKey ?? 'key' });
  await sim.start();
  const outbox = new Outbox(openDatabase(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-fwd-'))), 'box7');
  const states: LinkStatus[] = [];
  const uplink = new HttpUplink({
    id: 'province',
    url: `http://127.0.0.1:${sim.httpPort}/ingest/{stream}`,
    streams: STREAMS,
    token: opts.token ?? 'tok',
    hmacKey: opts.hmacKey ?? 'key',
    timeoutMs: opts.timeoutMs ?? 2000,
    boxId: 'box7',
  });
  const fwd = new Forwarder(outbox, uplink, { batchSize: 100, minBackoffMs: 20, maxBackoffMs: 200, offlineAfterMs: 300, onState: (s) => states.push(s) });
  cleanup.push(() => sim.stop(), () => fwd.stop());
  return { sim, outbox, fwd, states };
}

const drained = (outbox: Outbox, streams = STREAMS) => streams.every((s) => outbox.backlog('province', s) === 0);

describe('forwarding to the provincial service', () => {
  it('delivers every record once, in order per stream, signed and de-duplicable', async () => {
    const { sim, outbox, fwd } = await rig();
    await Promise.all(Array.from({ length: 750 }, (_, i) => outbox.append(STREAMS[i % 3]!, { i })));
    fwd.start();
    await expect.poll(() => drained(outbox), { timeout: 10_000 }).toBe(true);
    const report = sim.report();
    for (const s of STREAMS) expect(report.streams[s]).toEqual({ received: 250, unique: 250, duplicates: 0, outOfOrder: 0, maxSeq: 250, gaps: 0, rejected: 0 });
    expect(report.http.refusedSignature).toBe(0);
    expect(sim.ledger.recent.get('readings')![0]).toMatchObject({ id: 'box7:readings:1', seq: 1, payload: { i: 0 } });
  });

  it('retries 5xx with backoff, reports the link state, and drains when the receiver returns', async () => {
    const { sim, outbox, fwd, states } = await rig();
    sim.http.fault = { mode: 'error', status: 503 };
    await Promise.all(Array.from({ length: 300 }, (_, i) => outbox.append('intervals', { i })));
    fwd.start();
    await expect.poll(() => fwd.link.state, { timeout: 5000 }).toBe('offline');
    expect(fwd.link.lastError).toContain('HTTP 503');
    expect(states.map((s) => s.state)).toEqual(['backing-off', 'offline']);
    sim.http.fault = { mode: 'ok' };
    await expect.poll(() => drained(outbox, ['intervals']), { timeout: 5000 }).toBe(true);
    expect(fwd.link.state).toBe('online');
    expect(sim.report().streams.intervals).toMatchObject({ unique: 300, duplicates: 0, gaps: 0, outOfOrder: 0 });
  });

  it('sends a batch refused as malformed (400) to dead letters and goes on', async () => {
    const { sim, outbox, fwd } = await rig();
    await Promise.all(Array.from({ length: 150 }, (_, i) => outbox.append('transactions', { i })));
    sim.http.fault = { mode: 'error', status: 400 };
    fwd.start();
    await expect.poll(() => outbox.deadLetters(1000).length, { timeout: 5000 }).toBe(150);
    expect(outbox.deadLetters(1)[0]!.reason).toMatch(/rejected: HTTP 400/);
    sim.http.fault = { mode: 'ok' };
    await outbox.append('transactions', { after: true });
    await expect.poll(() => sim.report().streams.transactions?.unique, { timeout: 5000 }).toBe(1);
  });

  it('dead-letters the single record the receiver rejects, delivers the rest', async () => {
    const { sim, outbox, fwd } = await rig();
    sim.http.fault = { mode: 'reject-record', idPattern: 'transactions:7' };
    await Promise.all(Array.from({ length: 20 }, (_, i) => outbox.append('transactions', { i })));
    fwd.start();
    await expect.poll(() => drained(outbox, ['transactions']), { timeout: 5000 }).toBe(true);
    expect(outbox.deadLetters()).toEqual([expect.objectContaining({ record_id: 'box7:transactions:7', reason: 'simulated rejection' })]);
    expect(sim.report().streams.transactions).toMatchObject({ received: 20, unique: 19, rejected: 1 });
  });

  it('treats a wrong token as a link problem to retry, never as dead letters', async () => {
    const { outbox, fwd } = await rig({ token: 'wrong' });
    await outbox.append('intervals', { a: 1 });
    fwd.start();
    await expect.poll(() => fwd.link.lastError ?? '', { timeout: 5000 }).toContain('HTTP 401');
    expect(outbox.deadLetters()).toEqual([]);
    expect(outbox.backlog('province', 'intervals')).toBe(1);
  });

  it('retries a receiver that hangs or resets the connection', async () => {
    const { sim, outbox, fwd } = await rig({ timeoutMs: 300 });
    sim.http.fault = { mode: 'hang' };
    await outbox.append('intervals', { x: 1 });
    fwd.start();
    await expect.poll(() => fwd.link.lastError ?? '', { timeout: 5000 }).toContain('no answer within 300 ms');
    sim.http.fault = { mode: 'reset' };
    await expect.poll(() => fwd.link.lastError ?? '', { timeout: 5000 }).toMatch(/ECONNRESET|socket|terminated/i);
    sim.http.fault = { mode: 'ok' };
    await expect.poll(() => drained(outbox, ['intervals']), { timeout: 5000 }).toBe(true);
    expect(sim.report().streams.intervals).toMatchObject({ unique: 1, duplicates: 0 });
  });

  it('keeps accepting records while a slow receiver holds a batch', async () => {
    const { sim, outbox, fwd } = await rig();
    sim.http.fault = { mode: 'slow', delayMs: 1500 };
    await outbox.append('readings', { first: true });
    fwd.start();
    await expect.poll(() => sim.http.batches.taken + (fwd.link.lastSendMs === null ? 0 : 1)).toBe(0);
    const accepted = await Promise.all(Array.from({ length: 2000 }, (_, i) => outbox.append('readings', { i })));
    expect(accepted).toHaveLength(2000);
    expect(sim.http.batches.taken).toBe(0); // the first batch is still being held by the receiver
    sim.http.fault = { mode: 'ok' };
    await expect.poll(() => drained(outbox, ['readings']), { timeout: 10_000 }).toBe(true);
    expect(sim.report().streams.readings).toMatchObject({ unique: 2001, outOfOrder: 0, gaps: 0 });
  });

  it('answers a backfill request from what it still holds', async () => {
    const { sim, outbox, fwd } = await rig();
    await Promise.all(Array.from({ length: 50 }, (_, i) => outbox.append('intervals', { i })));
    fwd.start();
    await expect.poll(() => drained(outbox, ['intervals']), { timeout: 5000 }).toBe(true);
    sim.http.backfillRequests.push({ stream: 'intervals', fromSeq: 10, toSeq: 19 });
    await outbox.append('intervals', { trigger: true });
    await expect.poll(() => sim.report().streams.intervals?.duplicates, { timeout: 5000 }).toBe(10);
    expect(sim.report().streams.intervals).toMatchObject({ unique: 51, gaps: 0 });
  });
});
