// Every scale protocol, by the name a config entry gives as `protocol`: its own config
// keys, its checks, how its driver is made, and whether an indicator speaking it can be
// type-approved for trade. The config schema (config.ts), the factory (create.ts) and the
// CLI's list all come from this map. A new protocol is its driver file plus one entry here.
import path from 'node:path';
import { z } from 'zod';
import type { ModbusClient } from '../modbus/client.ts';
import { createModbusClient, type ModbusTransport } from '../modbus/connect.ts';
import { BYTE_ORDERS } from '../modbus/decode.ts';
import { linePatternProblem } from './continuous.ts';
import { ContinuousScale } from './continuous-driver.ts';
import type { DriverOptions, ScaleDriver } from './driver.ts';
import type { PinFactory } from './hx711.ts';
import { Hx711Scale } from './hx711-driver.ts';
import type { LinkOptions, ScaleTransport } from './link.ts';
import { ModbusScale } from './modbus-driver.ts';
import { MtSicsScale } from './mt-sics-driver.ts';
import { ToledoScale } from './toledo-driver.ts';

const host = z.string().min(1);
const port = z.number().int().min(1).max(65535);
const gpio = z.number().int().min(0).max(4095);
const bit = z.number().int().min(0).max(31);

export const scaleTransportSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('serial').describe('a serial port (RS-232 or an RS-485/USB adapter)'),
    path: z.string().min(1).describe('serial device, e.g. /dev/ttyUSB0 or /dev/serial/by-id/…'),
    baud: z.number().int().min(300).max(921_600).default(9600).describe('baud rate'),
    data_bits: z.union([z.literal(7), z.literal(8)]).optional().describe('data bits; default 8, or 7 for toledo (7E1)'),
    parity: z.enum(['none', 'even', 'odd']).optional().describe('parity; default none, or even for toledo (7E1)'),
    stop_bits: z.union([z.literal(1), z.literal(2)]).optional().describe('stop bits; default 1'),
  }),
  z.strictObject({
    type: z.literal('tcp').describe('TCP: the indicator\'s Ethernet port, a transparent serial-to-Ethernet converter, or Modbus TCP for modbus'),
    host: host.describe('address of the indicator or converter'),
    port: port.describe('TCP port'),
  }),
  z.strictObject({
    type: z.literal('rtu-over-tcp').describe('modbus only: Modbus RTU frames through a transparent RS-485-to-Ethernet converter'),
    host: host.describe('converter address'),
    port: port.describe('converter TCP port'),
    line_baud: z.number().int().min(300).max(921_600).default(9600).describe('baud rate of the converter\'s RS-485 side, for the frame gap'),
  }),
]);
export type ScaleTransportConfig = z.output<typeof scaleTransportSchema>;

const weightRegister = z.strictObject({
  address: z.number().int().min(0).max(65535).describe('0-based register address (PDU), e.g. 0 for holding register 40001'),
  type: z.enum(['int16', 'uint16', 'int32', 'uint32', 'float32']).default('int32').describe('register value type'),
  order: z.enum(BYTE_ORDERS).default('ABCD').describe('byte order of 32-bit values: ABCD big-endian, CDAB word-swapped, BADC, DCBA'),
  scale: z.number().positive().default(1).describe('grams per count: raw × scale = grams (0.1 for tenths of a gram, 1000 for a float in kg)'),
});

export const weightRegistersSchema = z
  .strictObject({
    unit_id: z.number().int().min(0).max(255).default(1).describe('Modbus unit (slave) id'),
    function: z.enum(['holding', 'input']).default('holding').describe('register table: holding (FC03) or input (FC04)'),
    net: weightRegister.optional().describe('the net weight register (read when given; the reading shows net when it differs from gross)'),
    gross: weightRegister.optional().describe('the gross weight register'),
    status: z
      .strictObject({
        address: z.number().int().min(0).max(65535).describe('0-based register address of the status word'),
        type: z.enum(['uint16', 'uint32']).default('uint16').describe('16 or 32 bits'),
        order: z.enum(BYTE_ORDERS).default('ABCD').describe('byte order of a 32-bit status'),
        stable_bit: bit.optional().describe('bit that is 1 when the weight is stable (0 = least significant)'),
        motion_bit: bit.optional().describe('bit that is 1 while the weight moves (instead of stable_bit)'),
        overload_bit: bit.optional().describe('bit that is 1 on overload'),
        underload_bit: bit.optional().describe('bit that is 1 on underload'),
        net_bit: bit.optional().describe('bit that is 1 in net mode (a tare is active)'),
      })
      .optional()
      .describe('the status word; without stable_bit or motion_bit the stability filter decides'),
  })
  .describe('modbus: where the transmitter keeps the weights and the status (from its manual)');

