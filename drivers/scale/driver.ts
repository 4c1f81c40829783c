// One interface for every scale protocol, and the base every driver builds on:
// connection state (connected / lost with a reason / back), counters, the
// stability filter, rounding to the verification interval e, and the poll loop
// of the protocols that ask (MT-SICS, Toledo, Modbus, HX711).
import { EventEmitter } from 'node:events';
import { isWholeInterval, roundToInterval } from './interval.ts';
import type { ScaleReading, StableBy, WeightReading } from './reading.ts';
import { StabilityFilter, type StabilityOptions } from './stability.ts';

/** A protocol's name (the registry, protocols.ts, lists them; drivers do not import it). */
type ScaleProtocol = string;

/** connecting: no answer yet since start; connected: readings arrive; lost: the line is gone or silent. */
export type ScaleLinkState = 'connecting' | 'connected' | 'lost';

export type ScaleStateChange =
  | { state: 'connected'; at: number }
  | { state: 'lost'; reason: string; at: number }
  | { state: 'back'; at: number; lostMs: number };

/** Plain numbers for /metrics and /readyz, counted since `since` (epoch ms). */
export interface ScaleCounters {
  /** frames (lines, replies, Modbus polls, HX711 conversions) that gave a reading or a valid answer */
  good: number;
  /** frames that did not parse: garbage, truncated, over-long, unexpected */
  garbled: number;
  /** requests without an answer within reply_timeout_ms */
  timeouts: number;
  /** answers refusing a request: MT-SICS `I`/`ES`/`EL`, Modbus exceptions */
  refused: number;
  /** times the line was opened (first time and after each loss) */
  opens: number;
  /** times the scale was reported lost */
  losses: number;
  since: number;
}

export interface ScaleDriverEvents {
  reading: [reading: WeightReading];
  /** first contact since start */
  connected: [];
  /** the line went away, could not be opened, or the scale fell silent */
  lost: [reason: string];
  /** contact again after `lost` */
  back: [];
  /** every state change, as one event */
  state: [change: ScaleStateChange];
  /** a frame that was counted as garbled, and why */
  garbled: [frame: string, why: string];
}

export interface ScaleCapabilities {
  zero: boolean;
  tare: boolean;
  presetTare: boolean;
  clearTare: boolean;
}

export interface ScaleDriver extends EventEmitter<ScaleDriverEvents> {
  readonly id: string;
  readonly protocol: ScaleProtocol;
  /** where the scale is, e.g. "/dev/ttyUSB0 9600 7E1" or "tcp://192.168.1.60:4001" */
  readonly description: string;
  readonly state: ScaleLinkState;
  /** the reason of the last loss or failed request */
  readonly lastError: string | undefined;
  readonly counters: ScaleCounters;
  /** the last reading delivered */
  readonly latest: WeightReading | undefined;
  /** whether the scale decides `stable` itself (false: the stability filter does) */
  readonly hasStableFlag: boolean;
  readonly capabilities: ScaleCapabilities;
  start(): void;
  /** stops polling and closes the line; resolves when nothing is in flight */
  stop(): Promise<void>;
  /** subscribes to readings; returns the unsubscribe function */
  onReading(listener: (r: WeightReading) => void): () => void;
  /** subscribes to state changes; returns the unsubscribe function */
  onState(listener: (c: ScaleStateChange) => void): () => void;
  /** sets zero; rejects with ScaleCommandError when the scale refuses, ScaleNotSupported when the protocol cannot */
  zero(): Promise<void>;
  /** tares the weight on the platter; resolves with the tare in grams when the scale reports it */
  tare(): Promise<number | undefined>;
  /** presets a known tare (a tray type) in grams: whole scale intervals d only */
  presetTare(grams: number): Promise<void>;
  clearTare(): Promise<void>;
}

/** The protocol has no such command. */
export class ScaleNotSupported extends Error {
  constructor(
    readonly command: string,
    readonly protocol: ScaleProtocol,
    why?: string,
  ) {
    super(`${command} is not supported by ${protocol}${why ? ` (${why})` : ''}`);
  }
}

