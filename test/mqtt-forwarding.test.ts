// The outbox, a forwarder and the MQTT uplink through a real Mosquitto to the
// province simulator's MQTT receiver: what goes over the wire, exactly-once
// after de-duplication, the same record ids as the HTTP uplink, and a send that
// fails at once when it cannot be acknowledged.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync, type IPublishPacket } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { Forwarder } from '../gateway/outbox/forwarder.ts';
import { Outbox } from '../gateway/outbox/outbox.ts';
import type { Stream } from '../gateway/wire/streams.ts';
import { Ledger } from '../gateway/sim/province/ledger.ts';
import { MqttReceiver } from '../gateway/sim/province/mqtt-receiver.ts';
import { ProvinceSim } from '../gateway/sim/province/province.ts';
import { openDatabase } from '../gateway/store/sqlite.ts';
import { HttpUplink } from '../gateway/uplink/http.ts';
import { MqttUplink, createMqttUplink, mqttUplinkSchema } from '../gateway/uplink/mqtt.ts';
import { cli } from './helpers/cli.ts';
import { BIN } from './helpers/gateway.ts';
import { Mosquitto } from './helpers/mosquitto.ts';
import { freePort } from './helpers/ports.ts';

const STREAMS: Stream[] = ['readings', 'intervals', 'transactions'];
let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

