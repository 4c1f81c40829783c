// `canteen-edge backup` and `restore` with the real command: a backup of a running
// gateway with payments in its ledger, restored into a fresh data directory, serves
// the same data; a running gateway's directory is never restored over; a damaged,
// truncated or tampered archive exits 1 with the reason and changes nothing.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tarGz } from '../gateway/ops/module.ts';
import { readTar } from '../gateway/ops/tar.ts';
import { readMigrations } from '../gateway/store/sqlite.ts';
import { cli } from './helpers/cli.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-backup-'));
const archive = path.join(tmp, 'backup.tar.gz');
let config: Record<string, unknown>;
let gw: RunningGateway;
let configFile: string;
let dataDir: string;
let accountsBefore: unknown;
let boxId: string;

const withData = (dir: string) => ({ CANTEEN_EDGE_DATA_DIR: dir });
const run = (args: string[], dir: string) => cli([...args, '--config', configFile], withData(dir));
const entries = async (file: string) => {
  const out = new Map<string, Buffer>();
  await readTar(Readable.from([gunzipSync(readFileSync(file))]), (h) => {
    const chunks: Buffer[] = [];
    return { write: (c) => void chunks.push(Buffer.from(c)), end: () => void out.set(h.name, Buffer.concat(chunks)) };
  });
  return out;
};
const txCount = (dir: string) => {
  const db = new Database(path.join(dir, 'canteen-edge.db'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM payment_transactions').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  config = { ...(await simulatorConfig()), payments: { accounts: [{ id: 'a1', person: '张三明', card_id: 'card-1', opening_balance_fen: 1000 }] } };
  gw = await startGateway({ config });
  configFile = gw.configFile;
  dataDir = gw.dataDir;
  const admin = await gw.loginAs('admin');
  for (const [i, fen] of [500, 1200, 80].entries()) {
    const r = await fetch(`${gw.url}/api/payments/topups`, { method: 'POST', headers: { ...admin.headers, 'content-type': 'application/json' }, body: JSON.stringify({ key: `topup-${i}`, account_id: 'a1', amount_fen: fen }) });
    expect(r.status, await r.clone().text()).toBeLessThan(300);
  }
  accountsBefore = await (await fetch(`${gw.url}/api/payments/accounts`, { headers: admin.headers })).json();
  boxId = JSON.parse(readFileSync(path.join(dataDir, 'settings.json'), 'utf8')).boxId;
  // a key file where the biometrics module keeps it, so that leaving it out is visible
  writeFileSync(path.join(dataDir, 'biometric.key'), randomBytes(32), { mode: 0o600, flag: 'w' });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

describe('backup', () => {
  it('backs up the running gateway: one archive, manifest first, each file with its sha256', async () => {
    const r = run(['backup', '--out', archive], dataDir);
    expect(r.code, r.stderr).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({ ok: true, file: archive, boxId, schemaVersion: readMigrations().length, includesKey: false });
    expect(out.bytes).toBe(statSync(archive).size);
    expect(execFileSync('sha256sum', [archive], { encoding: 'utf8' }).split(' ')[0]).toBe(out.sha256);

    // GNU tar reads it; the manifest comes first
    const listed = execFileSync('tar', ['-tzf', archive], { encoding: 'utf8' }).trim().split('\n');
    expect(listed[0]).toBe('manifest.json');
    expect(listed).toEqual(expect.arrayContaining(['data/canteen-edge.db', 'data/settings.json']));
    expect(listed.some((n) => /biometric\.key|initial-admin-password|gateway\.pid|-wal$|-shm$/.test(n))).toBe(false);

    const files = await entries(archive);
    const manifest = JSON.parse(files.get('manifest.json')!.toString());
    expect(manifest).toMatchObject({ format: 'canteen-edge-backup', boxId, schemaVersion: readMigrations().length, includesKey: false });
    for (const f of manifest.files) {
      expect(files.get(f.path)!.length).toBe(f.bytes);
      expect(execFileSync('sha256sum', { input: files.get(f.path)!, encoding: 'utf8' }).split(' ')[0]).toBe(f.sha256);
    }
  });

  it('adds the biometric key only with --include-key, and warns what that means', async () => {
    const withKey = path.join(tmp, 'with-key.tar.gz');
    const r = run(['backup', '--out', withKey, '--include-key'], dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: --include-key .* decrypt the face templates/);
    const files = await entries(withKey);
    expect(files.get('key/biometric.key')!.equals(readFileSync(path.join(dataDir, 'biometric.key')))).toBe(true);
    expect(JSON.parse(files.get('manifest.json')!.toString()).includesKey).toBe(true);
  });

  it('exits 2 without --out', () => {
    const r = run(['backup'], dataDir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out FILE is required/);
  });
});

describe('restore', () => {
  const fresh = path.join(tmp, 'fresh', 'data');

  it('refuses while the gateway runs on that data directory', () => {
    const r = run(['restore', '--from', archive, '--force'], dataDir);
    expect(r.code).toBe(1);
    expect(r.json()).toMatchObject({ ok: false });
    expect(r.json().error).toMatch(new RegExp(`is in use by a running gateway \\(pid ${gw.child.pid}, port ${gw.port}\\); stop it first`));
  });

  it('restores into a fresh data directory, and the gateway started on it has the same ledger', async () => {
    const r = run(['restore', '--from', archive], fresh);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ ok: true, dataDir: fresh, keptAside: null, boxId });
    const transactions = txCount(dataDir);
    expect(transactions).toBeGreaterThanOrEqual(3); // the three top-ups
    await gw.stop();

    const again = await startGateway({ config, env: withData(fresh) });
    try {
      const admin = await again.loginAs('admin');
      expect(await (await fetch(`${again.url}/api/payments/accounts`, { headers: admin.headers })).json()).toEqual(accountsBefore);
      expect(JSON.parse(readFileSync(path.join(fresh, 'settings.json'), 'utf8')).boxId).toBe(boxId);
      expect(txCount(fresh)).toBe(transactions);
    } finally {
      await again.stop();
    }
  }, 60_000);

  it('replaces a data directory that holds a database only with --force, keeping the old one aside and its owner', () => {
    const refused = run(['restore', '--from', archive], fresh);
    expect(refused.code).toBe(1);
    expect(refused.json().error).toMatch(/already holds a database; give --force/);
    // the service user's directory, restored by root: the files stay the service user's
    const owner = process.getuid!() === 0 ? 65534 : process.getuid!();
    if (process.getuid!() === 0) chownSync(fresh, owner, owner);
    const r = run(['restore', '--from', archive, '--force'], fresh);
    expect(r.code, r.stderr).toBe(0);
    const { keptAside } = r.json();
    expect(keptAside).toMatch(new RegExp(`^${fresh.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d{8}T\\d{6}Z\\.bak$`));
    expect(existsSync(path.join(keptAside, 'canteen-edge.db'))).toBe(true);
    expect(statSync(path.join(fresh, 'canteen-edge.db')).uid).toBe(owner);
    expect(statSync(path.join(fresh, 'settings.json')).uid).toBe(owner);
  });

  describe('a bad archive exits 1 with the reason and changes nothing', () => {
    const target = path.join(tmp, 'untouched', 'data');
    const expectRefused = (file: string, reason: RegExp) => {
      const r = run(['restore', '--from', file], target);
      expect(r.code, r.stderr).toBe(1);
      expect(r.json().ok).toBe(false);
      expect(r.json().error).toMatch(reason);
      expect(existsSync(target)).toBe(false);
      expect(existsSync(path.dirname(target)) ? readdirSync(path.dirname(target)) : []).toEqual([]);
    };

    it('damaged bytes', () => {
      const bytes = readFileSync(archive);
      for (let i = Math.floor(bytes.length / 2); i < Math.floor(bytes.length / 2) + 64; i++) bytes[i] = bytes[i]! ^ 0x5a;
      const file = path.join(tmp, 'damaged.tar.gz');
      writeFileSync(file, bytes);
      expectRefused(file, /damaged|not a readable \.tar\.gz|does not match/);
    });

    it('truncated', () => {
      const file = path.join(tmp, 'truncated.tar.gz');
      const bytes = readFileSync(archive);
      writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      expectRefused(file, /truncated|unexpected end of file/);
    });

    it('a file that does not match its checksum', async () => {
      const files = await entries(archive);
      const settings = JSON.parse(files.get('data/settings.json')!.toString());
      files.set('data/settings.json', Buffer.from(JSON.stringify({ ...settings, boxId: 'someone-else' })));
      const manifest = JSON.parse(files.get('manifest.json')!.toString());
      manifest.files.find((f: { path: string }) => f.path === 'data/settings.json').bytes = files.get('data/settings.json')!.length;
      files.set('manifest.json', Buffer.from(JSON.stringify(manifest)));
      const file = path.join(tmp, 'tampered.tar.gz');
      writeFileSync(file, await tarGz([...files].map(([name, body]) => ({ name, body }))));
      expectRefused(file, /data\/settings\.json: sha256 [0-9a-f]{64} does not match the manifest's/);
    });

    it('a database newer than this canteen-edge knows', async () => {
      const files = await entries(archive);
      const manifest = JSON.parse(files.get('manifest.json')!.toString());
      files.set('manifest.json', Buffer.from(JSON.stringify({ ...manifest, schemaVersion: readMigrations().length + 1 })));
      const file = path.join(tmp, 'newer.tar.gz');
      writeFileSync(file, await tarGz([...files].map(([name, body]) => ({ name, body }))));
      expectRefused(file, /schema version \d+, newer than this canteen-edge knows/);
    });

    it('not a backup at all', () => {
      const file = path.join(tmp, 'not-a-backup.tar.gz');
      writeFileSync(file, randomBytes(4096));
      expectRefused(file, /not a readable \.tar\.gz/);
    });
  });
});
