// createScale(config): the driver for one configured scale, made by its protocol's
// registry entry (protocols.ts).
import { scaleDeviceSchema, type ScaleDeviceConfig, type ScaleDeviceInput } from './config.ts';
import type { DriverOptions, ScaleDriver } from './driver.ts';
import { scaleProtocolEntry, type CreateScaleOptions } from './protocols.ts';

export { scaleTransport, type CreateScaleOptions } from './protocols.ts';

/** Validates the config (input or already parsed) and makes its driver; call start() on it. */
export function createScale(config: ScaleDeviceInput | ScaleDeviceConfig, options: CreateScaleOptions = {}): ScaleDriver {
  const c = scaleDeviceSchema.parse(config);
  const base: Omit<DriverOptions, 'protocol'> = {
    id: c.id,
    silenceMs: c.timeout_ms,
    pollMs: c.poll_ms,
    divisionG: c.division_g,
    intervalG: c.interval_g ?? c.division_g,
    stability: { samples: c.stability.samples, toleranceG: c.stability.tolerance_g ?? c.division_g ?? 1, windowMs: c.stability.window_ms },
    filterOnTop: c.stability.on_top,
    maxBackoffMs: options.maxBackoffMs,
  };
  return scaleProtocolEntry(c.protocol).create(c, base, options);
}
