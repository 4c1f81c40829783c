// Buzzers and lights on GPIO pins, one per severity: on while an alert of that severity
// is open and not acknowledged. Pins come from a PinFactory (drivers/scale/hx711.ts:
// `onoffPins()` through `onoff` on the board; tests inject one at this lowest layer).
// Without GPIO (not a Pi, no permission) an output is reported degraded, never fatal.
import type { OutputPin, PinFactory } from '../../drivers/scale/hx711.ts';
import type { Logger } from '../log.ts';
import type { KitchenAlertSeverity } from '../wire/kitchen.ts';
import type { GpioOutputConfig } from './config.ts';

export interface OutputStatus {
  pin: number;
  severity: KitchenAlertSeverity;
  kind: 'buzzer' | 'light';
  state: 'ok' | 'degraded';
  on: boolean;
  reason: string | null;
}

interface Output extends OutputStatus {
  cfg: GpioOutputConfig;
  io: OutputPin | undefined;
}

export class AlertOutputs {
  private readonly outputs: Output[];

  constructor(
    cfg: GpioOutputConfig[],
    private readonly pins: () => Promise<PinFactory>,
    private readonly logger: Logger,
  ) {
    this.outputs = cfg.map((c) => ({ cfg: c, pin: c.pin, severity: c.severity, kind: c.kind, state: 'degraded', on: false, reason: 'not started', io: undefined }));
  }

  async start(): Promise<void> {
    if (!this.outputs.length) return;
    let factory: PinFactory;
    try {
      factory = await this.pins();
    } catch (err) {
      for (const o of this.outputs) o.reason = (err as Error).message;
      this.logger.warn({ reason: (err as Error).message, pins: this.outputs.map((o) => o.pin) }, 'kitchen alert outputs unavailable');
      return;
    }
    for (const o of this.outputs) {
      try {
        o.io = factory.output(o.pin);
        o.state = 'ok';
        o.reason = null;
        o.io.write(o.cfg.active_low ? 1 : 0);
      } catch (err) {
        o.reason = (err as Error).message;
        this.logger.warn({ pin: o.pin, reason: o.reason }, 'kitchen alert output unavailable');
      }
    }
  }

  /** Sets every output from the severities that have an open, unacknowledged alert. */
  update(active: ReadonlySet<KitchenAlertSeverity>): void {
    for (const o of this.outputs) {
      const on = active.has(o.severity);
      o.on = on;
      if (!o.io) continue;
      try {
        o.io.write(on !== o.cfg.active_low ? 1 : 0);
      } catch (err) {
        o.state = 'degraded';
        o.reason = (err as Error).message;
      }
    }
  }

  status(): OutputStatus[] {
    return this.outputs.map(({ pin, severity, kind, state, on, reason }) => ({ pin, severity, kind, state, on, reason }));
  }

  close(): void {
    for (const o of this.outputs) {
      try {
        o.io?.write(o.cfg.active_low ? 1 : 0);
        o.io?.close();
      } catch {
        /* the pin is going away anyway */
      }
      o.io = undefined;
    }
  }
}