export const linePatternSchema = z
  .strictObject({
    regex: z.string().min(1).describe('JavaScript regular expression for one line, named groups: value (required), status, mode, sign, unit'),
    stable: z.array(z.string()).default(['ST']).describe('values of `status` that mean stable'),
    overload: z.array(z.string()).default(['OL']).describe('values of `status` that mean overload'),
    underload: z.array(z.string()).default(['UL']).describe('values of `status` that mean underload'),
    net: z.array(z.string()).default(['NT']).describe('values of `mode` that mean net'),
    unit: z.enum(['kg', 'g']).default('kg').describe('unit of `value` when the line has no `unit` group'),
  })
  .describe('continuous: the line format of an indicator that does not print `ST,GS,+0001.234kg`');

/** The keys of a scale config every protocol's driver may use (the parsed config, wide). */
export interface ScaleEntryConfig {
  id: string;
  protocol: string;
  transport?: ScaleTransportConfig;
  reply_timeout_ms: number;
  unit?: 'kg' | 'g';
  pattern?: z.output<typeof linePatternSchema>;
  commands?: { zero?: string; tare?: string; clear_tare?: string };
  registers?: z.output<typeof weightRegistersSchema>;
  pins?: { dout: number; sck: number };
  gain?: 128 | 64 | 32;
  calibration_file?: string;
  division_g?: number;
}

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

export type ScaleIssue = (path: (string | number)[], message: string) => void;

export interface ScaleProtocolEntry {
  /** one line for the `protocol` key's description */
  describe: string;
  /** how it is wired: a serial/TCP line (`transport`), or GPIO pins (no transport) */
  wiring: 'line' | 'gpio';
  /** the serial framing when the config gives none (8N1 unless the protocol's lines differ) */
  serialDefaults?: { dataBits: 7 | 8; parity: 'none' | 'even' | 'odd' };
  /** may carry the rtu-over-tcp transport */
  rtuOverTcp?: boolean;
  /** the config keys only this protocol takes (optional in the config; refused on other protocols) */
  keys: z.ZodRawShape;
  /** the protocol's own checks of a config */
  check?(c: ScaleEntryConfig, issue: ScaleIssue): void;
  /**
   * The protocol carries an indicator's own stable flag and an indicator speaking it can be
   * type-approved (型式批准) and verified (检定, JJG 539) for trade. A bare load cell (HX711)
   * cannot: it has no approved indicator (see DOMAIN.md, "Corrections and additions").
   */
  approvable?: boolean;
  create(c: ScaleEntryConfig, base: Omit<DriverOptions, 'protocol'>, options: CreateScaleOptions): ScaleDriver;
}

/** The serial/TCP line of a config; a protocol's serial defaults apply (toledo 7E1), others 8N1. */
export function scaleTransport(c: Pick<ScaleEntryConfig, 'protocol' | 'transport'>): ScaleTransport {
  const t = c.transport;
  if (!t) throw new Error(`${c.protocol}: no transport configured`);
  if (t.type === 'serial') {
    const d = (SCALE_PROTOCOL_ENTRIES as Record<string, ScaleProtocolEntry>)[c.protocol]?.serialDefaults ?? { dataBits: 8, parity: 'none' };
    return { type: 'serial', path: t.path, baudRate: t.baud, dataBits: t.data_bits ?? d.dataBits, parity: t.parity ?? d.parity, stopBits: t.stop_bits ?? 1 };
  }
  if (t.type === 'rtu-over-tcp') throw new Error(`${c.protocol}: rtu-over-tcp is for modbus`);
  return { type: 'tcp', host: t.host, port: t.port };
}

function modbusTransport(c: ScaleEntryConfig): ModbusTransport {
  const t = c.transport!;
  if (t.type === 'serial') {
    return { type: 'serial', path: t.path, baudRate: t.baud, dataBits: t.data_bits ?? 8, parity: t.parity ?? 'none', stopBits: t.stop_bits ?? 1 };
  }
  if (t.type === 'rtu-over-tcp') return { type: 'rtu-over-tcp', host: t.host, port: t.port, lineBaud: t.line_baud };
  return { type: 'tcp', host: t.host, port: t.port };
}

