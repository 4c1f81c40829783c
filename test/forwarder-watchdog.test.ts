// The forwarder's watchdog (issue 12, fault 1) with an uplink that hangs and ignores
// its abort signal — what a timeout lost to garbage collection looked like: the link
// is never online with a request outstanding past its timeout, is reported stalled
// with the reason, the loop is freed after 3 × the timeout, and the next try delivers.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { Forwarder } from '../gateway/outbox/forwarder.ts';
import { Outbox } from '../gateway/outbox/outbox.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';
import type { SendResult, Uplink } from '../gateway/uplink/uplink.ts';

it('frees a forwarder whose uplink never settles, reports it stalled, and delivers on the next try', async () => {
  const outbox = new Outbox(openDatabase(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-watchdog-'))), 'box9');
  let calls = 0;
  const delivered: number[] = [];
  const uplink: Uplink = {
    id: 'stuck',
    streams: ['transactions'],
    // the first call never settles and ignores the signal; later calls deliver
    send: (_stream, batch): Promise<SendResult> => (++calls === 1 ? new Promise(() => {}) : Promise.resolve(void delivered.push(...batch.map((r) => r.seq))).then(() => ({}))),
    close: async () => {},
  };
  const stalls: string[] = [];
  const fwd = new Forwarder(outbox, uplink, { batchSize: 10, minBackoffMs: 20, maxBackoffMs: 100, offlineAfterMs: 60_000, timeoutMs: 300, watchdogEveryMs: 50, onStall: (r) => stalls.push(r) });
  await outbox.append('transactions', { n: 1 });
  fwd.start();
  try {
    // past its timeout the link is not online, whatever the watchdog has done yet
    await expect.poll(() => fwd.link.state, { timeout: 5000, interval: 20 }).toBe('stalled');
    expect(fwd.link.lastError).toMatch(/outstanding for .* \(timeout 0\.3 s\)/);
    await expect.poll(() => delivered, { timeout: 10_000 }).toEqual([1]);
    expect(stalls.length).toBeGreaterThanOrEqual(1);
    expect(calls).toBe(2);
    await expect.poll(() => fwd.link.state, { timeout: 5000 }).toBe('online');
    expect(outbox.backlog('stuck', 'transactions')).toBe(0);
  } finally {
    await fwd.stop();
  }
});
