// Config of the building-energy TCP uplink (JGJ/T 285 family). Kept apart from
// the client, which exports the registry entry built on it (gateway/uplink/registry.ts).
import { z } from 'zod';
import { backoff, id, secretFile, subItemCode } from '../../config/shapes.ts';
import { ACK_FORMS, PROFILES, PROFILE_TABLE, unknownProfileMessage, type ProfileName } from './profiles.ts';

const key16 = z
  .string()
  .refine((s) => /^[0-9a-fA-F]{32}$/.test(s) || Buffer.byteLength(s, 'utf8') === 16, '16 bytes: 16 characters of text, or 32 hex digits');

const byteOrder = z.enum(['le', 'be']);

export const jgj285FramingSchema = z
  .strictObject({
    length_byte_order: byteOrder.default('le').describe('byte order of the 4-byte length field: le (DOMAIN.md) or be'),
    sequence_byte_order: byteOrder.default('le').describe('byte order of the 4-byte sequence field: le (DOMAIN.md) or be'),
    crc_byte_order: byteOrder.default('le').describe('byte order of the 2-byte CRC: le (like the other fields) or be (high byte first)'),
    length_covers: z
      .enum(['seq+cipher', 'cipher', 'seq+cipher+crc'])
      .default('seq+cipher')
      .describe('what the length field counts: sequence + cipher text (default), the cipher text only, or sequence + cipher + CRC'),
    crc_scope: z
      .enum(['seq+cipher', 'cipher', 'len+seq+cipher'])
      .default('seq+cipher')
      .describe('bytes the CRC16-CCITT (poly 0x1021, init 0) covers: sequence + cipher (DOMAIN.md), cipher only, or length + sequence + cipher'),
    padding: z
      .enum(['zero', 'pkcs7'])
      .default('zero')
      .describe('AES block padding: zero (NUL bytes, none added when the XML fills whole blocks; DOMAIN.md) or pkcs7'),
    md5_input: z
      .enum(['sequence+key', 'key+sequence'])
      .default('sequence+key')
      .describe('login digest: MD5 of the server\'s sequence followed by the login key (DOMAIN.md), or the other way round'),
    md5_case: z.enum(['lower', 'upper']).default('lower').describe('hex case of the login MD5'),
    max_frame_bytes: z.number().int().min(64).max(64 * 1024 * 1024).default(4 * 1024 * 1024).describe('a frame announcing more bytes is taken as corrupt'),
    text: z.enum(['utf-8', 'utf-16le']).default('utf-8').describe('encoding of the XML text: utf-8, or utf-16le (Ningbo 2018)'),
  })
  .describe('frame and login details that differ between provincial platforms (only with profile: custom); the defaults follow DOMAIN.md');