/** The scale refused or did not answer a command (in motion, out of range, busy, no reply). */
export class ScaleCommandError extends Error {}

export interface DriverOptions {
  id: string;
  protocol: ScaleProtocol;
  /** reported lost after this long without a good frame */
  silenceMs: number;
  /** how often a polled protocol asks */
  pollMs: number;
  /** the scale division d (grams): preset tares must be whole multiples; undefined = not checked */
  divisionG?: number;
  /** the verification interval e (grams) readings are rounded to; undefined = as the scale sends them */
  intervalG?: number;
  stability: StabilityOptions;
  /** also require the filter when the scale has its own stable flag */
  filterOnTop: boolean;
  /** longest wait between polls while the scale is lost */
  maxBackoffMs?: number;
  now?: () => number;
}

const NO_CAPABILITIES: ScaleCapabilities = { zero: false, tare: false, presetTare: false, clearTare: false };

export abstract class ScaleDriverBase extends EventEmitter<ScaleDriverEvents> implements ScaleDriver {
  readonly id: string;
  readonly protocol: ScaleProtocol;
  abstract readonly description: string;
  abstract readonly hasStableFlag: boolean;
  readonly capabilities: ScaleCapabilities = NO_CAPABILITIES;
  readonly counters: ScaleCounters;
  protected readonly filter: StabilityFilter;
  protected readonly now: () => number;
  protected running = false;
  private linkState: ScaleLinkState = 'connecting';
  private everConnected = false;
  private lostAt = 0;
  private lastErr: string | undefined;
  /** the last failure since the last contact, for the silence message */
  private recentErr: string | undefined;
  private last: WeightReading | undefined;
  private silence: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private sleeper: NodeJS.Timeout | undefined;

  constructor(protected readonly opts: DriverOptions) {
    super();
    this.id = opts.id;
    this.protocol = opts.protocol;
    this.now = opts.now ?? Date.now;
    this.counters = { good: 0, garbled: 0, timeouts: 0, refused: 0, opens: 0, losses: 0, since: this.now() };
    this.filter = new StabilityFilter(opts.stability);
  }

  get state(): ScaleLinkState {
    return this.linkState;
  }

  get lastError(): string | undefined {
    return this.lastErr;
  }

