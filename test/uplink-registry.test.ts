// The uplink registry is the one list the config union, secret reading, redaction and
// the factory are built from: these check that the list and what is built from it agree.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../gateway/config/schema.ts';
import { redactConfig, REDACTED } from '../gateway/ops/redact.ts';
import { UPLINK_SECRET_KEYS, UPLINKS, batchTimeoutMs, uplinkEntryOf, uplinkSchema, type LoadedUplink } from '../gateway/uplink/registry.ts';

const typeOf = (e: (typeof UPLINKS)[number]) => e.schema.shape.type.value as string;

describe('uplink registry', () => {
  it('names each type once and the config union has exactly those types', () => {
    const types = UPLINKS.map(typeOf);
    expect(new Set(types).size).toBe(types.length);
    expect(types).toEqual(['http', 'mqtt', 'jgj285']);
    expect(uplinkSchema.options.map((o) => o.shape.type.value)).toEqual(types);
    expect(configSchema.shape.uplinks.unwrap().element).toBe(uplinkSchema);
  });

  it('declares only secret keys and path keys its schema has', () => {
    for (const e of UPLINKS) {
      for (const k of [...e.secretKeys, ...(('pathKeys' in e ? e.pathKeys : undefined) ?? [])]) expect(Object.keys(e.schema.shape), `${typeOf(e)}.${k}`).toContain(k);
    }
    expect(UPLINK_SECRET_KEYS).toEqual(expect.arrayContaining(['token', 'hmac_key', 'password', 'aes_key', 'login_key']));
  });

  it('redacts every secret key of every uplink in a support bundle config', () => {
    const uplinks = UPLINKS.map((e) => ({ id: typeOf(e), type: typeOf(e), ...Object.fromEntries(e.secretKeys.map((k) => [k, `s3cret-${k}`])) }));
    const redacted = JSON.stringify(redactConfig({ uplinks }));
    expect(redacted).not.toContain('s3cret-');
    for (const e of UPLINKS) for (const k of e.secretKeys) expect(redacted).toContain(`"${k}":"${REDACTED}"`);
  });

  it('gives a jgj285 batch time to connect and log in first (4 × timeout_ms), the others their timeout_ms', () => {
    const parse = (u: object) => uplinkSchema.parse(u) as LoadedUplink;
    expect(batchTimeoutMs(parse({ id: 'h', type: 'http', url: 'https://x/{stream}', timeout_ms: 2000 }))).toBe(2000);
    expect(batchTimeoutMs(parse({ id: 'm', type: 'mqtt', url: 'mqtt://broker', timeout_ms: 3000 }))).toBe(3000);
    expect(batchTimeoutMs(parse({ id: 'j', type: 'jgj285', host: 'p', port: 1, building_id: 'b', gateway_id: 'g', aes_key: '0123456789abcdef', login_key: 'k', timeout_ms: 5000 }))).toBe(20_000);
  });

  it('refuses an unknown type with the known ones', () => {
    expect(() => uplinkEntryOf('ftp')).toThrow(/no uplink type "ftp"; expected one of http, mqtt, jgj285/);
  });
});
