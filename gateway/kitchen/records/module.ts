// Daily food-safety records in the running gateway: morning checks and food
// samples written to SQLite and handed to the outbox, alerts raised through the
// alert book, reminders (missing checks, missing samples, retention) on a timer
// driven by an injected clock, and today's board pushed to whoever listens.
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { MenuPort, StationWeights } from '../../canteen/ports.ts';
import { CanteenError } from '../../canteen/errors.ts';
import { addDays, isDate, localDay } from '../../canteen/meals.ts';
import type { EventBus } from '../../bus/event-bus.ts';
import type { Logger } from '../../log.ts';
import type { RaiseAlert, RaiseAlertFn, ResolveAlertByKeyFn } from '../alerts.ts';
import type { Meal } from '../../wire/canteen.ts';
import type { FoodSampleMsg, KitchenRecordsMsg, MealSamplesMsg, MorningCheckMsg, StaffClearanceMsg, StaffDayMsg } from '../../wire/kitchen.ts';
import type { Db } from '../../store/sqlite.ts';
import type { CheckItem, FoodSafetyConfig } from './config.ts';
import type { Actor, CheckInput, SampleInput } from './inputs.ts';
import { foodSafetyIssues } from './config.ts';
import { recordsRoutes } from './routes.ts';
import { MEAL_ZH, answerProblems, checkFailures, failureText, localTime, samplesDueAt, weekday } from './rules.ts';
import { RecordsStore } from './store.ts';
import { HEALTH_CERT_WARN_DAYS, StaffStanding, healthCertificate } from './staff.ts';

/** The outbox's durable put; resolves once the record is on disk, rejects when refused. */
export type PutFn = (stream: 'events', payload: unknown, key: string) => Promise<unknown>;

export interface RecordsOptions {
  db: Db;
  cfg: FoodSafetyConfig;
  canteen: MenuPort;
  /** where today's board goes after every change (records:update) */
  bus: EventBus;
  raise: RaiseAlertFn;
  put: PutFn;
  logger: Logger;
  timeZone: string;
  now?: () => number;
  /** the latest weight on a station's scale, rounded to its interval (the canteen's StationWeights) */
  weights?: StationWeights;
  tickMs?: number;
  /** resolves a reminder alert by its dedupe key (the kitchen alert book): a recorded check closes its 晨检缺失 alert */
  resolveAlert?: ResolveAlertByKeyFn;
}

const MEALS: Meal[] = ['breakfast', 'lunch', 'dinner'];
/** A scale reading older than this is not a sample's weight (the same limit the checkout uses). */
const STALE_READING_MS = 3000;
const ALERT_RULE = 'food_safety';

/** What goes upstream for a sample when it is taken, and when it is discarded. */
const sampleRecord = (s: FoodSampleMsg) => ({ type: 'food-sample', ...s, discardedAt: null, discardedBy: null });
const discardRecord = (s: FoodSampleMsg) => ({ type: 'food-sample-discarded', ...s });

export class RecordsModule {
  readonly store: RecordsStore;
  readonly standing: StaffStanding;
  private readonly now: () => number;
  private readonly timeZone: string;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** outbox keys being handed over now, and those the outbox refused before (logged once) */
  private readonly handing = new Set<string>();
  private readonly refused = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private published = '';

  private readonly db: Db;
  readonly cfg: FoodSafetyConfig;
  private readonly canteen: MenuPort;
  private readonly bus: EventBus;
  private readonly raise: RaiseAlertFn;
  private readonly put: PutFn;
  private readonly logger: Logger;

