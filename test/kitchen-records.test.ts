// Daily food-safety records in a real app: real accounts and sessions (403 for the
// wrong role), the real canteen catalog and menus, the real kitchen alert book and
// outbox in SQLite, and a clock the test moves — due times, meal ends and the 48 h
// retention are reached by setting the clock, never by waiting.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { Auth } from '../gateway/auth/auth.ts';
import { authConfigSchema, authSettings } from '../gateway/auth/config.ts';
import { EventBus } from '../gateway/bus/event-bus.ts';
import { canteenConfigSchema } from '../gateway/canteen/config.ts';
import { stationWeights } from '../gateway/canteen/station-weights.ts';
import { CanteenModule } from '../gateway/canteen/module.ts';
import { DeviceTracker } from '../gateway/devices/tracker.ts';
import { AlertBook } from '../gateway/kitchen/alerts.ts';
import { foodSafetyConfigSchema } from '../gateway/kitchen/records/config.ts';
import { RecordsModule } from '../gateway/kitchen/records/module.ts';
import { checkFailures } from '../gateway/kitchen/records/rules.ts';
import { LiveState } from '../gateway/live.ts';
import { createLogger } from '../gateway/log.ts';
import { Metrics } from '../gateway/metrics.ts';
import { Outbox, OutboxRefused } from '../gateway/outbox/outbox.ts';
import { createApp } from '../gateway/server/app.ts';
import type { KitchenRecordsMsg } from '../gateway/wire/kitchen.ts';
import { openDatabase, type Db } from '../gateway/store/sqlite.ts';

const TZ = 'Asia/Shanghai';
/** site-local wall-clock time on a Tuesday */
const at = (hhmm: string, date = '2026-11-24') => Date.parse(`${date}T${hhmm}:00+08:00`);

const CERT = { number: 'JKZ-2026-001', expires: '2027-06-30' };
const STAFF = [
  { id: 'wang', name: '王师傅', health_certificate: CERT },
  { id: 'li', name: '李阿姨', health_certificate: { ...CERT, number: 'JKZ-2026-002' } },
  { id: 'zhao', name: '赵师傅', health_certificate: { ...CERT, number: 'JKZ-2026-003' } },
];
const ALL_CLEAR = { fever: false, diarrhoea: false, vomiting: false, sore_throat: false, hand_wound: false, jaundice: false, uniform: true, cap: true, mask: true, no_jewellery: true };
const DISHES = [
  { id: 'pork', name: '红烧肉', price_mode: 'by_weight', price_fen: 1280, per_grams: 500 },
  { id: 'egg', name: '番茄炒蛋', price_mode: 'by_weight', price_fen: 800, per_grams: 500 },
  { id: 'greens', name: '清炒青菜', price_mode: 'by_weight', price_fen: 600, per_grams: 500 },
];

interface Box {
  url: string;
  db: Db;
  dataDir: string;
  clock: { t: number };
  records: RecordsModule;
  canteen: CanteenModule;
  book: AlertBook;
  bus: EventBus;
  /** while true the outbox refuses the records (as over its budget) */
  gate: { refuse: boolean };
  headers: Record<'kitchen' | 'supervisor' | 'facility', Record<string, string>>;
  close(): Promise<void>;
}

let box: Box | undefined;
afterEach(async () => {
  await box?.close();
  box = undefined;
});

