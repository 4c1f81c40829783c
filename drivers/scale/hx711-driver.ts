// A load cell on an HX711, as a scale: conversions polled from the chip, turned
// into grams with a calibration (offset in counts at zero load, counts per gram)
// kept in a JSON file. The HX711 has no stable flag: the stability filter decides,
// and an uncalibrated cell is never stable. Zero and tare are done here, not in
// the chip. Not a legal-for-trade instrument: for sales use an approved indicator.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ScaleCommandError, ScaleDriverBase, type DriverOptions, type ScaleCapabilities } from './driver.ts';
import { roundToInterval } from './interval.ts';
import { HX711_MAX, HX711_MIN, Hx711, onoffPins, type Hx711Gain, type InputPin, type OutputPin, type PinFactory } from './hx711.ts';

export interface Hx711Calibration {
  /** raw counts with nothing on the platter */
  offset: number;
  /** counts per gram (negative when the cell is wired the other way round) */
  scale: number;
  gain: Hx711Gain;
  saved_at?: string;
}

export interface Hx711Options extends Omit<DriverOptions, 'protocol'> {
  pins: { dout: number; sck: number };
  gain?: Hx711Gain;
  /** where the calibration is kept; without one the cell is uncalibrated until calibrated */
  calibrationFile?: string;
  /** the GPIO pins; default onoffPins() */
  pinFactory?: PinFactory | (() => Promise<PinFactory>);
  /** how long to wait for a conversion (10 SPS: 100 ms) */
  replyTimeoutMs: number;
}

/** Reads and checks a calibration file; undefined when it does not exist. */
export function loadCalibration(file: string): Hx711Calibration | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`calibration file ${file}: ${(err as Error).message}`);
  }
  let c: Partial<Hx711Calibration>;
  try {
    c = JSON.parse(text) as Partial<Hx711Calibration>;
  } catch (err) {
    throw new Error(`calibration file ${file}: not JSON: ${(err as Error).message}`);
  }
  if (typeof c.offset !== 'number' || !Number.isFinite(c.offset)) throw new Error(`calibration file ${file}: "offset" must be a number of counts`);
  if (typeof c.scale !== 'number' || !Number.isFinite(c.scale) || c.scale === 0) throw new Error(`calibration file ${file}: "scale" must be a non-zero number of counts per gram`);
  if (c.gain !== 128 && c.gain !== 64 && c.gain !== 32) throw new Error(`calibration file ${file}: "gain" must be 128, 64 or 32`);
  return { offset: c.offset, scale: c.scale, gain: c.gain, saved_at: c.saved_at };
}