  constructor(private readonly opts: RecordsOptions) {
    const { db, cfg, canteen } = opts;
    this.db = db;
    this.cfg = cfg;
    this.canteen = canteen;
    this.bus = opts.bus;
    this.raise = opts.raise;
    this.put = opts.put;
    this.logger = opts.logger;
    const issues = foodSafetyIssues(cfg, canteen.cfg);
    if (issues.length) throw new Error(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.store = new RecordsStore(db);
    this.standing = new StaffStanding(db);
    this.now = opts.now ?? Date.now;
    this.timeZone = opts.timeZone;
  }

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 15_000);
    this.timer.unref();
    this.logger.info({ staff: this.cfg.morning_check.staff.length, dueBy: this.cfg.morning_check.due_by, minGrams: this.cfg.samples.min_grams }, 'food-safety records ready');
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.allSettled(this.inFlight);
  }

  today(): KitchenRecordsMsg {
    return this.dayRecords(localDay(this.now(), this.timeZone));
  }

  /** The daily log of `date`: who was checked (and replaced checks), the samples, what was missing. */
  dayRecords(date: string): KitchenRecordsMsg {
    if (!isDate(date)) throw new CanteenError(400, `date "${date}" is not a calendar date YYYY-MM-DD`);
    const now = this.now();
    const mc = this.cfg.morning_check;
    const checks = this.store.checks(date);
    const current = new Map(checks.filter((c) => !c.supersededBy).map((c) => [c.staffId, c]));
    const expected = this.isWorkingDay(date) ? mc.staff : [];
    const people = [...expected, ...[...current.values()].filter((c) => !expected.some((s) => s.id === c.staffId)).map((c) => ({ id: c.staffId, name: c.staffName }))];
    const overdue = now >= localTime(date, mc.due_by, this.timeZone);
    const staff: StaffDayMsg[] = people.map((p) => {
      const check = current.get(p.id) ?? null;
      const off = this.standing.offDutyBy(p.id);
      const offDuty = off && off.day <= date ? { checkId: off.id, day: off.day, failures: off.failures } : null;
      const status: StaffDayMsg['status'] = offDuty
        ? offDuty.checkId === check?.id ? 'failed' : 'off_duty'
        : check ? (check.passed ? 'passed' : 'cleared') : overdue ? 'missing' : 'due';
      const cert = mc.staff.find((s) => s.id === p.id)?.health_certificate;
      return { id: p.id, name: p.name, status, check, offDuty, healthCertificate: healthCertificate(cert, date) };
    });
    const samples = this.store.samples(date);
    return {
      date,
      at: now,
      rules: { dueBy: mc.due_by, maxTemperatureC: mc.max_temperature_c, items: mc.items, minGrams: this.cfg.samples.min_grams, retentionHours: this.cfg.samples.retention_hours },
      cabinets: this.cfg.samples.cabinets.map((c) => ({ id: c.id, name: c.name ?? c.id })),
      scaleStation: this.cfg.samples.scale_station ?? null,
      dishes: this.canteen.catalog
        .list()
        .filter((d) => d.active)
        .map((d) => ({ id: d.id, name: d.name })),
      currentMeal: this.canteen.currentMeal().meal,
      staff,
      checks,
      samples,
      meals: MEALS.map((meal) => this.mealSamples(date, meal, samples, now)),
      retentionDue: this.store.retentionDue(now),
    };
  }

  // ── morning checks ──

  recordCheck(input: CheckInput, actor: Actor): MorningCheckMsg {
    const mc = this.cfg.morning_check;
    const person = mc.staff.find((s) => s.id === input.staffId);
    if (!person) throw new CanteenError(400, `staffId: no person "${input.staffId}" in food_safety.morning_check.staff (${mc.staff.map((s) => s.id).join(', ') || 'none configured'})`);
    const problems = answerProblems(input.answers, mc.items);
    if (problems.length) throw new CanteenError(400, problems.join('; '));
    const now = this.now();
    const day = localDay(now, this.timeZone);
    // Food Safety Law art. 45: a food handler works only with a valid health certificate
    const cert = healthCertificate(person.health_certificate, day);
    if (cert.state === 'missing') throw new CanteenError(409, `${person.name} has no health certificate (健康证) on record and cannot be checked in (Food Safety Law art. 45)`);
    if (cert.state === 'expired') throw new CanteenError(409, `${person.name}'s health certificate (健康证) ${cert.number} expired on ${cert.expires}; cannot be checked in until a new one is recorded (Food Safety Law art. 45)`);
    const previous = this.store.currentCheck(day, person.id);
    // A failed check takes the person off the kitchen for the day: only a supervisor may correct it, and says why.
    if (previous && !previous.passed) {
      if (actor.role !== 'supervisor' && actor.role !== 'admin') {
        throw new CanteenError(409, `${person.name} failed today's morning check (${previous.failures.map(failureText).join('、')}) and is off the kitchen today; only a supervisor can correct that record`);
      }
      if (!input.note?.trim()) throw new CanteenError(400, 'note: correcting a failed check needs a note saying why');
    }
    const failures = checkFailures(input.temperatureC, input.answers, mc);
    const check: MorningCheckMsg = {
      id: `mc-${randomBytes(6).toString('hex')}`,
      day,
      staffId: person.id,
      staffName: person.name,
      temperatureC: input.temperatureC,
      answers: Object.fromEntries(mc.items.map((i) => [i, input.answers[i]!])),
      passed: failures.length === 0,
      failures,
      note: input.note?.trim() || null,
      checkedBy: actor.name,
      checkedAt: now,
      supersededBy: null,
    };
    // the record and its outbox entry in one transaction (the outbox's put joins it and is not refused by the disk budget)
    this.db.transaction(() => {
      this.store.addCheck(check);
      this.queue('check', check.id, this.checkRecord(check), check.id);
    }).immediate();
    this.closeMissingAlert(day, person.id, actor.name);
    if (!check.passed) {
      const why = failures.map((f) => (f === 'temperature' ? `${failureText(f)} ${check.temperatureC} °C` : failureText(f))).join('、');
      this.alert({
        type: 'morning_check_failed',
        severity: 'critical',
        message: `晨检不合格：${person.name}（${why}），不得上岗，待主管确认痊愈后复岗`,
        dedupeKey: `morning_check_failed:${day}:${person.id}`,
        details: { name: person.name, failures: failures.join(','), temperature: check.temperatureC },
      });
    }
    this.changed();
    return check;
  }

  /** A supervisor clears a person a failed check took off the kitchen, saying why; until then they stay off duty, across days. */
  clearStaff(staffId: string, note: string, actor: Actor): StaffClearanceMsg {
    const person = this.cfg.morning_check.staff.find((s) => s.id === staffId);
    if (!person) throw new CanteenError(404, `no person "${staffId}" in food_safety.morning_check.staff`);
    if (actor.role !== 'supervisor' && actor.role !== 'admin') throw new CanteenError(409, `only a supervisor can clear ${person.name} for work`);
    if (!note.trim()) throw new CanteenError(400, 'note: say what was found and that it is cured');
    const off = this.standing.offDutyBy(staffId);
    if (!off) throw new CanteenError(409, `${person.name} is not off duty: there is no failed morning check to clear`);
    const cleared = this.db.transaction(() => {
      const c = this.standing.addClearance(staffId, off, note.trim(), actor.name, this.now());
      this.queueClearance(c);
      return c;
    }).immediate();
    this.changed();
    return cleared;
  }

  // ── food samples ──

  recordSample(input: SampleInput, actor: Actor): FoodSampleMsg {
    const s = this.cfg.samples;
    const now = this.now();
    const today = localDay(now, this.timeZone);
    const dish = this.canteen.catalog.get(input.dishId);
    if (!dish) throw new CanteenError(400, `dishId: no dish "${input.dishId}" in the catalog`);
    const current = this.canteen.currentMeal();
    const meal = input.meal ?? current.meal;
    const day = input.date ?? (input.meal === undefined ? current.date : today);
    if (!isDate(day)) throw new CanteenError(400, `date "${day}" is not a calendar date YYYY-MM-DD`);
    if (day > today || day < addDays(today, -1)) throw new CanteenError(400, `date: a sample is taken today or for yesterday's meals; got ${day}, today is ${today}`);
    const cabinet = this.cabinet(input.cabinet);
    const { grams, source } = this.sampleWeight(input, now);
    const sample: FoodSampleMsg = {
      id: `fs-${randomBytes(6).toString('hex')}`,
      day,
      meal,
      dishId: dish.id,
      dishName: dish.name,
      grams,
      source,
      underweight: grams < s.min_grams,
      minGrams: s.min_grams,
      cabinet,
      takenBy: actor.name,
      takenAt: now,
      retainUntil: now + s.retention_hours * 3_600_000,
      discardedAt: null,
      discardedBy: null,
    };
    this.db.transaction(() => {
      this.store.addSample(sample, source === 'scale' ? (s.scale_station ?? null) : null);
      this.queue('sample', sample.id, sampleRecord(sample), sample.id);
    }).immediate();
    if (sample.underweight) {
      this.alert({
        type: 'sample_underweight',
        severity: 'warning',
        message: `留样不足：${dish.name}（${day} ${MEAL_ZH[meal]}）仅 ${grams} g，应不少于 ${s.min_grams} g，请重新留样`,
        details: { dish: dish.name, date: day, meal, grams, min: s.min_grams },
        dedupeKey: `sample_underweight:${sample.id}`,
      });
    }
    this.changed();
    return sample;
  }

  discardSample(id: string, actor: Actor): FoodSampleMsg {
    const sample = this.store.sample(id);
    if (!sample) throw new CanteenError(404, `no sample "${id}"`);
    if (sample.discardedAt !== null) throw new CanteenError(409, `sample ${id} (${sample.dishName}) was discarded already by ${sample.discardedBy}`);
    const now = this.now();
    // Samples are kept refrigerated ≥ 48 h (≥ 125 g per dish): 餐饮服务食品安全操作规范 (2018) on food samples,
    // as DOMAIN.md "Kitchen food safety" gives it; a sample cannot be recorded as discarded before.
    if (now < sample.retainUntil) {
      throw new CanteenError(409, `sample ${id} (${sample.dishName}) must be kept ${this.cfg.samples.retention_hours} h, until ${new Date(sample.retainUntil).toISOString()}`);
    }
    const done = this.db.transaction(() => {
      this.store.discard(id, actor.name, now);
      const d = this.store.sample(id)!;
      this.queue('discard', id, discardRecord(d), `${id}:discarded`);
      return d;
    }).immediate();
    this.changed();
    return done;
  }

  // ── reminders ──

  /** Raises whatever has fallen due (each once), then pushes today's records when they look different. */
  tick(): void {
    try {
      this.handOver();
      this.remindMissingChecks();
      this.remindHealthCertificates();
      this.remindMissingSamples();
      this.remindRetention();
    } catch (err) {
      this.logger.error({ err }, 'food-safety reminders failed; retried at the next tick');
    }
    this.publish(false);
  }

  private remindMissingChecks(): void {
    const mc = this.cfg.morning_check;
    const now = this.now();
    const day = localDay(now, this.timeZone);
    if (!this.isWorkingDay(day) || now < localTime(day, mc.due_by, this.timeZone)) return;
    for (const person of mc.staff) {
      if (this.store.currentCheck(day, person.id)) continue;
      this.once(`morning_check_missing:${day}:${person.id}`, {
        type: 'morning_check_missing',
        severity: 'warning',
        message: `晨检缺失：${person.name} 截至 ${mc.due_by} 未做晨检`,
        details: { name: person.name, dueBy: mc.due_by },
      });
    }
  }

  /** One reminder per person and certificate: 30 days before it expires, and once it is missing or expired. */
  private remindHealthCertificates(): void {
    const today = localDay(this.now(), this.timeZone);
    for (const person of this.cfg.morning_check.staff) {
      const cert = healthCertificate(person.health_certificate, today);
      if (cert.state === 'expiring') {
        this.once(`health_certificate_expiring:${person.id}:${cert.expires}`, {
          type: 'health_certificate_expiring',
          severity: 'warning',
          message: `健康证即将到期：${person.name} 的健康证（${cert.number}）将于 ${cert.expires} 到期，还剩 ${cert.daysLeft} 天（提前 ${HEALTH_CERT_WARN_DAYS} 天提醒）`,
          details: { name: person.name, number: cert.number!, expires: cert.expires!, days: cert.daysLeft! },
        });
      } else if (cert.state !== 'valid') {
        this.once(`health_certificate_invalid:${person.id}:${cert.expires ?? 'none'}`, {
          type: 'health_certificate_invalid',
          severity: 'critical',
          message: cert.state === 'missing' ? `健康证缺失：${person.name} 没有登记健康证，不得上岗` : `健康证已过期：${person.name} 的健康证（${cert.number}）已于 ${cert.expires} 到期，不得上岗`,
          details: { variant: cert.state, name: person.name, number: cert.number ?? '', expires: cert.expires ?? '' },
        });
      }
    }
  }

  /** The 晨检缺失 reminder of the person's day closes itself once the check is recorded. */
  private closeMissingAlert(day: string, staffId: string, by: string): void {
    try {
      this.opts.resolveAlert?.(`morning_check_missing:${day}:${staffId}`, by, '已补做晨检 Morning check recorded');
    } catch (err) {
      this.logger.error({ err, staffId }, 'morning_check_missing alert not closed');
    }
  }

  private remindMissingSamples(): void {
    const now = this.now();
    const today = localDay(now, this.timeZone);
    for (const date of [addDays(today, -1), today]) {
      const samples = this.store.samples(date);
      for (const meal of MEALS) {
        const m = this.mealSamples(date, meal, samples, now);
        if (now < m.dueAt || m.missing.length === 0) continue;
        this.once(`sample_missing:${date}:${meal}`, {
          type: 'sample_missing',
          severity: 'warning',
          message: `留样缺失：${date} ${MEAL_ZH[meal]} ${m.missing.map((d) => d.dishName).join('、')} 未留样（每道菜不少于 ${this.cfg.samples.min_grams} g）`,
          details: { date, meal, dishes: m.missing.map((d) => d.dishName).join('、'), min: this.cfg.samples.min_grams },
        });
      }
    }
  }

  private remindRetention(): void {
    const now = this.now();
    const due = this.store.unremindedRetention(now);
    const groups = new Map<string, FoodSampleMsg[]>();
    for (const s of due) {
      const k = `${s.day}:${s.meal}:${s.cabinet}`;
      groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    for (const [k, list] of groups) {
      const { day, meal, cabinet } = list[0]!;
      const name = this.cfg.samples.cabinets.find((c) => c.id === cabinet)?.name ?? cabinet;
      const raised = this.alert({
        type: 'sample_retention_due',
        severity: 'info',
        message: `留样已满 ${this.cfg.samples.retention_hours} 小时，可处理：${day} ${MEAL_ZH[meal]} ${list.map((s) => s.dishName).join('、')}（${name}）`,
        details: { hours: this.cfg.samples.retention_hours, date: day, meal, dishes: list.map((s) => s.dishName).join('、'), cabinet: name },
        dedupeKey: `sample_retention_due:${k}:${list.map((s) => s.id).join(',')}`,
      });
      if (raised) this.store.markReminded(list.map((s) => s.id), now);
    }
  }

  /** Raises the reminder unless raised before (kept in the database, so a restart or a resolved alert does not repeat it). */
  private once(key: string, a: Omit<RaiseAlert, 'dedupeKey'>): void {
    if (this.store.hasReminder(key)) return;
    if (this.alert({ ...a, dedupeKey: key })) this.store.rememberReminder(key, this.now());
  }

  /** True when the alert book took it (raised or deduplicated); false when raising failed (retried later). */
  private alert(a: RaiseAlert): boolean {
    try {
      this.raise({ camera: null, zone: null, rule: ALERT_RULE, ...a });
      return true;
    } catch (err) {
      this.logger.error({ err, type: a.type }, 'food-safety alert not raised');
      return false;
    }
  }

  // ── helpers ──

  private mealSamples(date: string, meal: Meal, samples: FoodSampleMsg[], now: number): MealSamplesMsg {
    const ids = this.canteen.catalog.menu(date, meal).dishIds;
    const name = (id: string) => this.canteen.catalog.get(id)?.name ?? id;
    const menu = ids?.map((id) => ({ dishId: id, dishName: name(id) })) ?? null;
    const sampled = new Set(samples.filter((s) => s.meal === meal && !s.underweight).map((s) => s.dishId));
    const missing = (menu ?? []).filter((d) => !sampled.has(d.dishId));
    const dueAt = samplesDueAt(date, meal, this.cfg.samples, this.timeZone);
    return { meal, menu, missing, dueAt, overdue: now >= dueAt && missing.length > 0 };
  }

  private isWorkingDay(date: string): boolean {
    return this.cfg.morning_check.working_days.includes(weekday(date));
  }

  private cabinet(given: string | undefined): string {
    const cabinets = this.cfg.samples.cabinets;
    const ids = cabinets.map((c) => c.id).join(', ');
    if (given === undefined) {
      if (cabinets.length === 1) return cabinets[0]!.id;
      throw new CanteenError(400, `cabinet: say which cabinet the sample goes in (${ids})`);
    }
    if (!cabinets.some((c) => c.id === given)) throw new CanteenError(400, `cabinet: no cabinet "${given}" in food_safety.samples.cabinets (${ids})`);
    return given;
  }

  private sampleWeight(input: SampleInput, now: number): { grams: number; source: 'typed' | 'scale' } {
    if (input.fromScale && input.grams !== undefined) throw new CanteenError(400, 'give either grams (typed) or fromScale: true, not both');
    if (!input.fromScale) {
      if (input.grams === undefined) throw new CanteenError(400, 'grams: the sample\'s weight is needed (or fromScale: true to take it from the scale station)');
      return { grams: input.grams, source: 'typed' };
    }
    const stationId = this.cfg.samples.scale_station;
    if (!stationId) throw new CanteenError(400, 'fromScale: no scale station is configured (food_safety.samples.scale_station); type the weight');
    const r = this.opts.weights?.weight(stationId);
    if (!r) throw new CanteenError(409, `the scale of station ${stationId} has sent no weight yet`);
    if (now - r.at > STALE_READING_MS) throw new CanteenError(409, `the scale of station ${stationId} has gone quiet; check it or type the weight`);
    if (r.overload || r.underload) throw new CanteenError(409, `the scale of station ${stationId} is ${r.overload ? 'overloaded' : 'under zero'}`);
    if (!r.stable) throw new CanteenError(409, `the scale of station ${stationId} is not stable; hold still and try again`);
    const shown = r.grams;
    const grams = r.net ? shown : shown - this.cfg.samples.container_tare_g;
    if (grams <= 0) throw new CanteenError(409, `the scale of station ${stationId} shows ${grams} g net; put the sample on it`);
    return { grams, source: 'scale' };
  }

  private changed(): void {
    this.publish(true);
  }

  /** Today's records on the bus after every change (and when a reminder changes what today looks like). */
  private publish(force: boolean): void {
    const m = this.today();
    const text = JSON.stringify({ ...m, at: 0 });
    if (!force && text === this.published) return;
    this.published = text;
    this.bus.emit('records:update', m);
  }

  /** Hands the outbox every record it has not taken yet (refused over budget, or a crash in between); the keys make a repeat harmless. */
  private handOver(): void {
    const { checks, samples, discards } = this.store.unqueued();
    checks.forEach((c) => this.queue('check', c.id, this.checkRecord(c), c.id));
    samples.forEach((s) => this.queue('sample', s.id, sampleRecord(s), s.id));
    discards.forEach((s) => this.queue('discard', s.id, discardRecord(s), `${s.id}:discarded`));
    this.standing.unqueued().forEach((c) => this.queueClearance(c));
  }

  private queueClearance(c: StaffClearanceMsg): void {
    this.queue('clearance', c.id, { type: 'staff-cleared', ...c }, c.id);
  }

  private checkRecord(c: MorningCheckMsg): Record<string, unknown> {
    return { type: 'morning-check', ...c, supersededBy: null, replaces: this.store.replacedCheck(c.id) ?? null };
  }

  private queue(kind: 'check' | 'sample' | 'discard' | 'clearance', id: string, payload: unknown, key: string): void {
    if (this.handing.has(key)) return;
    // Inside the caller's transaction the put writes at once and a failed write throws
    // (rolling the caller back): marked in hand only after, so that a retry of the same
    // key (a discard) is not skipped as in hand for ever.
    const put = this.put('events', payload, key);
    this.handing.add(key);
    const p = put.then(
      () => {
        this.refused.delete(key);
        try {
          if (kind === 'clearance') this.standing.markQueued(id, this.now());
          else this.store.markQueued(kind, id, this.now());
        } catch (err) {
          // only bookkeeping (the outbox has the record): the next hand-over finds it by its key; never an unhandled rejection
          this.logger.warn({ err, record: key }, 'food-safety record taken by the outbox but not marked; marked at the next hand-over');
        }
      },
      (err: unknown) => {
        // Kept in SQLite and offered again every tick; said loudly once.
        if (!this.refused.has(key)) this.logger.error({ err, record: key }, 'food-safety record not taken by the outbox; offered again until it is');
        this.refused.add(key);
      },
    );
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.handing.delete(key);
    });
  }

  routes: FastifyPluginAsync = async (app) => recordsRoutes(app, this);
}