export const SCALE_PROTOCOL_ENTRIES = {
  'mt-sics': {
    describe: 'mt-sics (METTLER TOLEDO SICS, polled with SI)',
    wiring: 'line',
    keys: {},
    approvable: true,
    create: (c, base, o) => new MtSicsScale({ ...base, transport: scaleTransport(c), link: o.link, replyTimeoutMs: c.reply_timeout_ms }),
  },
  toledo: {
    describe: 'toledo (8217: W → STX weight CR)',
    wiring: 'line',
    serialDefaults: { dataBits: 7, parity: 'even' },
    keys: {
      unit: z.enum(['kg', 'g']).optional().describe('toledo: unit of the weight digits (the frames carry none); default kg'),
    },
    approvable: true,
    create: (c, base, o) => new ToledoScale({ ...base, transport: scaleTransport(c), link: o.link, replyTimeoutMs: c.reply_timeout_ms, unit: c.unit }),
  },
  continuous: {
    describe: 'continuous (a line per reading, `ST,GS,+0001.234kg` or `pattern`)',
    wiring: 'line',
    keys: {
      pattern: linePatternSchema.optional(),
      commands: z
        .strictObject({
          zero: z.string().min(1).optional().describe('sent to zero, e.g. "Z\\r\\n"'),
          tare: z.string().min(1).optional().describe('sent to tare, e.g. "T\\r\\n"'),
          clear_tare: z.string().min(1).optional().describe('sent to clear the tare'),
        })
        .optional()
        .describe('continuous: command strings the indicator takes on the same line (none by default)'),
    },
    check(c, issue) {
      if (c.pattern) {
        const problem = linePatternProblem(c.pattern);
        if (problem) issue(['pattern', 'regex'], problem);
      }
    },
    approvable: true,
    create: (c, base, o) => new ContinuousScale({ ...base, transport: scaleTransport(c), link: o.link, replyTimeoutMs: c.reply_timeout_ms, pattern: c.pattern, commands: c.commands }),
  },
  modbus: {
    describe: 'modbus (weight transmitter registers)',
    wiring: 'line',
    rtuOverTcp: true,
    keys: { registers: weightRegistersSchema.optional() },
    check(c, issue) {
      if (!c.registers) issue(['registers'], 'required for modbus: at least net or gross');
      else if (!c.registers.net && !c.registers.gross) issue(['registers'], 'give net or gross (or both)');
      const st = c.registers?.status;
      if (st && st.stable_bit !== undefined && st.motion_bit !== undefined) issue(['registers', 'status'], 'give stable_bit or motion_bit, not both');
      if (st?.type === 'uint16') {
        for (const k of ['stable_bit', 'motion_bit', 'overload_bit', 'underload_bit', 'net_bit'] as const) {
          if ((st[k] ?? 0) > 15) issue(['registers', 'status', k], 'a uint16 status has bits 0…15');
        }
      }
    },
    approvable: true,
    create(c, base, o) {
      const client = o.modbusClient ?? createModbusClient(modbusTransport(c), { timeoutMs: c.reply_timeout_ms });
      return new ModbusScale({ ...base, client, ownsClient: !o.modbusClient, registers: c.registers!, replyTimeoutMs: c.reply_timeout_ms });
    },
  },
  hx711: {
    describe: 'hx711 (load cell on GPIO; never a pricing station: not an approved instrument)',
    wiring: 'gpio',
    keys: {
      pins: z
        .strictObject({
          dout: gpio.describe('GPIO number of the HX711 DOUT pin (input)'),
          sck: gpio.describe('GPIO number of the HX711 PD_SCK pin (output)'),
        })
        .optional()
        .describe('hx711: the GPIO pins (sysfs numbers)'),
      gain: z.union([z.literal(128), z.literal(64), z.literal(32)]).optional().describe('hx711: 128 or 64 (channel A) or 32 (channel B); default 128'),
      calibration_file: z.string().min(1).optional().describe('hx711: JSON file with the calibration (offset, counts per gram), written by calibration (relative to the config file)'),
    },
    check(c, issue) {
      if (!c.pins) issue(['pins'], 'required for hx711: { dout, sck }');
      if (!c.calibration_file) issue(['calibration_file'], 'required for hx711: where the calibration is kept');
      if (c.division_g === undefined) issue(['division_g'], 'required for hx711: the scale division d in grams');
    },
    create(c, base, o) {
      const file = c.calibration_file && o.baseDir ? path.resolve(o.baseDir, c.calibration_file) : c.calibration_file;
      return new Hx711Scale({ ...base, pins: c.pins!, gain: c.gain, calibrationFile: file, pinFactory: o.pins, replyTimeoutMs: c.reply_timeout_ms });
    },
  },
} satisfies Record<string, ScaleProtocolEntry>;

type Entries = typeof SCALE_PROTOCOL_ENTRIES;
export type ScaleProtocol = keyof Entries & string;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** every protocol's own keys, merged (each optional; config.ts refuses them on other protocols) */
export type ScaleProtocolKeys = UnionToIntersection<Entries[ScaleProtocol]['keys']>;

export const SCALE_PROTOCOLS = Object.keys(SCALE_PROTOCOL_ENTRIES) as [ScaleProtocol, ...ScaleProtocol[]];

export function scaleProtocolEntry(protocol: string): ScaleProtocolEntry {
  const entry = (SCALE_PROTOCOL_ENTRIES as Record<string, ScaleProtocolEntry>)[protocol];
  if (!entry) throw new Error(`no scale protocol "${protocol}"; expected one of ${SCALE_PROTOCOLS.join(', ')}`);
  return entry;
}

/** Whether a scale of this protocol may price sales when it is declared legal for trade. */
export function isApprovableProtocol(protocol: string): boolean {
  return (SCALE_PROTOCOL_ENTRIES as Record<string, ScaleProtocolEntry>)[protocol]?.approvable === true;
}
