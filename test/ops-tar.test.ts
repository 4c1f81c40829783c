// The small tar writer/reader of gateway/ops against GNU tar, and the redaction
// helpers on their own.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tarGz } from '../gateway/ops/module.ts';
import { isSecretKey, redactConfig, scrub, secretFiles, secretValues } from '../gateway/ops/redact.ts';
import { header, readTar, TarFormatError } from '../gateway/ops/tar.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-tar-'));

async function read(tar: Buffer) {
  const out = new Map<string, Buffer>();
  // fed in odd-sized pieces, as a stream would
  const pieces: Buffer[] = [];
  for (let i = 0; i < tar.length; i += 777) pieces.push(tar.subarray(i, i + 777));
  await readTar(Readable.from(pieces), (h) => {
    const chunks: Buffer[] = [];
    return { write: (c) => void chunks.push(Buffer.from(c)), end: () => void out.set(h.name, Buffer.concat(chunks)) };
  });
  return out;
}

describe('tar', () => {
  it('writes what GNU tar extracts byte for byte, and reads what GNU tar writes', async () => {
    const files = [
      { name: 'a.txt', body: Buffer.from('hello\n') },
      { name: 'dir/empty', body: Buffer.alloc(0) },
      { name: 'dir/random.bin', body: randomBytes(512 * 3 + 17) },
      { name: 'dir/exact.bin', body: randomBytes(1024) },
    ];
    const file = path.join(tmp, 'ours.tar.gz');
    writeFileSync(file, await tarGz(files));
    const dest = mkdtempSync(path.join(tmp, 'x-'));
    execFileSync('tar', ['-xzf', file, '-C', dest]);
    for (const f of files) expect(readFileSync(path.join(dest, f.name)).equals(f.body), f.name).toBe(true);

    const theirs = execFileSync('tar', ['--format=ustar', '-cf', '-', '-C', dest, 'a.txt', 'dir']);
    const got = await read(theirs);
    for (const f of files) expect(got.get(f.name)?.equals(f.body), f.name).toBe(true);
  });

  it('encodes sizes past 8 GiB in base-256, as GNU tar does', () => {
    const size = 9 * 1024 ** 3 + 5;
    const h = header({ name: 'big.db', size, mode: 0o600, mtime: Date.now(), type: 'file' });
    expect(h[124]).toBe(0x80);
    expect(Number(h.readBigUInt64BE(128))).toBe(size);
  });

  it('refuses a damaged header and a truncated archive', async () => {
    const tar = gunzipSync(await tarGz([{ name: 'a.txt', body: 'x'.repeat(2000) }]));
    const damaged = Buffer.from(tar);
    damaged[10] = damaged[10]! ^ 0xff;
    await expect(read(damaged)).rejects.toThrow(TarFormatError);
    await expect(read(tar.subarray(0, 1024))).rejects.toThrow(/truncated/);
  });
});

describe('redaction', () => {
  const config = {
    server: { metrics_token: 'mt-123456', port: 8080 },
    uplinks: [{ id: 'p', token: { file: '/etc/t.txt' }, hmac_key: 'hk-123456', keep_delivered_hours: 24 }],
    payments: { qr_secret: 'qr-123456', daily_cap_fen: 5000 },
    mqtt: { username: 'box', password: 'pw-123456' },
  };

  it('names secrets by key', () => {
    for (const k of ['token', 'metrics_token', 'hmac_key', 'aes_key', 'password', 'qr_secret', 'loginKey']) expect(isSecretKey(k), k).toBe(true);
    for (const k of ['port', 'username', 'keep_delivered_hours', 'url', 'id']) expect(isSecretKey(k), k).toBe(false);
  });

  it('keeps what is not secret, drops secret values, keeps a {file} secret\'s path only', () => {
    expect(redactConfig(config)).toEqual({
      server: { metrics_token: '[redacted]', port: 8080 },
      uplinks: [{ id: 'p', token: { file: '/etc/t.txt', content: '[redacted]' }, hmac_key: '[redacted]', keep_delivered_hours: 24 }],
      payments: { qr_secret: '[redacted]', daily_cap_fen: 5000 },
      mqtt: { username: 'box', password: '[redacted]' },
    });
    expect([...secretValues(config)].sort()).toEqual(['hk-123456', 'mt-123456', 'pw-123456', 'qr-123456']);
    expect([...secretFiles(config)]).toEqual(['/etc/t.txt']);
  });

  it('scrubs secret values from any text, also JSON-escaped', () => {
    expect(scrub('a pw-123456 b {"k":"q\\"x-1"}', ['pw-123456', 'q"x-1'])).toBe('a [redacted] b {"k":"[redacted]"}');
  });
});
