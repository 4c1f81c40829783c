// The config of one checkout scale, as a zod schema: `devices.scales[]` in the
// gateway's config file. Every key is described (docs/config.md is generated
// from the descriptions); objects are strict; protocol-specific keys are checked
// against the protocol.
import { z } from 'zod';
import { BYTE_ORDERS } from '../modbus/decode.ts';
import { SCALE_PROTOCOLS } from './driver.ts';
import { isWholeInterval } from './interval.ts';
import { linePatternProblem } from './continuous.ts';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_", at most 63 characters');
const host = z.string().min(1);
const port = z.number().int().min(1).max(65535);
const gpio = z.number().int().min(0).max(4095);
const bit = z.number().int().min(0).max(31);
const grams = z.number().positive().max(1_000_000);

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

export const scaleDeviceSchema = z
  .strictObject({
    id: id.describe('unique device id (usually the checkout station)'),
    name: z.string().optional().describe('what staff call this scale, e.g. "1号结算台"'),
    protocol: z.enum(SCALE_PROTOCOLS).describe('mt-sics (METTLER TOLEDO SICS, polled with SI) | toledo (8217: W → STX weight CR) | continuous (a line per reading, `ST,GS,+0001.234kg` or `pattern`) | modbus (weight transmitter registers) | hx711 (load cell on GPIO)'),
    transport: scaleTransportSchema.optional().describe('how to reach the indicator: serial port or TCP (every protocol but hx711)'),
    poll_ms: z.number().int().min(20).max(60_000).default(200).describe('how often a polled scale is asked (mt-sics, toledo, modbus, hx711)'),
    reply_timeout_ms: z.number().int().min(20).max(60_000).default(1000).describe('wait for one reply (a conversion for hx711)'),
    timeout_ms: z.number().int().min(100).max(600_000).default(3000).describe('silence after which the scale is reported lost'),
    division_g: grams.optional().describe('scale division d in grams: preset tares must be whole multiples; default: not checked (hx711: required)'),
    interval_g: grams.optional().describe('verification interval e in grams that readings are rounded to (e = d for direct sale); default division_g, or as the scale sends'),
    unit: z.enum(['kg', 'g']).optional().describe('toledo: unit of the weight digits (the frames carry none); default kg'),
    stability: z
      .strictObject({
        samples: z.number().int().min(1).max(1000).default(5).describe('readings that must agree'),
        tolerance_g: z.number().min(0).max(100_000).optional().describe('± band in grams they must lie in; default division_g, or 1'),
        window_ms: z.number().int().min(0).max(60_000).default(500).describe('time they must cover'),
        on_top: z.boolean().default(false).describe('also apply the filter when the scale has its own stable flag'),
      })
      .prefault({})
      .describe('the stability filter: decides `stable` for scales without a stable flag (hx711, modbus without a status bit, a pattern without status)'),
    pattern: linePatternSchema.optional(),
    commands: z
      .strictObject({
        zero: z.string().min(1).optional().describe('sent to zero, e.g. "Z\\r\\n"'),
        tare: z.string().min(1).optional().describe('sent to tare, e.g. "T\\r\\n"'),
        clear_tare: z.string().min(1).optional().describe('sent to clear the tare'),
      })
      .optional()
      .describe('continuous: command strings the indicator takes on the same line (none by default)'),
    registers: weightRegistersSchema.optional(),
    pins: z
      .strictObject({
        dout: gpio.describe('GPIO number of the HX711 DOUT pin (input)'),
        sck: gpio.describe('GPIO number of the HX711 PD_SCK pin (output)'),
      })
      .optional()
      .describe('hx711: the GPIO pins (sysfs numbers)'),
    gain: z.union([z.literal(128), z.literal(64), z.literal(32)]).optional().describe('hx711: 128 or 64 (channel A) or 32 (channel B); default 128'),
    calibration_file: z.string().min(1).optional().describe('hx711: JSON file with the calibration (offset, counts per gram), written by calibration (relative to the config file)'),
    required: z.boolean().default(false).describe('when true, /readyz answers 503 while this scale is not online'),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const only = (key: keyof typeof c, protocol: string) => {
      if (c[key] !== undefined && c.protocol !== protocol) issue([key], `only for protocol ${protocol}, not ${c.protocol}`);
    };
    if (c.protocol === 'hx711') {
      if (c.transport) issue(['transport'], 'hx711 is wired to GPIO pins: give `pins`, not `transport`');
      if (!c.pins) issue(['pins'], 'required for hx711: { dout, sck }');
      if (!c.calibration_file) issue(['calibration_file'], 'required for hx711: where the calibration is kept');
      if (c.division_g === undefined) issue(['division_g'], 'required for hx711: the scale division d in grams');
    } else {
      if (!c.transport) issue(['transport'], `required for ${c.protocol}: { type: serial, path } or { type: tcp, host, port }`);
      for (const key of ['pins', 'gain', 'calibration_file'] as const) only(key, 'hx711');
    }
    if (c.transport?.type === 'rtu-over-tcp' && c.protocol !== 'modbus') issue(['transport', 'type'], 'rtu-over-tcp is for modbus; other protocols use tcp through a converter');
    if (c.protocol === 'modbus') {
      if (!c.registers) issue(['registers'], 'required for modbus: at least net or gross');
      else if (!c.registers.net && !c.registers.gross) issue(['registers'], 'give net or gross (or both)');
      const st = c.registers?.status;
      if (st && st.stable_bit !== undefined && st.motion_bit !== undefined) issue(['registers', 'status'], 'give stable_bit or motion_bit, not both');
      if (st?.type === 'uint16') {
        for (const k of ['stable_bit', 'motion_bit', 'overload_bit', 'underload_bit', 'net_bit'] as const) {
          if ((st[k] ?? 0) > 15) issue(['registers', 'status', k], 'a uint16 status has bits 0…15');
        }
      }
    } else only('registers', 'modbus');
    only('pattern', 'continuous');
    only('commands', 'continuous');
    only('unit', 'toledo');
    if (c.pattern) {
      const problem = linePatternProblem(c.pattern);
      if (problem) issue(['pattern', 'regex'], problem);
    }
    if (c.interval_g !== undefined) {
      if (c.division_g === undefined) issue(['interval_g'], 'give division_g (d) too');
      else if (c.interval_g < c.division_g || !isWholeInterval(c.interval_g, c.division_g)) issue(['interval_g'], `must be a whole multiple of division_g (${c.division_g} g)`);
    }
  })
  .describe('a checkout scale');

export type ScaleDeviceConfig = z.output<typeof scaleDeviceSchema>;
export type ScaleDeviceInput = z.input<typeof scaleDeviceSchema>;