export const jgj285UplinkSchema = z.strictObject({
  id: id.describe('uplink id'),
  type: z.literal('jgj285').describe('building-energy monitoring upload over TCP (JGJ/T 285 family: AES-128-CBC XML frames, MD5 login, heartbeat)'),
  profile: z
    .string()
    .default('custom')
    .superRefine((p, ctx) => {
      if (!(PROFILES as readonly string[]).includes(p)) ctx.addIssue({ code: 'custom', message: unknownProfileMessage(p) });
    })
    .describe('platform profile bundling the framing keys: guideline (DOMAIN.md, IV zero), server3 (IV = key, report_config acks), ningbo-2018 (separate aes_iv, UTF-16 text), custom (aes_iv and framing as given)'),
  streams: z
    .array(z.literal('intervals'))
    .min(1)
    .default(['intervals'])
    .describe('streams sent on this uplink: only intervals (15-minute periods: the counter at the period end and its consumption) is carried by this protocol'),
  host: z.string().min(1).describe('address of the energy monitoring platform (data centre)'),
  port: z.number().int().min(1).max(65535).describe('its TCP port'),
  building_id: z.string().min(1).describe('building code assigned by the platform (<common><building_id>)'),
  gateway_id: z.string().min(1).describe('data-collector (gateway) code assigned by the platform (<common><gateway_id>)'),
  aes_key: z.union([key16, secretFile]).describe('AES-128 key: 16 characters of text or 32 hex digits; inline or {file: PATH}'),
  aes_iv: z
    .string()
    .refine((s) => s === 'zero' || s === 'key' || /^[0-9a-fA-F]{32}$/.test(s) || Buffer.byteLength(s, 'utf8') === 16, '"zero", "key", 16 characters of text or 32 hex digits')
    .optional()
    .describe('AES-CBC IV, the same for every frame: "zero" (16 zero bytes, default with profile custom), "key" (the IV is the key), or 16 characters / 32 hex digits; required by ningbo-2018, fixed by guideline and server3'),
  login_key: z.union([z.string().min(1), secretFile]).describe('key of the login digest MD5(sequence + key); inline or {file: PATH}'),
  heartbeat_s: z.number().int().min(5).max(3600).default(60).describe('seconds between heart_beat notifies; each answer gives the platform clock'),
  timeout_ms: z.number().int().min(100).max(600_000).default(10_000).describe('connect and answer timeout per message'),
  time_zone: z.string().min(1).default('Asia/Shanghai').describe('time zone of the yyyyMMddHHmmss times in the XML'),
  report_time: z
    .enum(['start', 'end'])
    .default('start')
    .describe('the <time> of a report: start or end of its 15-minute period'),
  value_decimals: z.number().int().min(0).max(6).default(2).describe('decimals of the reported values (readings and consumption)'),
  estimated_error: z
    .string()
    .optional()
    .describe('when set, functions whose interval is estimated or had a counter anomaly carry error="this code"; unset: no error attribute'),
  meter_functions: z
    .record(
      z.string().min(1),
      z.strictObject({
        meter: z.string().min(1).optional().describe('meter id at the platform (<meter id>); default the gateway\'s meter id'),
        function: z.string().min(1).default('1').describe('function id (<function id>) under that meter'),
        coding: subItemCode.describe('sub-item code (<function coding>), e.g. 01A00, 01D20, 02000'),
        value: z
          .enum(['reading', 'consumption'])
          .default('reading')
          .describe("what <function id> carries: reading (the meter's cumulative counter at the period end, the guideline's raw function value) or consumption (the period's difference)"),
        consumption_function: z.string().min(1).optional().describe('also send the period consumption under this function id (same coding), beside the reading'),
      }),
    )
    .default({})
    .describe('gateway meter id → platform meter, function and sub-item code; consumption of several meters mapped to the same function is summed (readings cannot be: map each meter to its own function)'),
  unmapped_meters: z
    .enum(['reject', 'skip'])
    .default('reject')
    .describe('intervals of meters missing from meter_functions: reject (dead letters, with the reason) or skip (not for this platform)'),
  ack_forms: z
    .array(z.enum(ACK_FORMS))
    .min(1)
    .optional()
    .describe('acknowledgement forms accepted: data-result (<data operation="report_ack"><result>pass|fail</result>) and report-config (server3: <report_config operation="report_ack"><report_ack>pass</report_ack>); default both'),
  function_names: z.boolean().default(true).describe('each <function> carries name="…", the Chinese name of its sub-item code (gateway/energy/subitems.ts)'),
  parser: z.enum(['yes', 'no', 'omit']).optional().describe('the <parser> element of a report (guideline: yes = values parsed into engineering units); omit leaves it out; default yes'),
  framing: jgj285FramingSchema.optional(),
  backoff,
}).superRefine((u, ctx) => {
  if (!(PROFILES as readonly string[]).includes(u.profile) || u.profile === 'custom') return;
  const p = u.profile as Exclude<ProfileName, 'custom'>;
  if (u.framing !== undefined) ctx.addIssue({ code: 'custom', path: ['framing'], message: `framing is fixed by profile ${p}; remove it, or use profile: custom to give every key` });
  const iv = PROFILE_TABLE[p].iv;
  if (iv === 'given' && (u.aes_iv === undefined || u.aes_iv === 'zero' || u.aes_iv === 'key'))
    ctx.addIssue({ code: 'custom', path: ['aes_iv'], message: `profile ${p} needs the IV the platform issued: 16 characters or 32 hex digits` });
  if (iv !== 'given' && u.aes_iv !== undefined && u.aes_iv !== iv)
    ctx.addIssue({ code: 'custom', path: ['aes_iv'], message: `profile ${p} fixes the IV to ${iv === 'key' ? '"key" (IV = key)' : '"zero"'}; remove aes_iv, or use profile: custom` });
});

export type Jgj285UplinkConfig = z.output<typeof jgj285UplinkSchema>;

/** The config as the factory takes it: secrets already read into strings. */
export type LoadedJgj285Uplink = Omit<Jgj285UplinkConfig, 'aes_key' | 'login_key'> & { aes_key: string; login_key: string };
