// The config of one checkout scale, as a zod schema: `devices.scales[]` in the
// gateway's config file. Every key is described (docs/config.md is generated
// from the descriptions); objects are strict; protocol-specific keys are checked
// against the protocol.
import { z } from 'zod';
import { isWholeInterval } from './interval.ts';
import { legalForTradeIssues, legalForTradeKeys } from './legal.ts';
import { SCALE_PROTOCOL_ENTRIES, SCALE_PROTOCOLS, type ScaleProtocolEntry, type ScaleProtocolKeys } from './protocols.ts';

export { linePatternSchema, scaleTransportSchema, weightRegistersSchema } from './protocols.ts';
import { scaleTransportSchema } from './protocols.ts';

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, "-" or "_", at most 63 characters');
const grams = z.number().positive().max(1_000_000);

// the keys only one protocol takes come from the protocol registry
const protocolKeys = Object.assign({}, ...Object.values(SCALE_PROTOCOL_ENTRIES).map((e) => e.keys)) as ScaleProtocolKeys;
const entries = SCALE_PROTOCOL_ENTRIES as Record<string, ScaleProtocolEntry>;

export const scaleDeviceSchema = z
  .strictObject({
    id: id.describe('unique device id (usually the checkout station)'),
    name: z.string().optional().describe('what staff call this scale, e.g. "1号结算台"'),
    protocol: z.enum(SCALE_PROTOCOLS).describe(Object.values(entries).map((e) => e.describe).join(' | ')),
    transport: scaleTransportSchema.optional().describe('how to reach the indicator: serial port or TCP (every protocol but hx711)'),
    poll_ms: z.number().int().min(20).max(60_000).default(200).describe('how often a polled scale is asked (mt-sics, toledo, modbus, hx711)'),
    reply_timeout_ms: z.number().int().min(20).max(60_000).default(1000).describe('wait for one reply (a conversion for hx711)'),
    timeout_ms: z.number().int().min(100).max(600_000).default(3000).describe('silence after which the scale is reported lost'),
    division_g: grams.optional().describe('scale division d in grams: preset tares must be whole multiples; default: not checked (hx711: required)'),
    interval_g: grams.optional().describe('verification interval e in grams that readings are rounded to (e = d for direct sale); default division_g, or as the scale sends'),
    stability: z
      .strictObject({
        samples: z.number().int().min(1).max(1000).default(5).describe('readings that must agree'),
        tolerance_g: z.number().min(0).max(100_000).optional().describe('± band in grams they must lie in; default division_g, or 1'),
        window_ms: z.number().int().min(0).max(60_000).default(500).describe('time they must cover'),
        on_top: z.boolean().default(false).describe('also apply the filter when the scale has its own stable flag'),
      })
      .prefault({})
      .describe('the stability filter: decides `stable` for scales without a stable flag (hx711, modbus without a status bit, a pattern without status)'),
    ...protocolKeys,
    ...legalForTradeKeys,
    required: z.boolean().default(false).describe('when true, /readyz answers 503 while this scale is not online'),
  })
  .superRefine((c, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const entry = entries[c.protocol]!;
    if (entry.wiring === 'gpio') {
      if (c.transport) issue(['transport'], `${c.protocol} is wired to GPIO pins: give \`pins\`, not \`transport\``);
    } else if (!c.transport) issue(['transport'], `required for ${c.protocol}: { type: serial, path } or { type: tcp, host, port }`);
    if (c.transport?.type === 'rtu-over-tcp' && !entry.rtuOverTcp) issue(['transport', 'type'], 'rtu-over-tcp is for modbus; other protocols use tcp through a converter');
    for (const [protocol, other] of Object.entries(entries)) {
      if (protocol === c.protocol) continue;
      for (const key of Object.keys(other.keys)) {
        if ((c as Record<string, unknown>)[key] !== undefined) issue([key], `only for protocol ${protocol}, not ${c.protocol}`);
      }
    }
    entry.check?.(c, issue);
    legalForTradeIssues(c, entry.approvable === true, issue);
    if (c.interval_g !== undefined) {
      if (c.division_g === undefined) issue(['interval_g'], 'give division_g (d) too');
      else if (c.interval_g < c.division_g || !isWholeInterval(c.interval_g, c.division_g)) issue(['interval_g'], `must be a whole multiple of division_g (${c.division_g} g)`);
    }
  })
  .describe('a checkout scale');

export type ScaleDeviceConfig = z.output<typeof scaleDeviceSchema>;
export type ScaleDeviceInput = z.input<typeof scaleDeviceSchema>;
