// One cold room or fridge: its sensor read every poll_ms; a temperature outside the
// room's limits for excursion_ms, a door open longer than its limit, and a sensor with
// no valid reading for silent_after_ms each raise an alert in the kitchen's alert book
// (which drives the GPIO buzzer and sends it upstream). A silent sensor shows no
// temperature at all — never a 0 °C. Readings go upstream every record_every_ms.
import type { Logger } from '../../log.ts';
import type { RaiseAlertFn } from '../alerts.ts';
import type { ColdRoomStatusMsg } from '../../wire/kitchen-sensors.ts';
import { coldLimits, type ColdRoomConfig } from './config.ts';
import { SensorRefusal, type SensorReader, type SensorSample } from './sources.ts';

export interface ColdRoomDeps {
  cfg: ColdRoomConfig;
  reader: SensorReader;
  raise: RaiseAlertFn;
  /** a record for the outbox stream `events` */
  record: (payload: Record<string, unknown>, key: string) => void;
  logger: Logger;
  now?: () => number;
}

export class ColdRoomWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly startedAt: number;
  private last: (SensorSample & { at: number }) | null = null;
  private excursionSince: number | null = null;
  private doorOpenSince: number | null = null;
  private lastRecordAt = -Infinity;
  private readonly refused: Record<string, number> = {};
  private lastRefusal: string | null = null;
  private readings = 0;
  private polling = false;
  private stopped = false;

  constructor(private readonly deps: ColdRoomDeps) {
    this.now = deps.now ?? Date.now;
    this.startedAt = this.now();
  }

  get id(): string {
    return this.deps.cfg.id;
  }

  start(): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.deps.cfg.poll_ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.deps.reader.close();
  }

  /** One read and the checks after it (the timer calls it; exported for tests with an injected clock). */
  async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const sample = await this.deps.reader.read();
      this.readings++;
      this.lastRefusal = null;
      this.observe(sample);
    } catch (err) {
      const reason = err instanceof SensorRefusal ? err.reason : 'error';
      this.refused[reason] = (this.refused[reason] ?? 0) + 1;
      this.lastRefusal = (err as Error).message;
      this.deps.logger.debug({ room: this.id, reason, err: (err as Error).message }, 'cold-room reading refused');
    } finally {
      this.polling = false;
    }
    this.checkSilence();
  }

  private observe(s: SensorSample): void {
    const { cfg, raise } = this.deps;
    const at = this.now();
    this.last = { ...s, at };
    const { min, max } = coldLimits(cfg);
    const t = s.temperature!;
    const outside = t > max || (min !== null && t < min) || (cfg.max_humidity !== undefined && s.humidity !== undefined && s.humidity > cfg.max_humidity);
    if (outside) {
      this.excursionSince ??= at;
      if (at - this.excursionSince >= cfg.excursion_ms) {
        const limits = min === null ? `≤ ${max} °C` : `${min}–${max} °C`;
        const alert = raise({
          type: 'cold_room_temperature',
          severity: 'critical',
          message: `${cfg.name}：温度 ${t} °C，超出 ${limits}`,
          details: { name: cfg.name, temperature: t, limits },
          zone: cfg.id,
          rule: 'cold_room',
          dedupeKey: `cold-room:${cfg.id}:temperature`,
        });
        if (alert) this.writeRecord(at, 'excursion');
      }
    } else this.excursionSince = null;
    if (s.on) {
      this.doorOpenSince ??= at;
      if (at - this.doorOpenSince >= cfg.door_open_limit_s * 1000) {
        const seconds = Math.round((at - this.doorOpenSince) / 1000);
        raise({
          type: 'cold_room_door_open',
          severity: 'warning',
          message: `${cfg.name}：门已打开 ${seconds} 秒`,
          details: { name: cfg.name, seconds },
          zone: cfg.id,
          rule: 'cold_room',
          dedupeKey: `cold-room:${cfg.id}:door`,
        });
      }
    } else this.doorOpenSince = null;
    if (at - this.lastRecordAt >= cfg.record_every_ms) this.writeRecord(at, 'periodic');
  }

  private checkSilence(): void {
    const { cfg, raise } = this.deps;
    const lastValid = this.last?.at ?? this.startedAt;
    if (this.now() - lastValid < cfg.silent_after_ms) return;
    // unknown is not in limits: the timers of the last known state stop counting
    this.excursionSince = null;
    this.doorOpenSince = null;
    const seconds = Math.round((this.now() - lastValid) / 1000);
    raise({
      type: 'sensor_silent',
      severity: 'critical',
      message: `${cfg.name}：温度传感器 ${seconds} 秒无有效读数`,
      details: { name: cfg.name, seconds },
      zone: cfg.id,
      rule: 'cold_room',
      dedupeKey: `cold-room:${cfg.id}:silent`,
    });
  }

  private writeRecord(at: number, why: 'periodic' | 'excursion'): void {
    const { cfg } = this.deps;
    const { min, max } = coldLimits(cfg);
    const s = this.last!;
    this.lastRecordAt = at;
    this.deps.record(
      { type: 'cold-room-reading', room: cfg.id, name: cfg.name, kind: cfg.kind, at, temperatureC: s.temperature ?? null, humidityPct: s.humidity ?? null, doorOpen: s.on ?? null, minC: min, maxC: max, why },
      `cold-room-reading:${cfg.id}:${at}`,
    );
  }

  status(): ColdRoomStatusMsg {
    const { cfg } = this.deps;
    const now = this.now();
    const { min, max } = coldLimits(cfg);
    const lastValid = this.last?.at ?? null;
    const silent = now - (lastValid ?? this.startedAt) >= cfg.silent_after_ms;
    const fresh = !silent && this.last;
    return {
      id: cfg.id,
      name: cfg.name,
      kind: cfg.kind,
      minC: min,
      maxC: max,
      state: silent ? 'silent' : !this.last ? 'starting' : this.excursionSince !== null ? 'out-of-limits' : 'ok',
      temperatureC: fresh ? (this.last!.temperature ?? null) : null,
      humidityPct: fresh ? (this.last!.humidity ?? null) : null,
      doorOpen: fresh ? (this.last!.on ?? null) : null,
      doorOpenSince: fresh ? this.doorOpenSince : null,
      lastReadingAt: lastValid,
      readings: this.readings,
      refused: { ...this.refused },
      lastRefusal: this.lastRefusal,
      bus: this.deps.reader.counters(),
    };
  }
}
