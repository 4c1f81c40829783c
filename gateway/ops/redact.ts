// Secrets out of anything the box hands to a person (support bundle, ops view):
// keys named like a secret (the names pino redacts in logs, and anything ending in
// token/password/secret/key, and every key an uplink declares secret in the uplink
// registry) lose their value; then every secret value the running
// config holds is scrubbed from the text wherever else it might have ended up.
import { REDACTED_KEYS } from '../log.ts';
import { UPLINK_SECRET_KEYS } from '../uplink/registry.ts';

export const REDACTED = '[redacted]';

const SECRET_NAME = /(token|password|passphrase|secret|key)$/i;

// Personal data is handled like a secret: a support bundle goes to whoever helps the
// site, who needs no holder's name or card id (PIPL arts. 6 and 51: no more than the
// purpose needs; security measures such as de-identification).
const PERSONAL_NAME = /^(person|card_id|holder|guardian_name|birth_date)$/;

export function isSecretKey(name: string): boolean {
  return REDACTED_KEYS.includes(name) || UPLINK_SECRET_KEYS.includes(name) || SECRET_NAME.test(name) || PERSONAL_NAME.test(name);
}

/** Keys that hold personal data rather than secrets: their values are scrubbed even when short (李四, C01). */
export const isPersonalKey = (name: string) => PERSONAL_NAME.test(name);

/**
 * A personal value worth scrubbing from every file: a Chinese name of two characters
 * (李四) is, but a short Latin one or a 3-digit card id would match numbers and words
 * everywhere and mangle the bundle (those are still redacted by key in the config files).
 */
export const scrubbable = (v: string) => v.length >= 4 || (v.length >= 2 && /[^\x00-\x7f]/.test(v));

/** Every personal value in a (loaded) config: holder names and card ids. */
export function personalValues(value: unknown, under = false, out = new Set<string>()): Set<string> {
  if (typeof value === 'string' || typeof value === 'number') {
    if (under && scrubbable(String(value))) out.add(String(value));
  } else if (Array.isArray(value)) value.forEach((v) => personalValues(v, under, out));
  else if (value instanceof Map) personalValues(Object.fromEntries(value), under, out);
  else if (value && typeof value === 'object' && !Buffer.isBuffer(value)) for (const [k, v] of Object.entries(value)) personalValues(v, under || isPersonalKey(k), out);
  return out;
}

/** A deep copy with every secret-named key's value replaced (Maps become objects, Buffers are dropped). */
export function redactConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactConfig);
  if (value instanceof Map) return redactConfig(Object.fromEntries(value));
  if (Buffer.isBuffer(value)) return REDACTED;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretKey(k) && v !== undefined && v !== null ? redactSecretValue(v) : redactConfig(v)]));
  }
  return value;
}

/** `{file: PATH}` keeps its path (not a secret; where the secret is); anything else goes. */
function redactSecretValue(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as { file?: unknown }).file === 'string') {
    return { file: (v as { file: string }).file, content: REDACTED };
  }
  return REDACTED;
}

/** Every secret value in a (loaded) config: the strings under secret-named keys. */
export function secretValues(value: unknown, under = false, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    // a short value could match ordinary text everywhere; a secret that short is not worth hiding
    if (under && value.length >= 4) out.add(value);
  } else if (Buffer.isBuffer(value)) {
    if (under) out.add(value.toString('utf8'));
  } else if (Array.isArray(value)) value.forEach((v) => secretValues(v, under, out));
  else if (value instanceof Map) secretValues(Object.fromEntries(value), under, out);
  else if (value && typeof value === 'object') {
    // `{file: PATH}`: the path says where the secret is, it is not the secret (its content is scrubbed via secretFiles)
    if (under && Object.keys(value).length === 1 && typeof (value as { file?: unknown }).file === 'string') return out;
    for (const [k, v] of Object.entries(value)) secretValues(v, under || isSecretKey(k), out);
  }
  return out;
}

/** The files named by `{file: PATH}` under secret-named keys (paths as written, unresolved). */
export function secretFiles(value: unknown, under = false, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => secretFiles(v, under, out));
  else if (value && typeof value === 'object' && !(value instanceof Map) && !Buffer.isBuffer(value)) {
    const file = (value as { file?: unknown }).file;
    if (under && typeof file === 'string' && Object.keys(value).length === 1) out.add(file);
    else for (const [k, v] of Object.entries(value)) secretFiles(v, under || isSecretKey(k), out);
  }
  return out;
}

/** The text with every occurrence of each secret replaced (longest first, so one inside another goes too). */
export function scrub(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) {
    if (!s) continue;
    out = out.split(s).join(REDACTED);
    // as it would look inside JSON
    const json = JSON.stringify(s).slice(1, -1);
    if (json !== s) out = out.split(json).join(REDACTED);
  }
  return out;
}
