// A fake HX711 behind the PinFactory interface: the lowest layer, so the real
// bit-banging code (hx711.ts) runs against it. It behaves as the datasheet says:
// DOUT high while converting and low when a conversion is ready; on each rising
// edge of PD_SCK the next bit (MSB first) appears on DOUT; after the 24th bit
// DOUT goes high; the number of pulses (25, 26, 27) sets the channel and gain of
// the NEXT conversion (power-up default: channel A, gain 128).
import type { InputPin, OutputPin, PinFactory } from '../../../drivers/scale/hx711.ts';

export type Hx711Channel = 'A128' | 'B32' | 'A64';

const BY_PULSES: Record<number, Hx711Channel> = { 25: 'A128', 26: 'B32', 27: 'A64' };

export interface FakeHx711Options {
  dout: number;
  sck: number;
  /** the conversion result (signed, clamped to 24 bits) for the channel in effect */
  source: (channel: Hx711Channel) => number;
  /** time from the end of one readout to the next conversion being ready (10 SPS: 100 ms) */
  conversionMs?: number;
  now?: () => number;
}

export interface Readout {
  /** the value shifted out (signed) */
  value: number;
  /** PD_SCK pulses in this readout */
  pulses: number;
  /** the channel the pulses selected for the next conversion */
  next: Hx711Channel | 'invalid';
}

export class FakeHx711 implements PinFactory {
  readonly description = 'fake HX711';
  /** the channel of the conversion being made */
  channel: Hx711Channel = 'A128';
  /** pulses that came while no conversion was ready, or more than 27 */
  violations = 0;
  /** the conversion result for the channel in effect; may be replaced at any time */
  source: (channel: Hx711Channel) => number;
  /** time from the end of one readout to the next conversion being ready */
  conversionMs: number;
  /** true: no conversion completes (DOUT stays high), as with the chip unpowered */
  stalled = false;
  private readonly done: Readout[] = [];
  private sckHigh = false;
  private pulses = 0;
  private latched = 0;
  private dout: 0 | 1 = 1;
  private readyAt: number;
  private readonly now: () => number;
  private opened = { dout: 0, sck: 0, closed: 0 };

  constructor(readonly opts: FakeHx711Options) {
    this.now = opts.now ?? Date.now;
    this.source = opts.source;
    this.conversionMs = opts.conversionMs ?? 0;
    this.readyAt = this.now() + this.conversionMs;
  }

  /** readouts finished so far */
  get readouts(): Readout[] {
    this.finish();
    return [...this.done];
  }

  get pins(): { dout: number; sck: number; closed: number } {
    return { ...this.opened };
  }

  input(gpio: number): InputPin {
    if (gpio !== this.opts.dout) throw new Error(`fake HX711: DOUT is GPIO ${this.opts.dout}, not ${gpio}`);
    this.opened.dout += 1;
    return { read: () => this.readDout(), close: () => void (this.opened.closed += 1) };
  }

  output(gpio: number): OutputPin {
    if (gpio !== this.opts.sck) throw new Error(`fake HX711: PD_SCK is GPIO ${this.opts.sck}, not ${gpio}`);
    this.opened.sck += 1;
    return { write: (v) => this.writeSck(v), close: () => void (this.opened.closed += 1) };
  }

  private readDout(): 0 | 1 {
    if (!this.sckHigh) this.finish();
    if (this.pulses === 0) return !this.stalled && this.now() >= this.readyAt ? 0 : 1;
    return this.dout;
  }

  private writeSck(v: 0 | 1): void {
    const rising = v === 1 && !this.sckHigh;
    this.sckHigh = v === 1;
    if (!rising) return;
    if (this.pulses === 0) {
      if (this.stalled || this.now() < this.readyAt) this.violations += 1;
      const value = Math.max(-0x800000, Math.min(0x7fffff, Math.round(this.source(this.channel))));
      this.latched = value & 0xffffff;
    }
    this.pulses += 1;
    if (this.pulses > 27) this.violations += 1;
    this.dout = this.pulses <= 24 ? ((this.latched >> (24 - this.pulses)) & 1) as 0 | 1 : 1;
  }

  /** After the gain pulses, with PD_SCK low: the readout is over, the next conversion starts. */
  private finish(): void {
    if (this.pulses < 25 || this.sckHigh) return;
    const next = BY_PULSES[this.pulses];
    const value = this.latched & 0x800000 ? this.latched - 0x1000000 : this.latched;
    this.done.push({ value, pulses: this.pulses, next: next ?? 'invalid' });
    if (next) this.channel = next;
    this.pulses = 0;
    this.dout = 1;
    this.readyAt = this.now() + this.conversionMs;
  }
}