/** Writes the calibration atomically (temporary file, then rename). */
export function saveCalibration(file: string, c: Hx711Calibration): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(c, null, 2)}\n`);
  renameSync(tmp, file);
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export class Hx711Scale extends ScaleDriverBase {
  readonly hasStableFlag = false;
  override readonly capabilities: ScaleCapabilities = { zero: true, tare: true, presetTare: true, clearTare: true };
  readonly gain: Hx711Gain;
  private chip: Hx711 | undefined;
  private pins: (InputPin | OutputPin)[] = [];
  private cal: Hx711Calibration | undefined;
  /** the zero point in counts: the calibration's, moved by zero() */
  private zeroRaw = 0;
  private tareG = 0;
  private settle = 0;
  private rawWaiters: { n: number; got: number[]; resolve: (raws: number[]) => void }[] = [];

  constructor(private readonly hopts: Hx711Options) {
    super({ ...hopts, protocol: 'hx711' });
    this.gain = hopts.gain ?? 128;
    if (hopts.calibrationFile) {
      try {
        this.useCalibration(loadCalibration(hopts.calibrationFile));
      } catch (err) {
        this.failed((err as Error).message);
      }
    }
  }

  get description(): string {
    return `HX711 DOUT GPIO ${this.hopts.pins.dout}, PD_SCK GPIO ${this.hopts.pins.sck}, gain ${this.gain}`;
  }

  get calibration(): Hx711Calibration | undefined {
    return this.cal ? { ...this.cal } : undefined;
  }

  get calibrated(): boolean {
    return this.cal !== undefined;
  }

  get tareGrams(): number {
    return this.tareG;
  }

  protected begin(): void {}

  protected async end(): Promise<void> {
    for (const w of this.rawWaiters) w.resolve([]);
    this.rawWaiters = [];
    if (this.chip) {
      try {
        this.chip.powerDown();
      } catch {
        // closing anyway
      }
    }
    for (const p of this.pins) p.close();
    this.pins = [];
    this.chip = undefined;
  }

  protected override stableAllowed(): boolean {
    return this.cal !== undefined;
  }

  protected override async poll(): Promise<void> {
    if (!this.chip) await this.openPins();
    const chip = this.chip!;
    const deadline = this.now() + this.hopts.replyTimeoutMs;
    while (!chip.isReady()) {
      if (!this.running) return;
      if (this.now() >= deadline) {
        this.counters.timeouts += 1;
        throw new ScaleCommandError(`HX711: no conversion within ${this.hopts.replyTimeoutMs} ms (DOUT stays high: chip unpowered or not wired?)`);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    const raw = chip.readRaw();
    // The conversion after power-up or a gain change was made with the previous gain: drop it.
    if (this.settle > 0) {
      this.settle -= 1;
      return;
    }
    for (const w of this.rawWaiters) w.got.push(raw);
    this.rawWaiters = this.rawWaiters.filter((w) => (w.got.length >= w.n ? (w.resolve(w.got), false) : true));
    const overload = raw >= HX711_MAX;
    const underload = raw <= HX711_MIN;
    const gross = this.toGrams(raw);
    this.deliver({
      grams: Number((gross - this.tareG).toFixed(6)),
      stable: false,
      net: this.tareG !== 0,
      ...(this.tareG !== 0 ? { tare: this.tareG } : {}),
      overload,
      underload,
      raw: `hx711 raw ${raw} (0x${(raw & 0xffffff).toString(16).padStart(6, '0')})${this.cal ? '' : ' uncalibrated'}`,
    });
  }

  /** Sets zero: the mean of `samples` conversions becomes the zero point (not saved; the tare stays). */
  override async zero(): Promise<void> {
    this.checkRunning('zero');
    const raws = await this.steadyRaws('zero');
    this.zeroRaw = mean(raws);
    this.filter.reset();
  }

  /** Tares the weight on the platter, rounded to whole scale divisions d. */
  override async tare(): Promise<number> {
    this.checkRunning('tare');
    if (!this.cal) throw new ScaleCommandError('tare: the HX711 is not calibrated');
    const gross = this.toGrams(mean(await this.steadyRaws('tare')));
    const d = this.opts.divisionG;
    const t = d === undefined ? gross : roundToInterval(gross, d);
    if (t <= 0) throw new ScaleCommandError(`tare not taken: nothing on the platter (${t} g)`);
    this.tareG = t;
    this.filter.reset();
    return t;
  }

  override async presetTare(grams: number): Promise<void> {
    this.checkRunning('preset tare');
    this.checkTare(grams);
    this.tareG = grams;
    this.filter.reset();
  }

  override async clearTare(): Promise<void> {
    this.tareG = 0;
    this.filter.reset();
  }

  /** Calibration step 1, platter empty: the zero offset. Saved to the calibration file. */
  async calibrateZero(samples = 10): Promise<Hx711Calibration> {
    this.checkRunning('calibrate zero');
    const offset = mean(await this.nextRaws(samples));
    this.useCalibration({ offset, scale: this.cal?.scale ?? 1, gain: this.gain });
    return this.persist();
  }

  /** Calibration step 2, a known weight on the platter: counts per gram. Saved to the calibration file. */
  async calibrateSpan(knownGrams: number, samples = 10): Promise<Hx711Calibration> {
    this.checkRunning('calibrate span');
    if (!(knownGrams > 0)) throw new RangeError(`calibration weight ${knownGrams} g: expected > 0`);
    const offset = this.cal?.offset ?? this.zeroRaw;
    const scale = (mean(await this.nextRaws(samples)) - offset) / knownGrams;
    if (!Number.isFinite(scale) || Math.abs(scale) < 1e-6) throw new ScaleCommandError(`calibration: the reading did not change with ${knownGrams} g on the platter (load cell not wired?)`);
    this.useCalibration({ offset, scale, gain: this.gain });
    return this.persist();
  }

  /** The next `n` conversions (from the poll loop, which keeps running). */
  nextRaws(n: number): Promise<number[]> {
    const timeoutMs = n * (this.opts.pollMs + this.hopts.replyTimeoutMs) + 1000;
    return new Promise((resolve, reject) => {
      const waiter = {
        n,
        got: [] as number[],
        resolve: (raws: number[]) => {
          clearTimeout(timer);
          if (raws.length < n) reject(new ScaleCommandError('HX711 stopped'));
          else resolve(raws);
        },
      };
      const timer = setTimeout(() => {
        this.rawWaiters = this.rawWaiters.filter((w) => w !== waiter);
        reject(new ScaleCommandError(`HX711: fewer than ${n} conversions within ${timeoutMs} ms`));
      }, timeoutMs);
      this.rawWaiters.push(waiter);
    });
  }

  private async steadyRaws(what: string): Promise<number[]> {
    const raws = await this.nextRaws(this.opts.stability.samples);
    const grams = raws.map((r) => this.toGrams(r));
    const spread = Math.max(...grams) - Math.min(...grams);
    if (raws.some((r) => r >= HX711_MAX || r <= HX711_MIN)) throw new ScaleCommandError(`${what} not taken: out of range`);
    if (this.cal && spread > 2 * this.opts.stability.toleranceG) {
      throw new ScaleCommandError(`${what} not taken: weight not stable (spread ${Number(spread.toFixed(3))} g over ${raws.length} conversions)`);
    }
    return raws;
  }

  private toGrams(raw: number): number {
    return Number(((raw - this.zeroRaw) / (this.cal?.scale ?? 1)).toFixed(6));
  }

  private useCalibration(c: Hx711Calibration | undefined): void {
    if (c && c.gain !== this.gain) {
      this.failed(`calibration was made at gain ${c.gain}, the HX711 runs at gain ${this.gain}: calibrate again`);
      c = undefined;
    }
    this.cal = c;
    this.zeroRaw = c?.offset ?? 0;
  }

  private persist(): Hx711Calibration {
    const c = { ...this.cal!, saved_at: new Date(this.now()).toISOString() };
    this.cal = c;
    if (this.hopts.calibrationFile) saveCalibration(this.hopts.calibrationFile, c);
    return { ...c };
  }

  private async openPins(): Promise<void> {
    let factory: PinFactory;
    try {
      const f = this.hopts.pinFactory ?? onoffPins;
      factory = typeof f === 'function' ? await f() : f;
      const dout = factory.input(this.hopts.pins.dout);
      this.pins.push(dout);
      const sck = factory.output(this.hopts.pins.sck);
      this.pins.push(sck);
      this.chip = new Hx711(dout, sck, this.gain);
    } catch (err) {
      for (const p of this.pins) p.close();
      this.pins = [];
      this.lose((err as Error).message);
      throw err;
    }
    this.chip.powerUp();
    this.settle = 1;
    this.opened();
  }
}
