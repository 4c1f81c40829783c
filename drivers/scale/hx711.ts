// The HX711 24-bit load-cell ADC on two GPIO pins, bit-banged: DOUT (input) goes
// low when a conversion is ready; each pulse on PD_SCK (output) shifts out one
// bit, MSB first, 24 bits in two's complement; 1, 2 or 3 more pulses choose the
// input and gain of the NEXT conversion (25: channel A gain 128, 26: channel B
// gain 32, 27: channel A gain 64). PD_SCK held high for more than 60 µs powers
// the chip down. The output saturates at 0x7FFFFF / 0x800000 (out of range).
//
// Pins come from a PinFactory: `onoffPins()` uses the kernel's sysfs GPIO through
// `onoff`; tests inject a fake chip (testing/fake-hx711.ts) at this lowest layer,
// so this bit-banging code is what runs against it.

export interface InputPin {
  read(): 0 | 1;
  close(): void;
}

export interface OutputPin {
  write(value: 0 | 1): void;
  close(): void;
}

export interface PinFactory {
  readonly description: string;
  input(gpio: number): InputPin;
  /** an output, initially low */
  output(gpio: number): OutputPin;
}

export type Hx711Gain = 128 | 64 | 32;

/** PD_SCK pulses after the 24 data bits, per gain (and channel: 32 is channel B). */
export const GAIN_PULSES: Record<Hx711Gain, number> = { 128: 1, 64: 3, 32: 2 };

export const HX711_MAX = 0x7fffff;
export const HX711_MIN = -0x800000;

/** No GPIO on this machine, or the pins cannot be opened. */
export class GpioUnavailable extends Error {}

/** Pins through `onoff` (sysfs GPIO). Throws GpioUnavailable where there is none. */
export async function onoffPins(): Promise<PinFactory> {
  let Gpio: typeof import('onoff').Gpio;
  try {
    Gpio = (await import('onoff')).Gpio;
  } catch (err) {
    throw new GpioUnavailable(`GPIO library onoff cannot be loaded: ${(err as Error).message}`);
  }
  if (!Gpio.accessible) {
    throw new GpioUnavailable('GPIO is not available on this machine (no /sys/class/gpio): the HX711 needs a board with GPIO pins (e.g. a Raspberry Pi) and a user in the gpio group');
  }
  const open = <T>(gpio: number, make: () => T): T => {
    try {
      return make();
    } catch (err) {
      throw new GpioUnavailable(`GPIO ${gpio} cannot be opened: ${(err as Error).message} (on kernels ≥ 6.6 sysfs numbers are offset, e.g. 512 + BCM number on a Raspberry Pi: *check* /sys/kernel/debug/gpio)`);
    }
  };
  return {
    description: 'sysfs GPIO (onoff)',
    input(gpio) {
      const pin = open(gpio, () => new Gpio(gpio, 'in'));
      return { read: () => pin.readSync(), close: () => pin.unexport() };
    },
    output(gpio) {
      const pin = open(gpio, () => new Gpio(gpio, 'low'));
      return { write: (v) => pin.writeSync(v), close: () => pin.unexport() };
    },
  };
}

export class Hx711 {
  constructor(
    private readonly dout: InputPin,
    private readonly sck: OutputPin,
    readonly gain: Hx711Gain = 128,
  ) {}

  /** DOUT low: a conversion is waiting. */
  isReady(): boolean {
    return this.dout.read() === 0;
  }

  /**
   * Shifts out one conversion and selects the gain of the next one. Call only when
   * ready. Synchronous on purpose: nothing may run between the pulses (PD_SCK high
   * longer than 60 µs would power the chip down).
   */
  readRaw(): number {
    let v = 0;
    for (let i = 0; i < 24; i++) {
      this.sck.write(1);
      v = (v << 1) | this.dout.read(); // the bit is valid shortly after the rising edge
      this.sck.write(0);
    }
    for (let i = 0; i < GAIN_PULSES[this.gain]; i++) {
      this.sck.write(1);
      this.sck.write(0);
    }
    return v & 0x800000 ? v - 0x1000000 : v;
  }

  /** PD_SCK high: the chip powers down after 60 µs. */
  powerDown(): void {
    this.sck.write(0);
    this.sck.write(1);
  }

  /** PD_SCK low again: the chip wakes up (channel A, gain 128) and converts. */
  powerUp(): void {
    this.sck.write(0);
  }
}