async function startBox(foodSafety: Record<string, unknown>, opts: { dataDir?: string; canteen?: Record<string, unknown> } = {}): Promise<Box> {
  const dataDir = opts.dataDir ?? path.join(mkdtempSync(path.join(os.tmpdir(), 'kitchen-records-')), 'data');
  const logger = createLogger(process.env.KR_LOG ?? 'silent');
  const db = openDatabase(dataDir);
  const clock = { t: at('07:30') };
  const now = () => clock.t;
  const bus = new EventBus();
  const metrics = new Metrics();
  const live = new LiveState(bus);
  const outbox = new Outbox(db, 'test-box');
  const canteen = new CanteenModule({ db, dataDir, bus, logger, cfg: canteenConfigSchema.parse(opts.canteen ?? {}), put: (s, p, k) => outbox.append(s, p, { key: k }), timeZone: TZ, now });
  await canteen.start();
  const book = new AlertBook({ db, dataDir, bus, put: (payload, key) => outbox.append('alerts', payload, { key }), onPutError: () => {}, now });
  const gate = { refuse: false };
  const put = (s: 'events', p: unknown, k: string) => (gate.refuse ? Promise.reject(new OutboxRefused(s, 'events over budget')) : outbox.append(s, p, { key: k }));
  const records = new RecordsModule({
    db,
    cfg: foodSafetyConfigSchema.parse(foodSafety),
    canteen,
    bus,
    raise: book.raise,
    put,
    logger,
    timeZone: TZ,
    now,
    weights: stationWeights(canteen.cfg.stations, live),
    resolveAlert: book.resolveByKey,
    tickMs: 3_600_000, // the test calls tick() itself
  });
  records.start();

  const auth = new Auth({ db, settings: authSettings(authConfigSchema.parse({}), path.join(dataDir, 'gateway.yaml')), targets: new Map(), bus, logger });
  const headers = {} as Box['headers'];
  for (const role of ['kitchen', 'supervisor', 'facility'] as const) {
    const account = auth.store.account(`t-${role}`) ?? (await auth.store.addAccount(`t-${role}`, role, `pw-${role}-0123456789`));
    headers[role] = { authorization: `Bearer ${auth.store.createSession({ kind: 'staff', account, ttlMs: 3_600_000 }).token}` };
  }
  const app: FastifyInstance = await createApp({ auth, logger, tracker: new DeviceTracker(bus, metrics), metrics, live, stores: [], kioskFiles: new Map(), areas: [records.routes] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`,
    db,
    dataDir,
    clock,
    records,
    canteen,
    book,
    bus,
    gate,
    headers,
    async close() {
      await app.close();
      await records.stop();
      await canteen.stop();
      auth.stop();
      db.close();
    },
  };
}

async function call(method: string, url: string, body?: unknown, as: 'kitchen' | 'supervisor' | 'facility' | null = 'kitchen') {
  const res = await fetch(box!.url + url, {
    method,
    headers: { ...(as ? box!.headers[as] : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

const alerts = (type: string) => box!.book.list({ type }).reverse();
const outboxEvents = () =>
  (box!.db.prepare("SELECT payload FROM outbox_records WHERE stream = 'events' ORDER BY seq").all() as { payload: string }[]).map((r) => JSON.parse(r.payload) as { type: string; id: string });
const setClock = (t: number) => {
  box!.clock.t = t;
  box!.records.tick();
};

/** Three dishes, all on the lunch menu of the test day. */
async function withMenu() {
  const catalog = box!.canteen.catalog;
  for (const d of DISHES) await catalog.create(d);
  await catalog.setMenu('2026-11-24', 'lunch', ['pork', 'egg', 'greens'], '2026-11-24');
}

describe('morning checks', () => {
  it('passes or fails on the server: temperature over the limit, any symptom, a hand wound, any attire item not in order', () => {
    const rules = foodSafetyConfigSchema.parse({}).morning_check;
    expect(checkFailures(36.6, ALL_CLEAR, rules)).toEqual([]);
    expect(checkFailures(37.3, ALL_CLEAR, rules)).toEqual([]);
    expect(checkFailures(37.4, ALL_CLEAR, rules)).toEqual(['temperature']);
    expect(checkFailures(36.5, { ...ALL_CLEAR, hand_wound: true }, rules)).toEqual(['hand_wound']);
    expect(checkFailures(36.5, { ...ALL_CLEAR, diarrhoea: true, mask: false, no_jewellery: false }, rules)).toEqual(['diarrhoea', 'mask', 'no_jewellery']);
    expect(checkFailures(38.1, { ...ALL_CLEAR, fever: true, cap: false }, { ...rules, max_temperature_c: 37.0 })).toEqual(['temperature', 'fever', 'cap']);
  });

  it('records a passed check with the signature; a failed one raises a critical alert and takes the person off the kitchen today', async () => {
    box = await startBox({ morning_check: { staff: STAFF } });
    const updates: KitchenRecordsMsg[] = [];
    box.bus.on('records:update', (m) => updates.push(m));

    const ok = await call('POST', '/api/kitchen/checks', { staffId: 'wang', temperatureC: 36.5, answers: ALL_CLEAR });
    expect(ok).toMatchObject({ status: 201, body: { staffId: 'wang', staffName: '王师傅', passed: true, failures: [], checkedBy: 't-kitchen', checkedAt: at('07:30'), day: '2026-11-24' } });
    expect(updates.at(-1)!.staff.find((s) => s.id === 'wang')!.status).toBe('passed');

    box.clock.t = at('07:35');
    const failed = await call('POST', '/api/kitchen/checks', { staffId: 'li', temperatureC: 37.9, answers: { ...ALL_CLEAR, mask: false } });
    expect(failed).toMatchObject({ status: 201, body: { passed: false, failures: ['temperature', 'mask'] } });
    const raised = alerts('morning_check_failed');
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ severity: 'critical', state: 'open' });
    expect(raised[0]!.message).toContain('李阿姨');
    expect(raised[0]!.message).toContain('37.9');

    const today = (await call('GET', '/api/kitchen/records/today')).body as KitchenRecordsMsg;
    expect(today.staff.map((s) => [s.id, s.status])).toEqual([
      ['wang', 'passed'],
      ['li', 'failed'],
      ['zhao', 'due'],
    ]);
    expect(outboxEvents().filter((e) => e.type === 'morning-check').map((e) => e.id)).toEqual([ok.body.id, failed.body.id]);
  });

  it('keeps a failed check for the day: kitchen staff cannot replace it; a supervisor corrects it with a note, the first check kept as history', async () => {
    box = await startBox({ morning_check: { staff: STAFF } });
    const first = await call('POST', '/api/kitchen/checks', { staffId: 'li', temperatureC: 38.3, answers: ALL_CLEAR });
    expect(first.body.passed).toBe(false);

    const retry = await call('POST', '/api/kitchen/checks', { staffId: 'li', temperatureC: 36.4, answers: ALL_CLEAR });
    expect(retry.status).toBe(409);
    expect(retry.body.error).toContain('off the kitchen today');
    expect((await call('POST', '/api/kitchen/checks', { staffId: 'li', temperatureC: 36.4, answers: ALL_CLEAR }, 'supervisor')).body.error).toBe('note: correcting a failed check needs a note saying why');

    const fixed = await call('POST', '/api/kitchen/checks', { staffId: 'li', temperatureC: 36.4, answers: ALL_CLEAR, note: '体温录入错误，复测 36.4' }, 'supervisor');
    expect(fixed).toMatchObject({ status: 201, body: { passed: true, checkedBy: 't-supervisor' } });
    const day = (await call('GET', '/api/kitchen/records?date=2026-11-24')).body as KitchenRecordsMsg;
    expect(day.checks.map((c) => [c.id, c.passed, c.supersededBy])).toEqual([
      [first.body.id, false, fixed.body.id],
      [fixed.body.id, true, null],
    ]);
    expect(day.staff.find((s) => s.id === 'li')!.status).toBe('passed');

    // a passed check may be re-done by kitchen staff; the earlier one stays as history
    const again = await call('POST', '/api/kitchen/checks', { staffId: 'li', temperatureC: 36.6, answers: { ...ALL_CLEAR, cap: false } });
    expect(again.body.passed).toBe(false);
    expect((await call('GET', '/api/kitchen/records?date=2026-11-24')).body.checks).toHaveLength(3);
  });

  it('raises morning_check_missing per person at due_by exactly once, not before, not again after a resolve or a restart', async () => {
    box = await startBox({ morning_check: { staff: STAFF, due_by: '08:00' } });
    await call('POST', '/api/kitchen/checks', { staffId: 'wang', temperatureC: 36.5, answers: ALL_CLEAR });
    setClock(at('07:59'));
    expect(alerts('morning_check_missing')).toEqual([]);

    setClock(at('08:00'));
    const raised = alerts('morning_check_missing');
    expect(raised.map((a) => a.message)).toEqual(['晨检缺失：李阿姨 截至 08:00 未做晨检', '晨检缺失：赵师傅 截至 08:00 未做晨检']);
    expect(raised.every((a) => a.severity === 'warning')).toBe(true);
    expect(box.records.today().staff.map((s) => s.status)).toEqual(['passed', 'missing', 'missing']);

    box.book.resolve(raised[0]!.id, 't-supervisor', '已电话联系，今日休假');
    setClock(at('08:05'));
    setClock(at('11:00'));
    expect(alerts('morning_check_missing')).toHaveLength(2);

    // the same database after a restart: still once
    const { dataDir } = box;
    await box.close();
    box = await startBox({ morning_check: { staff: STAFF, due_by: '08:00' } }, { dataDir });
    setClock(at('09:00'));
    expect(alerts('morning_check_missing')).toHaveLength(2);

    // the next working day is a new day
    setClock(at('08:00', '2026-11-25'));
    expect(alerts('morning_check_missing')).toHaveLength(5);
  });

  it('keeps a person who failed off duty across days until a supervisor records the clearance', async () => {
    box = await startBox({ morning_check: { staff: STAFF } });
    const failed = await call('POST', '/api/kitchen/checks', { staffId: 'li', temperatureC: 36.5, answers: { ...ALL_CLEAR, diarrhoea: true } });
    expect(failed.body.passed).toBe(false);
    // the next day: a passing check does not put her back on duty
    setClock(at('07:20', '2026-11-25'));
    expect(box.records.today().staff.find((s) => s.id === 'li')).toMatchObject({ status: 'off_duty', offDuty: { checkId: failed.body.id, day: '2026-11-24', failures: ['diarrhoea'] } });
    const next = await call('POST', '/api/kitchen/checks', { staffId: 'li', temperatureC: 36.5, answers: ALL_CLEAR });
    expect(next).toMatchObject({ status: 201, body: { passed: true } });
    expect(box.records.today().staff.find((s) => s.id === 'li')!.status).toBe('off_duty');
    // kitchen staff cannot clear her; a supervisor must, with a note; an unknown person is 404
    expect((await call('POST', '/api/kitchen/staff/li/clear', { note: '已痊愈' })).status).toBe(403);
    expect((await call('POST', '/api/kitchen/staff/li/clear', { note: '' }, 'supervisor')).status).toBe(400);
    expect((await call('POST', '/api/kitchen/staff/nobody/clear', { note: 'x' }, 'supervisor')).status).toBe(404);
    expect((await call('POST', '/api/kitchen/staff/wang/clear', { note: 'x' }, 'supervisor')).status).toBe(409);
    const cleared = await call('POST', '/api/kitchen/staff/li/clear', { note: '就医确诊肠胃炎已痊愈，医院证明已存档' }, 'supervisor');
    expect(cleared).toMatchObject({ status: 201, body: { staffId: 'li', checkId: failed.body.id, clearedBy: 't-supervisor', clearedAt: at('07:20', '2026-11-25') } });
    expect(box.records.today().staff.find((s) => s.id === 'li')).toMatchObject({ status: 'passed', offDuty: null });
    expect((await call('POST', '/api/kitchen/staff/li/clear', { note: 'again' }, 'supervisor')).status).toBe(409);
    expect(outboxEvents().filter((e) => e.type === 'staff-cleared').map((e) => e.id)).toEqual([cleared.body.id]);
  });

  it('closes the 晨检缺失 alert itself when the check is recorded', async () => {
    box = await startBox({ morning_check: { staff: STAFF, due_by: '08:00' } });
    setClock(at('08:00'));
    expect(alerts('morning_check_missing').map((a) => a.state)).toEqual(['open', 'open', 'open']);
    box.clock.t = at('08:10');
    await call('POST', '/api/kitchen/checks', { staffId: 'li', temperatureC: 36.5, answers: ALL_CLEAR });
    const li = alerts('morning_check_missing').find((a) => a.message.includes('李阿姨'))!;
    expect(li).toMatchObject({ state: 'resolved', resolvedBy: 't-kitchen' });
    expect(alerts('morning_check_missing').filter((a) => a.state === 'open')).toHaveLength(2);
  });

  it('checks in nobody without a valid health certificate, and reminds 30 days before it expires (Food Safety Law art. 45)', async () => {
    box = await startBox({
      morning_check: {
        staff: [
          { id: 'wang', name: '王师傅', health_certificate: { number: 'JKZ-1', expires: '2026-12-24' } }, // 30 days after 11-24
          { id: 'li', name: '李阿姨', health_certificate: { number: 'JKZ-2', expires: '2026-11-23' } }, // expired yesterday
          { id: 'zhao', name: '赵师傅' }, // none on record
        ],
      },
    });
    setClock(at('07:30'));
    const expired = await call('POST', '/api/kitchen/checks', { staffId: 'li', temperatureC: 36.5, answers: ALL_CLEAR });
    expect(expired.status).toBe(409);
    expect(expired.body.error).toContain('JKZ-2 expired on 2026-11-23');
    const none = await call('POST', '/api/kitchen/checks', { staffId: 'zhao', temperatureC: 36.5, answers: ALL_CLEAR });
    expect(none.status).toBe(409);
    expect(none.body.error).toContain('no health certificate (健康证)');
    expect((await call('POST', '/api/kitchen/checks', { staffId: 'wang', temperatureC: 36.5, answers: ALL_CLEAR })).status).toBe(201);
    expect(box.records.today().staff.map((s) => [s.id, s.healthCertificate.state, s.healthCertificate.daysLeft])).toEqual([
      ['wang', 'expiring', 30],
      ['li', 'expired', -1],
      ['zhao', 'missing', null],
    ]);
    expect(alerts('health_certificate_expiring').map((a) => a.message)).toEqual(['健康证即将到期：王师傅 的健康证（JKZ-1）将于 2026-12-24 到期，还剩 30 天（提前 30 天提醒）']);
    expect(alerts('health_certificate_invalid').map((a) => [a.severity, a.message])).toEqual([
      ['critical', '健康证已过期：李阿姨 的健康证（JKZ-2）已于 2026-11-23 到期，不得上岗'],
      ['critical', '健康证缺失：赵师傅 没有登记健康证，不得上岗'],
    ]);
    setClock(at('09:00', '2026-11-25'));
    expect(alerts('health_certificate_expiring')).toHaveLength(1); // once per certificate
  });

  it('expects nobody on a day off', async () => {
    box = await startBox({ morning_check: { staff: STAFF, working_days: ['mon', 'tue', 'wed', 'thu', 'fri'] } });
    setClock(at('09:00', '2026-11-28')); // a Saturday
    expect(alerts('morning_check_missing')).toEqual([]);
    expect(box.records.today().staff).toEqual([]);
  });
});

describe('food samples', () => {
  it('records a sample per dish and meal; an underweight one raises sample_underweight and does not count', async () => {
    box = await startBox({ samples: { cabinets: [{ id: 'c1', name: '1 号留样柜' }, { id: 'c2' }] } });
    await withMenu();
    box.clock.t = at('10:40');
    const pork = await call('POST', '/api/kitchen/samples', { dishId: 'pork', grams: 130, cabinet: 'c1' });
    expect(pork).toMatchObject({ status: 201, body: { dishName: '红烧肉', meal: 'lunch', day: '2026-11-24', grams: 130, underweight: false, source: 'typed', cabinet: 'c1', takenBy: 't-kitchen', takenAt: at('10:40'), retainUntil: at('10:40') + 48 * 3_600_000 } });
    const light = await call('POST', '/api/kitchen/samples', { dishId: 'egg', grams: 100, cabinet: 'c2', meal: 'lunch' });
    expect(light).toMatchObject({ status: 201, body: { underweight: true, minGrams: 125 } });
    const raised = alerts('sample_underweight');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.message).toContain('番茄炒蛋');
    expect(raised[0]!.message).toContain('100 g');

    const lunch = box.records.today().meals.find((m) => m.meal === 'lunch')!;
    expect(lunch.missing.map((d) => d.dishId)).toEqual(['egg', 'greens']);
    expect(outboxEvents().filter((e) => e.type === 'food-sample').map((e) => e.id)).toEqual([pork.body.id, light.body.id]);
  });

  it('holds a site minimum of 150 g', async () => {
    box = await startBox({ samples: { min_grams: 150 } });
    await withMenu();
    expect((await call('POST', '/api/kitchen/samples', { dishId: 'pork', grams: 140 })).body).toMatchObject({ underweight: true, minGrams: 150 });
    expect((await call('POST', '/api/kitchen/samples', { dishId: 'egg', grams: 150 })).body).toMatchObject({ underweight: false, minGrams: 150 });
    expect(alerts('sample_underweight').map((a) => a.message)).toEqual([expect.stringContaining('应不少于 150 g')]);
    expect(() => foodSafetyConfigSchema.parse({ samples: { min_grams: 100 } })).toThrow(/125/);
  });

  it('names the dishes of a meal still without a sample once, due_after_meal_minutes after the meal ends', async () => {
    box = await startBox({ samples: { due_after_meal_minutes: 30, meal_ends: { lunch: '13:30' } } });
    await withMenu();
    box.clock.t = at('11:00');
    await call('POST', '/api/kitchen/samples', { dishId: 'pork', grams: 130, meal: 'lunch' });
    await call('POST', '/api/kitchen/samples', { dishId: 'egg', grams: 90, meal: 'lunch' });

    setClock(at('13:59'));
    expect(alerts('sample_missing')).toEqual([]);
    expect(box.records.today().meals.find((m) => m.meal === 'lunch')).toMatchObject({ overdue: false, dueAt: at('14:00') });

    setClock(at('14:00'));
    const raised = alerts('sample_missing');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.message).toContain('番茄炒蛋、清炒青菜');
    expect(raised[0]!.message).not.toContain('红烧肉');
    expect(box.records.today().meals.find((m) => m.meal === 'lunch')).toMatchObject({ overdue: true });
    setClock(at('14:30'));
    expect(alerts('sample_missing')).toHaveLength(1);
    // breakfast and dinner have no menu: nothing can be missing
    setClock(at('23:00'));
    expect(alerts('sample_missing')).toHaveLength(1);
  });

  it('reminds once when the 48 h retention has passed; a sample is discarded only then, with who and when', async () => {
    box = await startBox({});
    await withMenu();
    box.clock.t = at('11:00');
    const a = (await call('POST', '/api/kitchen/samples', { dishId: 'pork', grams: 130, meal: 'lunch' })).body;
    const b = (await call('POST', '/api/kitchen/samples', { dishId: 'egg', grams: 140, meal: 'lunch' })).body;
    const c = (await call('POST', '/api/kitchen/samples', { dishId: 'greens', grams: 135, meal: 'lunch' })).body;

    setClock(a.retainUntil - 60_000);
    expect(alerts('sample_retention_due')).toEqual([]);
    const early = await call('POST', `/api/kitchen/samples/${a.id}/discard`);
    expect(early.status).toBe(409);
    expect(early.body.error).toContain('must be kept 48 h');

    setClock(at('11:00', '2026-11-26') + 2 * 60_000);
    const raised = alerts('sample_retention_due');
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ severity: 'info' });
    expect(raised[0]!.message).toContain('红烧肉、番茄炒蛋、清炒青菜');
    expect(box.records.today().retentionDue.map((s) => s.id)).toEqual([a.id, b.id, c.id]);
    setClock(at('12:00', '2026-11-26'));
    expect(alerts('sample_retention_due')).toHaveLength(1);

    const done = await call('POST', `/api/kitchen/samples/${a.id}/discard`, undefined, 'supervisor');
    expect(done).toMatchObject({ status: 200, body: { discardedBy: 't-supervisor', discardedAt: at('12:00', '2026-11-26') } });
    expect((await call('POST', `/api/kitchen/samples/${a.id}/discard`)).status).toBe(409);
    expect((await call('POST', '/api/kitchen/samples/fs-nope/discard')).status).toBe(404);
    expect(box.records.today().retentionDue.map((s) => s.id)).toEqual([b.id, c.id]);
    expect(outboxEvents().filter((e) => e.type === 'food-sample-discarded').map((e) => e.id)).toEqual([a.id]);
  });

  it('takes the weight from the scale station: stable readings only, the container tare off a gross reading', async () => {
    box = await startBox(
      { samples: { scale_station: 's1', container_tare_g: 40 } },
      { canteen: { stations: [{ id: 's1', scale: 'sample-scale', interval_g: 2 }] } },
    );
    await withMenu();
    const weigh = (grams: number, stable: boolean, net = false) => box!.bus.emit('scale:weight', { deviceId: 'sample-scale', at: box!.clock.t, grams, stable, net, overload: false, underload: false });

    expect((await call('POST', '/api/kitchen/samples', { dishId: 'pork', fromScale: true })).body.error).toBe('the scale of station s1 has sent no weight yet');
    weigh(171, false);
    const moving = await call('POST', '/api/kitchen/samples', { dishId: 'pork', fromScale: true });
    expect(moving).toEqual({ status: 409, body: { error: 'the scale of station s1 is not stable; hold still and try again' } });
    weigh(171, true);
    expect((await call('POST', '/api/kitchen/samples', { dishId: 'pork', fromScale: true })).body).toMatchObject({ grams: 132, source: 'scale', underweight: false });
    weigh(118, true, true);
    expect((await call('POST', '/api/kitchen/samples', { dishId: 'egg', fromScale: true })).body).toMatchObject({ grams: 118, source: 'scale', underweight: true });
    box.clock.t += 5000;
    expect((await call('POST', '/api/kitchen/samples', { dishId: 'egg', fromScale: true })).body.error).toContain('gone quiet');
  });
});

describe('upstream', () => {
  it('offers a record the outbox refused again until it is taken, once', async () => {
    box = await startBox({ morning_check: { staff: STAFF } });
    box.gate.refuse = true;
    const first = (await call('POST', '/api/kitchen/checks', { staffId: 'wang', temperatureC: 38.2, answers: ALL_CLEAR })).body;
    const again = (await call('POST', '/api/kitchen/checks', { staffId: 'wang', temperatureC: 36.2, answers: ALL_CLEAR, note: '复测' }, 'supervisor')).body;
    const settled = () => new Promise((r) => setTimeout(r, 50)); // the outbox answers asynchronously
    await settled();
    setClock(at('07:31'));
    await settled();
    expect(outboxEvents()).toEqual([]);
    expect(box.db.prepare('SELECT queued_at FROM food_morning_checks').all()).toEqual([{ queued_at: null }, { queued_at: null }]);
    box.gate.refuse = false;
    setClock(at('07:32'));
    await expect.poll(() => outboxEvents().length).toBe(2);
    setClock(at('07:33'));
    await settled();
    expect(outboxEvents()).toMatchObject([
      { type: 'morning-check', id: first.id, passed: false, replaces: null, supersededBy: null },
      { type: 'morning-check', id: again.id, passed: true, replaces: first.id },
    ]);
    expect(box.db.prepare('SELECT COUNT(*) AS n FROM food_morning_checks WHERE queued_at IS NOT NULL').get()).toEqual({ n: 2 });
  });
});

describe('the routes', () => {
  it('refuses bad input with 400 and the reason, and writes nothing', async () => {
    box = await startBox({ morning_check: { staff: STAFF }, samples: { cabinets: [{ id: 'c1' }, { id: 'c2' }] } });
    await withMenu();
    const bad = async (url: string, body: unknown) => {
      const r = await call('POST', url, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      return r.body.error as string;
    };
    expect(await bad('/api/kitchen/checks', { staffId: 'nobody', temperatureC: 36.5, answers: ALL_CLEAR })).toBe('staffId: no person "nobody" in food_safety.morning_check.staff (wang, li, zhao)');
    const { jaundice: _, ...unanswered } = ALL_CLEAR;
    expect(await bad('/api/kitchen/checks', { staffId: 'wang', temperatureC: 36.5, answers: unanswered })).toContain('answers.jaundice: not answered');
    expect(await bad('/api/kitchen/checks', { staffId: 'wang', temperatureC: 50, answers: ALL_CLEAR })).toContain('temperatureC must be <= 43');
    expect(await bad('/api/kitchen/checks', { staffId: 'wang', temperatureC: 36.5, answers: { ...ALL_CLEAR, limp: true } })).toContain('must NOT have additional properties');
    expect(await bad('/api/kitchen/checks', { staffId: 'wang', answers: ALL_CLEAR })).toContain("must have required property 'temperatureC'");
    expect(await bad('/api/kitchen/samples', { dishId: 'nope', grams: 130, cabinet: 'c1' })).toBe('dishId: no dish "nope" in the catalog');
    expect(await bad('/api/kitchen/samples', { dishId: 'pork', grams: 130 })).toBe('cabinet: say which cabinet the sample goes in (c1, c2)');
    expect(await bad('/api/kitchen/samples', { dishId: 'pork', grams: 130, cabinet: 'c9' })).toContain('no cabinet "c9"');
    expect(await bad('/api/kitchen/samples', { dishId: 'pork', cabinet: 'c1' })).toContain('grams: the sample\'s weight is needed');
    expect(await bad('/api/kitchen/samples', { dishId: 'pork', grams: 130, fromScale: true, cabinet: 'c1' })).toBe('give either grams (typed) or fromScale: true, not both');
    expect(await bad('/api/kitchen/samples', { dishId: 'pork', fromScale: true, cabinet: 'c1' })).toContain('no scale station is configured');
    expect(await bad('/api/kitchen/samples', { dishId: 'pork', grams: 0, cabinet: 'c1' })).toContain('grams must be >= 1');
    expect(await bad('/api/kitchen/samples', { dishId: 'pork', grams: 130, cabinet: 'c1', date: '2026-11-01', meal: 'lunch' })).toContain('today or for yesterday');
    expect(await bad('/api/kitchen/samples', { dishId: 'pork', grams: 130, cabinet: 'c1', meal: 'supper' })).toContain('meal must be equal to one of the allowed values');
    const q = await call('GET', '/api/kitchen/records?date=2026-02-30');
    expect(q).toEqual({ status: 400, body: { error: 'date "2026-02-30" is not a calendar date YYYY-MM-DD' } });
    expect((await call('GET', '/api/kitchen/records?date=yesterday')).status).toBe(400);

    const today = box.records.today();
    expect([today.checks, today.samples]).toEqual([[], []]);
    expect(outboxEvents()).toEqual([]);
  });

  it('lets kitchen staff and supervisors in; facility staff get 403, nobody signed in 401', async () => {
    box = await startBox({ morning_check: { staff: STAFF } });
    expect((await call('GET', '/api/kitchen/records/today', undefined, 'supervisor')).status).toBe(200);
    for (const [method, url, body] of [
      ['GET', '/api/kitchen/records/today', undefined],
      ['GET', '/api/kitchen/records?date=2026-11-24', undefined],
      ['POST', '/api/kitchen/checks', { staffId: 'wang', temperatureC: 36.5, answers: ALL_CLEAR }],
      ['POST', '/api/kitchen/samples', { dishId: 'pork', grams: 130 }],
      ['POST', '/api/kitchen/samples/x/discard', undefined],
    ] as const) {
      expect((await call(method, url, body, 'facility')).status, `${method} ${url}`).toBe(403);
      expect((await call(method, url, body, null)).status, `${method} ${url}`).toBe(401);
    }
    expect(box.records.today().checks).toEqual([]);
  });
});
