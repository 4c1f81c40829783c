// Outages on the MQTT path with a real Mosquitto: the broker goes down while
// records pile up (nothing is marked delivered, the forwarder backs off, all of
// it drains after a restart), and the province's subscriber is away while the
// box keeps sending (its persistent session makes the broker queue for it).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { Forwarder, type LinkStatus } from '../gateway/outbox/forwarder.ts';
import { Outbox } from '../gateway/outbox/outbox.ts';
import type { Stream } from '../gateway/wire/streams.ts';
import { Ledger } from '../gateway/sim/province/ledger.ts';
import { MqttReceiver } from '../gateway/sim/province/mqtt-receiver.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';
import { MqttUplink } from '../gateway/uplink/mqtt.ts';
import { Mosquitto } from './helpers/mosquitto.ts';

const STREAMS: Stream[] = ['readings', 'intervals', 'transactions'];
const UPLINK = 'province-mqtt';
let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function rig() {
  const broker = await Mosquitto.start();
  cleanup.push(() => broker.dispose());
  const outbox = new Outbox(openDatabase(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-mqtt-outage-'))), 'box7');
  const uplink = new MqttUplink({ id: UPLINK, url: broker.url, streams: STREAMS, boxId: 'box7', timeoutMs: 2000, reconnectMs: 200 });
  cleanup.push(() => uplink.close());
  const states: LinkStatus[] = [];
  const fwd = new Forwarder(outbox, uplink, { batchSize: 40, minBackoffMs: 20, maxBackoffMs: 200, offlineAfterMs: 300, onState: (s) => states.push(s) });
  cleanup.push(() => fwd.stop());
  return { broker, outbox, uplink, fwd, states };
}

async function receiver(url: string, ledger: Ledger, clientId: string) {
  const rx = new MqttReceiver(ledger, { url, clientId, reconnectMs: 200 });
  await rx.start();
  cleanup.push(() => rx.stop());
  return rx;
}

const cursors = (outbox: Outbox) => STREAMS.map((s) => outbox.cursor(UPLINK, s));
const drained = (outbox: Outbox) => STREAMS.every((s) => outbox.backlog(UPLINK, s) === 0);

/** Appends `n` records round the streams, a few at a time, as producers do. */
async function produce(outbox: Outbox, n: number, from: number): Promise<void> {
  for (let i = from; i < from + n; i += 10) {
    await Promise.all(Array.from({ length: Math.min(10, from + n - i) }, (_, k) => outbox.append(STREAMS[(i + k) % 3]!, { i: i + k })));
    await sleep(2);
  }
}

it('holds everything while the broker is down, backs off, and drains once it is back: no gaps, no reordering', async () => {
  const { broker, outbox, uplink, fwd, states } = await rig();
  const ledger = new Ledger();
  const rx = await receiver(broker.url, ledger, 'province-outage');
  fwd.start();

  // records flowing when the broker goes away, so a batch may be in flight at that moment
  const producing = produce(outbox, 600, 0);
  await sleep(100);
  await broker.stop();
  await producing;
  await produce(outbox, 900, 600);
  await expect.poll(() => fwd.link.state, { timeout: 5000 }).toBe('offline');
  expect(uplink.connected).toBe(false);
  expect(rx.connected).toBe(false);
  expect(fwd.link.lastError).toMatch(/not connected to mqtt:\/\/127\.0\.0\.1:\d+|connection lost/);
  expect(states.map((s) => s.state)).toEqual(['backing-off', 'offline']);

  // nothing is marked delivered while the broker is away
  const before = cursors(outbox);
  await sleep(1000);
  expect(cursors(outbox)).toEqual(before);
  const backlog = STREAMS.reduce((n, s) => n + outbox.backlog(UPLINK, s), 0);
  expect(backlog).toBeGreaterThanOrEqual(900);
  console.log(`while down: cursors ${before.join('/')}, backlog ${backlog}`);

  await broker.start(); // same port, same persistence file: the receiver's session survives
  await expect.poll(() => drained(outbox), { timeout: 20_000 }).toBe(true);
  expect(fwd.link.state).toBe('online');
  await expect.poll(() => STREAMS.map((s) => ledger.report()[s]?.unique), { timeout: 10_000 }).toEqual([500, 500, 500]);
  const report = ledger.report();
  for (const s of STREAMS) expect(report[s]).toMatchObject({ unique: 500, maxSeq: 500, gaps: 0, outOfOrder: 0, rejected: 0 });
  const duplicates = STREAMS.reduce((n, s) => n + report[s]!.duplicates, 0);
  console.log(`after the restart: ${duplicates} duplicate records (allowed), ${uplink.stats.failed} failed sends, ${uplink.stats.connects} connects`);
  expect(rx.batches.malformed).toBe(0);
  expect(uplink.stats.noSubscribers).toBe(0);
}, 60_000);

it('queues for a receiver that is away (persistent sessions on both ends), across a broker restart too', async () => {
  const { broker, outbox, uplink, fwd } = await rig();
  // the province subscribes once, then goes away; its session stays on the broker
  const first = new Ledger();
  const away = await receiver(broker.url, first, 'province-away');
  await away.stop();

  await produce(outbox, 300, 0);
  fwd.start();
  await expect.poll(() => drained(outbox), { timeout: 10_000 }).toBe(true);
  expect(uplink.stats.noSubscribers).toBe(0); // the offline session counts as a subscriber: the broker queued
  expect(first.report()).toEqual({});

  await broker.stop(); // a clean shutdown writes the queue to the persistence file
  await broker.start();
  await produce(outbox, 300, 300);
  await expect.poll(() => drained(outbox), { timeout: 10_000 }).toBe(true);

  // back with the same client id: the broker hands over what it queued, in order
  const ledger = new Ledger();
  const back = await receiver(broker.url, ledger, 'province-away');
  await expect.poll(() => STREAMS.map((s) => ledger.report()[s]?.unique), { timeout: 10_000 }).toEqual([200, 200, 200]);
  for (const s of STREAMS) expect(ledger.report()[s]).toMatchObject({ unique: 200, maxSeq: 200, gaps: 0, outOfOrder: 0 });
  expect(back.batches.malformed).toBe(0);
  expect(ledger.ids('readings')[0]).toBe('box7:readings:1');
}, 60_000);
