// A cold room's rules with an injected clock and a scripted sensor, through the real alert
// book on SQLite and the GPIO outputs with an injected pin factory: a short excursion (a
// door opened for loading) raises nothing, a long one raises one critical alert that turns
// the buzzer on and goes to the outbox; the door limit; a sensor that only fails is silent
// after silent_after_ms — an alarm with no temperature, not 0 °C.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { OutputPin, PinFactory } from '../drivers/scale/hx711.ts';
import { EventBus } from '../gateway/bus/event-bus.ts';
import { AlertBook } from '../gateway/kitchen/alerts.ts';
import { gpioOutputSchema } from '../gateway/kitchen/config.ts';
import { AlertOutputs } from '../gateway/kitchen/outputs.ts';
import { ColdRoomWatch } from '../gateway/kitchen/sensors/cold-room.ts';
import { coldRoomSchema } from '../gateway/kitchen/sensors/config.ts';
import { SensorRefusal, type SensorSample } from '../gateway/kitchen/sensors/sources.ts';
import { createLogger } from '../gateway/log.ts';
import { openDatabase, type Db } from '../gateway/store/sqlite.ts';

let db: Db;
let now: number;
let alertsOut: string[];
let records: Record<string, unknown>[];
let book: AlertBook;
let next: SensorSample | Error;
let buzzer: (0 | 1)[];
let outputs: AlertOutputs;

beforeEach(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cold-room-'));
  db = openDatabase(dir);
  now = Date.parse('2026-12-08T02:00:00Z');
  alertsOut = [];
  records = [];
  buzzer = [];
  const bus = new EventBus((_event, err) => {
    throw err;
  });
  book = new AlertBook({
    db,
    dataDir: dir,
    bus,
    put: async (_p, key) => void alertsOut.push(key),
    onPutError: (err) => {
      throw err;
    },
    now: () => now,
  });
  const pins: PinFactory = {
    description: 'fake',
    input: () => {
      throw new Error('no inputs');
    },
    output: (): OutputPin => ({ write: (v) => void buzzer.push(v), close: () => {} }),
  };
  outputs = new AlertOutputs([gpioOutputSchema.parse({ severity: 'critical', pin: 529, kind: 'buzzer' })], async () => pins, createLogger('silent'));
  await outputs.start();
  for (const e of ['alert:new', 'alert:update'] as const) bus.on(e, () => outputs.update(book.unacknowledgedSeverities()));
});
afterEach(() => db.close());

function room(over: Record<string, unknown> = {}) {
  const cfg = coldRoomSchema.parse({ id: 'fridge', name: '冷藏库', kind: 'refrigerated', excursion_ms: 600_000, door_open_limit_s: 120, silent_after_ms: 60_000, source: { type: 'w1', device: '28-000000000001' }, ...over });
  return new ColdRoomWatch({
    cfg,
    reader: {
      read: async () => {
        if (next instanceof Error) throw next;
        return next;
      },
      close: async () => {},
      counters: () => ({}),
    },
    raise: book.raise,
    record: (p) => void records.push(p),
    logger: createLogger('silent'),
    now: () => now,
  });
}

const step = async (w: ColdRoomWatch, ms: number, sample: SensorSample | Error) => {
  now += ms;
  next = sample;
  await w.poll();
};

it('a short excursion raises nothing; one longer than excursion_ms raises one critical alert, the buzzer sounds, it goes upstream', async () => {
  const w = room();
  await step(w, 0, { temperature: 4 });
  await step(w, 60_000, { temperature: 9.5 });
  await step(w, 240_000, { temperature: 10 });
  await step(w, 60_000, { temperature: 5 }); // back within 5 minutes: nothing
  expect(book.list({}).length).toBe(0);
  await step(w, 60_000, { temperature: 11 });
  await step(w, 300_000, { temperature: 11.5 });
  expect(book.list({}).length).toBe(0);
  await step(w, 300_000, { temperature: 12 });
  await step(w, 60_000, { temperature: 12 });
  const alerts = book.list({});
  expect(alerts.map((a) => [a.type, a.severity, a.message])).toEqual([['cold_room_temperature', 'critical', '冷藏库：温度 12 °C，超出 0–8 °C']]);
  expect(buzzer.at(-1)).toBe(1);
  expect(alertsOut).toEqual([`kitchen-alert:${alerts[0]!.id}:opened`]);
  expect(records.filter((r) => r.why === 'excursion')).toEqual([expect.objectContaining({ temperatureC: 12, minC: 0, maxC: 8 })]);
  book.acknowledge(alerts[0]!.id, 'wang');
  expect(buzzer.at(-1)).toBe(0);
});

it('a frozen room: ≤ −12 °C holds, −10 °C is an excursion', async () => {
  const w = room({ kind: 'frozen', excursion_ms: 0 });
  await step(w, 0, { temperature: -18 });
  await step(w, 1000, { temperature: -12 });
  expect(book.list({})).toEqual([]);
  await step(w, 1000, { temperature: -10 });
  expect(book.list({}).map((a) => a.message)).toEqual(['冷藏库：温度 -10 °C，超出 ≤ -12 °C']);
});

it('a door open longer than its limit raises a warning once', async () => {
  const w = room();
  await step(w, 0, { temperature: 4, on: true });
  await step(w, 100_000, { temperature: 4, on: true });
  expect(book.list({})).toEqual([]);
  await step(w, 30_000, { temperature: 4, on: true });
  await step(w, 30_000, { temperature: 4, on: true });
  expect(book.list({}).map((a) => [a.type, a.severity, a.message])).toEqual([['cold_room_door_open', 'warning', '冷藏库：门已打开 130 秒']]);
});

it('a sensor that only fails: counted per reason, then silent — an alarm, and no temperature', async () => {
  const w = room();
  await step(w, 0, { temperature: 4 });
  await step(w, 30_000, new SensorRefusal('crc', 'bad crc'));
  expect(w.status()).toMatchObject({ state: 'ok', temperatureC: 4, refused: { crc: 1 } });
  await step(w, 31_000, new SensorRefusal('no-answer', 'timeout'));
  expect(w.status()).toMatchObject({ state: 'silent', temperatureC: null, humidityPct: null, refused: { crc: 1, 'no-answer': 1 } });
  expect(book.list({}).map((a) => [a.type, a.severity])).toEqual([['sensor_silent', 'critical']]);
  expect(buzzer.at(-1)).toBe(1);
  // silence does not end in an excursion of the last known value
  await step(w, 600_000, new SensorRefusal('no-answer', 'timeout'));
  expect(book.list({}).length).toBe(1);
});
