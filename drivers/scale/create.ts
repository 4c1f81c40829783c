// createScale(config): the driver for one configured scale.
import path from 'node:path';
import type { ModbusClient } from '../modbus/client.ts';
import { createModbusClient, type ModbusTransport } from '../modbus/connect.ts';
import { scaleDeviceSchema, type ScaleDeviceConfig, type ScaleDeviceInput } from './config.ts';
import { ContinuousScale } from './continuous-driver.ts';
import type { DriverOptions, ScaleDriver } from './driver.ts';
import type { PinFactory } from './hx711.ts';
import { Hx711Scale } from './hx711-driver.ts';
import type { LinkOptions, ScaleTransport } from './link.ts';
import { ModbusScale } from './modbus-driver.ts';
import { MtSicsScale } from './mt-sics-driver.ts';
import { ToledoScale } from './toledo-driver.ts';

export interface CreateScaleOptions {
  /** relative calibration_file paths resolve against this (the config file's directory) */
  baseDir?: string;
  /** hx711: the GPIO pins (default: onoff) */
  pins?: PinFactory | (() => Promise<PinFactory>);
  /** modbus: a client to use instead of making one (e.g. on a shared RS-485 bus); not closed by stop() */
  modbusClient?: ModbusClient;
  /** reopen backoff of serial/TCP lines */
  link?: LinkOptions;
  /** longest wait between polls of a lost polled scale (default 5000) */
  maxBackoffMs?: number;
}

/** The serial/TCP line of a config; toledo lines default to 7E1, others to 8N1. */
export function scaleTransport(c: Pick<ScaleDeviceConfig, 'protocol' | 'transport'>): ScaleTransport {
  const t = c.transport;
  if (!t) throw new Error(`${c.protocol}: no transport configured`);
  if (t.type === 'serial') {
    const toledo = c.protocol === 'toledo';
    return { type: 'serial', path: t.path, baudRate: t.baud, dataBits: t.data_bits ?? (toledo ? 7 : 8), parity: t.parity ?? (toledo ? 'even' : 'none'), stopBits: t.stop_bits ?? 1 };
  }
  return { type: 'tcp', host: t.host, port: t.port };
}

function modbusTransport(c: ScaleDeviceConfig): ModbusTransport {
  const t = c.transport!;
  if (t.type === 'serial') {
    return { type: 'serial', path: t.path, baudRate: t.baud, dataBits: t.data_bits ?? 8, parity: t.parity ?? 'none', stopBits: t.stop_bits ?? 1 };
  }
  if (t.type === 'rtu-over-tcp') return { type: 'rtu-over-tcp', host: t.host, port: t.port, lineBaud: t.line_baud };
  return { type: 'tcp', host: t.host, port: t.port };
}

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
  switch (c.protocol) {
    case 'mt-sics':
      return new MtSicsScale({ ...base, transport: scaleTransport(c), link: options.link, replyTimeoutMs: c.reply_timeout_ms });
    case 'toledo':
      return new ToledoScale({ ...base, transport: scaleTransport(c), link: options.link, replyTimeoutMs: c.reply_timeout_ms, unit: c.unit });
    case 'continuous':
      return new ContinuousScale({ ...base, transport: scaleTransport(c), link: options.link, replyTimeoutMs: c.reply_timeout_ms, pattern: c.pattern, commands: c.commands });
    case 'modbus': {
      const client = options.modbusClient ?? createModbusClient(modbusTransport(c), { timeoutMs: c.reply_timeout_ms });
      return new ModbusScale({ ...base, client, ownsClient: !options.modbusClient, registers: c.registers!, replyTimeoutMs: c.reply_timeout_ms });
    }
    case 'hx711': {
      const file = c.calibration_file && options.baseDir ? path.resolve(options.baseDir, c.calibration_file) : c.calibration_file;
      return new Hx711Scale({ ...base, pins: c.pins!, gain: c.gain, calibrationFile: file, pinFactory: options.pins, replyTimeoutMs: c.reply_timeout_ms });
    }
  }
}