function newOutbox(box = 'box7') {
  return new Outbox(openDatabase(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-mqtt-'))), box);
}

async function broker() {
  const b = await Mosquitto.start();
  cleanup.push(() => b.dispose());
  return b;
}

function uplink(url: string, extra: Partial<ConstructorParameters<typeof MqttUplink>[0]> = {}) {
  const u = new MqttUplink({ id: 'province-mqtt', url, streams: STREAMS, boxId: 'box7', timeoutMs: 2000, reconnectMs: 200, ...extra });
  cleanup.push(() => u.close());
  return u;
}

async function receiver(url: string, ledger = new Ledger(), clientId = 'province-sim-test') {
  const r = new MqttReceiver(ledger, { url, clientId, reconnectMs: 200 });
  await r.start();
  cleanup.push(() => r.stop());
  return r;
}

function forwarder(outbox: Outbox, u: MqttUplink | HttpUplink, batchSize = 50) {
  const fwd = new Forwarder(outbox, u, { batchSize, minBackoffMs: 20, maxBackoffMs: 200, offlineAfterMs: 300 });
  cleanup.push(() => fwd.stop());
  return fwd;
}

const drained = (outbox: Outbox, uplinkId = 'province-mqtt', streams = STREAMS) => streams.every((s) => outbox.backlog(uplinkId, s) === 0);

describe('MQTT uplink through Mosquitto', () => {
  it('delivers records of three streams exactly once, in order, without gaps', async () => {
    const b = await broker();
    const ledger = new Ledger();
    const rx = await receiver(b.url, ledger);
    const outbox = newOutbox();
    const up = uplink(b.url);
    await expect.poll(() => up.connected).toBe(true);
    await Promise.all(Array.from({ length: 1500 }, (_, i) => outbox.append(STREAMS[i % 3]!, { i, note: '厨房总表' })));
    const fwd = forwarder(outbox, up);
    fwd.start();
    await expect.poll(() => drained(outbox), { timeout: 15_000 }).toBe(true);
    // acknowledged by the broker is not yet received: wait for the subscriber
    await expect.poll(() => rx.batches.records, { timeout: 5000 }).toBe(1500);
    const report = ledger.report();
    for (const s of STREAMS) expect(report[s]).toEqual({ received: 500, unique: 500, duplicates: 0, outOfOrder: 0, maxSeq: 500, gaps: 0, rejected: 0 });
    expect(rx.batches).toEqual({ taken: 30, records: 1500, malformed: 0 });
    expect(ledger.recent.get('intervals')![0]).toMatchObject({ id: 'box7:intervals:1', seq: 1, payload: { i: 1, note: '厨房总表' }, via: 'mqtt' });
    expect(up.stats).toMatchObject({ published: 30, acknowledged: 30, failed: 0, noSubscribers: 0 });
    expect(fwd.link.state).toBe('online');
  });

  it('publishes one QoS 1 message per batch to the stream topic, shaped like the HTTP body, batch id as a user property', async () => {
    const b = await broker();
    const spy = await connectAsync(b.url, { protocolVersion: 5, clientId: 'spy' });
    cleanup.push(() => spy.endAsync());
    const got: { topic: string; body: unknown; packet: IPublishPacket }[] = [];
    spy.on('message', (topic, payload, packet) => got.push({ topic, body: JSON.parse(payload.toString()), packet }));
    await spy.subscribeAsync('canteen-edge/#', { qos: 1 });
    const outbox = newOutbox();
    for (let i = 0; i < 3; i++) await outbox.append('transactions', { amount: i, memo: '午餐' });
    await outbox.append('alerts', { type: 'meter-anomaly' }, { key: 'main-meter:anomaly:1795658400000' });
    const up = uplink(b.url, { streams: ['transactions', 'alerts'] });
    forwarder(outbox, up).start();
    await expect.poll(() => got.length, { timeout: 5000 }).toBe(2);
    const tx = got.find((g) => g.topic === 'canteen-edge/box7/transactions')!;
    expect(tx.packet.qos).toBe(1);
    expect(tx.packet.retain).toBe(false);
    expect(tx.packet.properties?.userProperties).toEqual({ batch: 'province-mqtt:transactions:1-3', box: 'box7' });
    expect(tx.packet.properties?.contentType).toBe('application/json');
    expect(tx.body).toEqual({
      box: 'box7',
      stream: 'transactions',
      batch: 'province-mqtt:transactions:1-3',
      records: [0, 1, 2].map((i) => ({ id: `box7:transactions:${i + 1}`, seq: i + 1, at: expect.any(Number), payload: { amount: i, memo: '午餐' } })),
    });
    const alert = got.find((g) => g.topic === 'canteen-edge/box7/alerts')!;
    expect(alert.body).toMatchObject({ records: [{ id: 'box7:alerts:main-meter:anomaly:1795658400000', seq: 1 }] });
  });

  it('counts malformed messages on the receiver and takes nothing from them', async () => {
    const b = await broker();
    const ledger = new Ledger();
    const rx = await receiver(b.url, ledger, 'malformed-test');
    const pub = await connectAsync(b.url, { protocolVersion: 5, clientId: 'garbage' });
    cleanup.push(() => pub.endAsync());
    await pub.publishAsync('canteen-edge/box7/readings', 'not json', { qos: 1 });
    await pub.publishAsync('canteen-edge/box7/readings', JSON.stringify({ box: 'box7', stream: 'readings', records: [{ id: 'x', seq: 'one', at: 1, payload: {} }] }), { qos: 1 });
    await pub.publishAsync('canteen-edge/box7/readings', JSON.stringify({ box: 'box7', records: [] }), { qos: 1 });
    await pub.publishAsync('canteen-edge/box7/readings', JSON.stringify({ box: 'box7', stream: 'readings', batch: 'b', records: [{ id: 'box7:readings:1', seq: 1, at: 1, payload: null }] }), { qos: 1 });
    await expect.poll(() => rx.batches.malformed + rx.batches.taken).toBe(4);
    expect(rx.batches).toEqual({ taken: 1, records: 1, malformed: 3 });
    expect(rx.lastMalformed).toMatch(/^malformed batch: stream missing/);
    expect(ledger.report().readings).toMatchObject({ received: 1, unique: 1 });
  });

  it('gives every record the same id as the HTTP uplink does', async () => {
    const b = await broker();
    const sim = new ProvinceSim({ host: '127.0.0.1', httpPort: 0, token: 'tok', hmacKey: 'key' });
    await sim.start();
    cleanup.push(() => sim.stop());
    // both uplinks feed one ledger: every record must arrive twice under one id
    const rx = await receiver(b.url, sim.ledger);
    const outbox = newOutbox();
    await Promise.all(Array.from({ length: 300 }, (_, i) => outbox.append(STREAMS[i % 3]!, { i })));
    await outbox.append('intervals', { kwh: 1.5 }, { key: 'main-meter:15m:1795658400000' });
    const http = new HttpUplink({ id: 'province', url: `http://127.0.0.1:${sim.httpPort}/ingest/{stream}`, streams: STREAMS, token: 'tok', hmacKey: 'key', timeoutMs: 2000, boxId: 'box7' });
    forwarder(outbox, http).start();
    forwarder(outbox, uplink(b.url)).start();
    await expect.poll(() => drained(outbox, 'province') && drained(outbox), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => rx.batches.records, { timeout: 5000 }).toBe(301);
    const report = sim.report().streams;
    expect(report.readings).toMatchObject({ received: 200, unique: 100, duplicates: 100, gaps: 0, outOfOrder: 0 });
    expect(report.transactions).toMatchObject({ received: 200, unique: 100, duplicates: 100, gaps: 0, outOfOrder: 0 });
    expect(report.intervals).toMatchObject({ received: 202, unique: 101, duplicates: 101, gaps: 0, outOfOrder: 0 });
    expect(sim.ledger.ids('intervals')).toContain('box7:intervals:main-meter:15m:1795658400000');
    expect(sim.ledger.ids('readings').slice(0, 3)).toEqual(['box7:readings:1', 'box7:readings:2', 'box7:readings:3']);
  });

  it('fails a send at once while the broker cannot be reached, and when aborted or unacknowledged', async () => {
    const outbox = newOutbox();
    await outbox.append('readings', { x: 1 });
    const batch = outbox.nextBatch('province-mqtt', 'readings', 10);
    const down = uplink(`mqtt://127.0.0.1:${await freePort()}`);
    const t0 = Date.now();
    await expect(down.send('readings', batch, 'b1', new AbortController().signal)).rejects.toThrow(/not connected to mqtt:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(down.connected).toBe(false);

    const b = await broker();
    const up = uplink(b.url, { timeoutMs: 500 });
    await expect.poll(() => up.connected).toBe(true);
    const aborted = new AbortController();
    aborted.abort();
    await expect(up.send('readings', batch, 'b2', aborted.signal)).rejects.toThrow(/aborted/);
    b.pause(); // the broker holds the connection but answers nothing
    const abort = new AbortController();
    const pending = up.send('readings', batch, 'b3', abort.signal);
    setTimeout(() => abort.abort(), 100);
    await expect(pending).rejects.toThrow('publish to canteen-edge/box7/readings: aborted');
    await expect(up.send('readings', batch, 'b4', new AbortController().signal)).rejects.toThrow('no PUBACK within 500 ms');
    b.resume();
    await expect(up.send('readings', batch, 'b5', new AbortController().signal)).resolves.toEqual({ rejected: [], backfill: [] });
  });

  it('has a config schema with defaults, and a factory', async () => {
    const parsed = mqttUplinkSchema.parse({ id: 'province-mqtt', type: 'mqtt', url: 'mqtts://broker.example.cn:8883', password: { file: 'mqtt.pass' } });
    expect(parsed).toEqual({
      id: 'province-mqtt',
      type: 'mqtt',
      url: 'mqtts://broker.example.cn:8883',
      streams: ['readings', 'intervals', 'transactions', 'alerts', 'events'],
      topic: 'canteen-edge/{box}/{stream}',
      password: { file: 'mqtt.pass' },
      keepalive_s: 60,
      timeout_ms: 15_000,
      backoff: { min_ms: 1000, max_ms: 300_000, offline_after_ms: 60_000 },
    });
    expect(mqttUplinkSchema.safeParse({ id: 'm', type: 'mqtt', url: 'http://x' }).success).toBe(false);
    expect(mqttUplinkSchema.safeParse({ id: 'm', type: 'mqtt', url: 'mqtt://x', topic: 'a/+/{stream}' }).success).toBe(false);
    expect(mqttUplinkSchema.safeParse({ id: 'm', type: 'mqtt', url: 'mqtt://x', qos: 0 }).success).toBe(false);
    for (const [key, value] of Object.entries(mqttUplinkSchema.shape)) expect(value.description, key).toBeTruthy();

    const b = await broker();
    const ledger = new Ledger();
    await receiver(b.url, ledger, 'factory-test');
    const config = mqttUplinkSchema.parse({ id: 'province-mqtt', type: 'mqtt', url: b.url, streams: ['events'], topic: 'province/{box}/edge/{stream}' });
    const up = createMqttUplink({ ...config, password: undefined }, 'box9');
    cleanup.push(() => up.close());
    expect(up.clientId).toBe('canteen-edge-box9');
    const outbox = newOutbox('box9');
    await outbox.append('events', { type: 'device-state' });
    forwarder(outbox, up).start();
    await expect.poll(() => drained(outbox, 'province-mqtt', ['events']), { timeout: 5000 }).toBe(true);
    // the receiver subscribes to canteen-edge/+/+ only: the broker says nobody will get this one
    expect(up.stats.noSubscribers).toBe(1);
    expect(ledger.report()).toEqual({});
  });

  it('runs as `sim province --mqtt URL`, reporting what came over MQTT', async () => {
    const b = await broker();
    const child = spawn(process.execPath, [BIN, 'sim', 'province', '--port', '0', '--mqtt', b.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    cleanup.push(async () => {
      child.kill('SIGTERM');
      await exited;
    });
    const started = await new Promise<{ http: { port: number }; mqtt: { url: string; topic: string; clientId: string } }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        try {
          resolve(JSON.parse(out));
        } catch {
          /* not the whole document yet */
        }
      });
      child.once('exit', (code) => reject(new Error(`sim province exited ${code}`)));
    });
    expect(started.mqtt).toEqual({ url: b.url, topic: 'canteen-edge/+/+', clientId: 'canteen-edge-province-sim' });
    const outbox = newOutbox();
    await Promise.all(Array.from({ length: 90 }, (_, i) => outbox.append(STREAMS[i % 3]!, { i })));
    forwarder(outbox, uplink(b.url)).start();
    await expect.poll(() => drained(outbox), { timeout: 5000 }).toBe(true);
    const report = async () => (await fetch(`http://127.0.0.1:${started.http.port}/report`)).json();
    await expect.poll(async () => (await report()).mqtt?.records, { timeout: 5000 }).toBe(90);
    const r = await report();
    expect(r.mqtt).toMatchObject({ taken: 3, malformed: 0, connected: true });
    for (const s of STREAMS) expect(r.streams[s]).toMatchObject({ unique: 30, gaps: 0, outOfOrder: 0 });

    const bad = cli(['sim', 'province', '--port', '0', '--mqtt', 'http://127.0.0.1:1']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--mqtt: got "http://127.0.0.1:1"');
  });
});