  get latest(): WeightReading | undefined {
    return this.last;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.armSilence();
    this.begin();
    if (this.poll) this.loop = this.pollLoop();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.silence);
    clearTimeout(this.sleeper);
    this.wake?.();
    await this.loop;
    await this.end();
  }

  onReading(listener: (r: WeightReading) => void): () => void {
    this.on('reading', listener);
    return () => this.off('reading', listener);
  }

  onState(listener: (c: ScaleStateChange) => void): () => void {
    this.on('state', listener);
    return () => this.off('state', listener);
  }

  zero(): Promise<void> {
    return Promise.reject(new ScaleNotSupported('zero', this.protocol));
  }

  tare(): Promise<number | undefined> {
    return Promise.reject(new ScaleNotSupported('tare', this.protocol));
  }

  presetTare(_grams: number): Promise<void> {
    return Promise.reject(new ScaleNotSupported('preset tare', this.protocol));
  }

  clearTare(): Promise<void> {
    return Promise.reject(new ScaleNotSupported('clear tare', this.protocol));
  }

  /** opens the line (called by start) */
  protected abstract begin(): void;
  /** closes the line (called by stop, after the poll loop has ended) */
  protected abstract end(): Promise<void>;
  /** one poll of a polled protocol; throw to count a failure */
  protected poll?(): Promise<void>;
  /** false while readings cannot be trusted as stable at all (an uncalibrated load cell) */
  protected stableAllowed(): boolean {
    return true;
  }

  /** whether polling makes sense now (the line is open) */
  protected canPoll(): boolean {
    return true;
  }

  /** A frame became a reading: decide stability, round to e, publish. */
  protected deliver(r: ScaleReading): WeightReading {
    const at = this.now();
    this.counters.good += 1;
    this.contact();
    const weighable = !r.noWeight && !r.overload && !r.underload && Number.isFinite(r.grams);
    let steady = false;
    if (!weighable || (this.hasStableFlag && this.opts.filterOnTop && !r.stable)) {
      this.filter.reset(); // on top of the scale's flag: N readings the scale itself calls stable
    } else if (!this.hasStableFlag || this.opts.filterOnTop) {
      steady = this.filter.push(r.grams, at);
    }
    let stable: boolean;
    let stableBy: StableBy;
    if (!this.hasStableFlag) {
      stable = weighable && steady;
      stableBy = 'filter';
    } else if (this.opts.filterOnTop && r.stable && weighable) {
      stable = steady;
      stableBy = 'filter';
    } else {
      stable = r.stable && weighable;
      stableBy = 'scale';
    }
    if (!this.stableAllowed()) stable = false;
    const e = this.opts.intervalG;
    const grams = e !== undefined && weighable ? roundToInterval(r.grams, e) : r.grams;
    const reading: WeightReading = { ...r, grams, stable, stableBy, at, deviceId: this.id };
    this.last = reading;
    this.emit('reading', reading);
    return reading;
  }

  /** A valid answer without a reading (e.g. MT-SICS `S I`): the scale is there. */
  protected contact(): void {
    this.recentErr = undefined;
    this.armSilence();
    if (this.linkState === 'connected') return;
    const at = this.now();
    const wasLost = this.linkState === 'lost' && this.everConnected;
    this.linkState = 'connected';
    if (wasLost) {
      this.emit('back');
      this.emit('state', { state: 'back', at, lostMs: at - this.lostAt });
    } else {
      this.everConnected = true;
      this.emit('connected');
      this.emit('state', { state: 'connected', at });
    }
  }

  /** The line went away or the scale fell silent. */
  protected lose(reason: string): void {
    this.lastErr = reason;
    this.filter.reset();
    if (this.linkState === 'lost' || !this.running) return;
    this.linkState = 'lost';
    this.lostAt = this.now();
    this.counters.losses += 1;
    this.emit('lost', reason);
    this.emit('state', { state: 'lost', reason, at: this.lostAt });
  }

  protected garble(frame: string, why: string): void {
    this.counters.garbled += 1;
    this.emit('garbled', frame, why);
  }

  protected failed(reason: string): void {
    this.lastErr = reason;
    this.recentErr = reason;
  }

  protected opened(): void {
    this.counters.opens += 1;
  }

  /** A preset tare must be a whole number of scale divisions d. */
  protected checkTare(grams: number): void {
    if (!Number.isFinite(grams) || grams < 0) throw new RangeError(`preset tare ${grams} g: expected a weight ≥ 0`);
    const d = this.opts.divisionG;
    if (d !== undefined && !isWholeInterval(grams, d)) throw new RangeError(`preset tare ${grams} g is not a whole number of scale divisions (d = ${d} g)`);
  }

  /** What the base considers "running": commands are refused after stop(). */
  protected checkRunning(command: string): void {
    if (!this.running) throw new ScaleCommandError(`${command}: the ${this.protocol} scale ${this.id} is stopped`);
  }

  private armSilence(): void {
    clearTimeout(this.silence);
    if (!this.running) return;
    this.silence = setTimeout(() => {
      if (this.linkState !== 'lost') this.lose(`no answer for ${this.opts.silenceMs} ms${this.recentErr ? ` (last: ${this.recentErr})` : ''}`);
    }, this.opts.silenceMs);
    this.silence.unref?.();
  }

  private async pollLoop(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const started = this.now();
      if (this.canPoll()) {
        try {
          await this.poll!();
          failures = 0;
        } catch (err) {
          failures += 1;
          this.failed((err as Error).message);
        }
      }
      if (!this.running) break;
      // While lost, ask less and less often (up to maxBackoffMs); at once back to poll_ms on contact.
      const interval = this.linkState === 'lost' && failures > 1 ? Math.min(this.opts.pollMs * 2 ** Math.min(failures - 1, 16), Math.max(this.opts.maxBackoffMs ?? 5000, this.opts.pollMs)) : this.opts.pollMs;
      await this.sleep(Math.max(0, interval - (this.now() - started)));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleeper = setTimeout(resolve, ms);
    });
  }
}
