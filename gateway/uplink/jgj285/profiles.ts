// Named platform profiles of the building-energy upload: one word in the config
// (`profile:`) instead of the framing keys each platform fixes differently.
//
// - guideline: the framing of DOMAIN.md's summary of the 分项能耗数据传输技术导则 / JGJ/T 285
//   family (length and sequence u32 LE, CRC16-CCITT init 0 over sequence + cipher, LE;
//   AES-128-CBC zero padding; MD5(sequence + key)); IV 16 zero bytes (the guideline
//   text was not available here: *check* with the platform); UTF-8 text.
// - server3: the open data-centre implementation LinTianxinag/server3,
//   module/driver/driver/NetDAU_Test/common/message.js (length u32LE = 4 + cipher,
//   sequence u32LE, CRC16 table 0x1021 init 0 over sequence + cipher written LE,
//   `createCipheriv('aes-128-cbc', key, key)`: IV = key, zero padding) and
//   common/signal.js (MD5(sequence + key) lower-case hex; report with
//   `<parser>yes</parser>`; acknowledgement
//   `<report_config operation="report_ack"><report_ack>pass</report_ack></report_config>`
//   without a sequence echo, also for `continuous`).
// - ningbo-2018: Ningbo's 2018 rules (甬DX-05) as DOMAIN.md reports them: a separate IV
//   issued by the platform (aes_iv is required) and UTF-16 text (little-endian here:
//   *check*); the rest as the guideline.
// - custom: every key given explicitly (`aes_iv`, `framing.*`), defaults as the guideline.
import { DEFAULT_FRAMING, type FramingOptions } from './frame.ts';

export const PROFILES = ['guideline', 'server3', 'ningbo-2018', 'custom'] as const;
export type ProfileName = (typeof PROFILES)[number];

/** Forms of the acknowledgement of a report (see xml.ts). */
export const ACK_FORMS = ['data-result', 'report-config'] as const;
export type AckForm = (typeof ACK_FORMS)[number];

export interface Profile {
  framing: FramingOptions;
  /** 'zero', 'key', or 'given' (aes_iv must be set to 16 bytes) */
  iv: 'zero' | 'key' | 'given';
  md5Input: 'sequence+key' | 'key+sequence';
  md5Case: 'lower' | 'upper';
  /** acknowledgement forms accepted for report and continuous */
  ackForms: AckForm[];
  /** whether an acknowledgement must echo the report's <sequence> when it carries one */
  parser: 'yes' | 'no' | 'omit';
}

const guideline: Profile = {
  framing: { ...DEFAULT_FRAMING },
  iv: 'zero',
  md5Input: 'sequence+key',
  md5Case: 'lower',
  ackForms: ['data-result', 'report-config'],
  parser: 'yes',
};

export const PROFILE_TABLE: Record<Exclude<ProfileName, 'custom'>, Profile> = {
  guideline,
  server3: { ...guideline, iv: 'key', ackForms: ['report-config', 'data-result'] },
  'ningbo-2018': { ...guideline, iv: 'given', framing: { ...DEFAULT_FRAMING, text: 'utf-16le' } },
};

function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return dp[a.length]![b.length]!;
}

/** The config error for a profile name that is not one of PROFILES, with the closest as "did you mean". */
export function unknownProfileMessage(name: string): string {
  const best = [...PROFILES].sort((a, b) => distance(name.toLowerCase(), a) - distance(name.toLowerCase(), b))[0]!;
  return `unknown profile; did you mean "${best}"? expected one of ${PROFILES.join(', ')}`;
}
