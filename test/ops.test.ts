// The operations view and the support bundle on the real gateway: what GET
// /api/admin/ops reports (checked against statfs, the database, the packages and
// /readyz), and a support bundle that GNU tar reads and that holds none of the
// configured secrets — inline or read from {file} — anywhere in its bytes.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_MODELS_DIR } from '../bench/recognition/photos.ts';
import { readTar } from '../gateway/ops/tar.ts';
import { readMigrations } from '../gateway/store/sqlite.ts';
import { simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { freePort } from './helpers/ports.ts';

const secret = (what: string) => `${what}-${randomBytes(12).toString('hex')}`;
const S = {
  metricsToken: secret('metrics-token'),
  uplinkToken: secret('uplink-token-from-file'),
  hmacKey: secret('hmac-key'),
  mqttPassword: secret('mqtt-password'),
  qrSecret: secret('qr-secret-from-file'),
  provinceToken: secret('province-token'),
};
/** holders and their cards: personal data the bundle must not carry (issue 11, hole 8) */
const PEOPLE = [
  { id: 'zhang', person: '张三明', card_id: 'C7734992100' },
  { id: 'li', person: '李四', card_id: 'C0051' },
];
const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-ops-'));
const tokenFile = path.join(dir, 'uplink-token.txt');
const qrFile = path.join(dir, 'qr-secret.txt');

let gw: RunningGateway;
let config: Record<string, unknown>;

beforeAll(async () => {
  writeFileSync(tokenFile, `${S.uplinkToken}\n`, { mode: 0o600 });
  writeFileSync(qrFile, `${S.qrSecret}\n`, { mode: 0o600 });
  const [province, deadBroker] = [await freePort(), await freePort()];
  const base = await simulatorConfig();
  config = {
    ...base,
    server: { ...(base.server as object), metrics_token: S.metricsToken },
    simulators: { ...(base.simulators as object), province: { enabled: true, port: province, token: S.provinceToken, hmac_key: S.hmacKey } },
    payments: { qr_secret: { file: qrFile }, accounts: PEOPLE },
    outbox: { readings_every_ms: 0 },
    uplinks: [
      { id: 'province', type: 'http', url: `http://127.0.0.1:${province}/ingest/{stream}`, token: { file: tokenFile }, hmac_key: S.hmacKey },
      { id: 'broker', type: 'mqtt', url: `mqtt://127.0.0.1:${deadBroker}`, username: 'box', password: S.mqttPassword, timeout_ms: 500, backoff: { min_ms: 100, max_ms: 500, offline_after_ms: 300 } },
    ],
  };
  gw = await startGateway({ config, env: { CANTEEN_EDGE_MODELS_DIR: SHARED_MODELS_DIR } });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

const get = async (url: string, role?: 'admin' | 'facility') => fetch(`${gw.url}${url}`, { headers: role ? (await gw.loginAs(role)).headers : {} });

describe('GET /api/admin/ops', () => {
  it('reports devices, models, the outbox backlog per uplink, disk and versions', async () => {
    // the mqtt uplink's broker is not there: its backlog and state show
    await expect.poll(async () => (await (await get('/api/admin/ops', 'admin')).json()).outbox?.links.find((l: { uplink: string }) => l.uplink === 'broker')?.state, { timeout: 20_000 }).toBe('offline');
    const res = await get('/api/admin/ops', 'admin');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const ops = await res.json();

    expect(ops.boxId).toBe(JSON.parse(readFileSync(path.join(gw.dataDir, 'settings.json'), 'utf8')).boxId);
    expect(ops.devices.map((d: { id: string }) => d.id).sort()).toEqual(['checkout-1', 'kitchen-line', 'main-meter']);
    expect(ops.outbox.backlog.filter((b: { uplink: string }) => b.uplink === 'broker').map((b: { stream: string }) => b.stream).sort()).toEqual(['alerts', 'events', 'intervals', 'readings', 'transactions']);

    // the same models, in the same state, as /readyz reports
    const ready = await (await get('/readyz')).json();
    expect(ops.models.map((m: { name: string; state: string }) => `${m.name}:${m.state}`).sort()).toEqual(ready.models.map((m: { name: string; state: string }) => `${m.name}:${m.state}`).sort());
    expect(ops.models.find((m: { name: string }) => m.name === 'mobilenetv2-12-int8')?.state).toBe('ok');

    // disk: the filesystem's figures as statfs gives them; the data directory's use at least its database
    const fs = statfsSync(gw.dataDir);
    expect(ops.disk.dataDir).toBe(gw.dataDir);
    expect(ops.disk.fs.totalBytes).toBe(fs.blocks * fs.bsize);
    expect(Math.abs(ops.disk.fs.availableBytes - fs.bavail * fs.bsize)).toBeLessThan(fs.blocks * fs.bsize * 0.05);
    expect(ops.disk.usedBytes).toBeGreaterThanOrEqual(statSync(path.join(gw.dataDir, 'canteen-edge.db')).size);
    expect(ops.disk.usedBytes).toBeLessThan((fs.blocks - fs.bfree) * fs.bsize);
    expect(ops.disk.files).toBeGreaterThanOrEqual(2);

    const db = new Database(':memory:');
    const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    db.close();
    const pkg = (name: string) => JSON.parse(readFileSync(path.join('node_modules', name, 'package.json'), 'utf8')).version;
    expect(ops.versions).toMatchObject({
      canteenEdge: JSON.parse(readFileSync('package.json', 'utf8')).version,
      node: process.versions.node,
      onnxruntime: pkg('onnxruntime-node'),
      betterSqlite3: pkg('better-sqlite3'),
      sqlite,
      schema: readMigrations().length,
      os: { kernel: os.release(), arch: process.arch },
    });
    expect(ops.versions.os.name.length).toBeGreaterThan(0);
  });

  it('shows the last warnings and errors, newest first', async () => {
    // a broken config on SIGHUP is logged as an error (and the gateway keeps running)
    writeFileSync(gw.configFile, stringify({ ...config, log: { level: 'loud' } }));
    gw.child.kill('SIGHUP');
    await expect.poll(() => gw.stdout(), { timeout: 10_000 }).toMatch(/config reload refused/);
    writeFileSync(gw.configFile, stringify(config));
    const ops = await (await get('/api/admin/ops', 'admin')).json();
    const line = ops.lastErrors.find((l: { msg: string }) => /config reload refused/.test(l.msg));
    expect(line).toMatchObject({ level: 'error' });
    expect(line.msg).toContain('log.level');
    expect(ops.lastErrors.map((l: { time: string }) => l.time)).toEqual([...ops.lastErrors.map((l: { time: string }) => l.time)].sort().reverse());
  });

  it('is for admins only', async () => {
    expect((await get('/api/admin/ops')).status).toBe(401);
    expect((await get('/api/admin/ops', 'facility')).status).toBe(403);
    expect((await get('/api/admin/support-bundle')).status).toBe(401);
    expect((await get('/api/admin/support-bundle', 'facility')).status).toBe(403);
  });
});

describe('GET /api/admin/support-bundle', () => {
  let gz: Buffer;
  const files = new Map<string, string>();

  beforeAll(async () => {
    const res = await get('/api/admin/support-bundle', 'admin');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="canteen-edge-support-[0-9a-f]{8}-\d{8}T\d{6}Z\.tar\.gz"$/);
    gz = Buffer.from(await res.arrayBuffer());
    await readTar(Readable.from([gunzipSync(gz)]), (h) => {
      const chunks: Buffer[] = [];
      return { write: (c) => void chunks.push(Buffer.from(c)), end: () => void files.set(h.name, Buffer.concat(chunks).toString('utf8')) };
    });
  }, 30_000);

  it('is a .tar.gz GNU tar reads, with config, logs, metrics, readiness, versions and ops', () => {
    const file = path.join(dir, 'bundle.tar.gz');
    writeFileSync(file, gz);
    const listed = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n');
    expect(listed).toEqual([...files.keys()]);
    expect(listed.sort()).toEqual(
      ['manifest.json', 'config/running.json', 'config/file.yaml', 'logs/recent-warnings-errors.jsonl', 'metrics.txt', 'readyz.json', 'versions.json', 'ops.json', 'biometrics/impact-assessment.json'].map((f) => `canteen-edge-support/${f}`).sort(),
    );
    const f = (name: string) => files.get(`canteen-edge-support/${name}`)!;
    expect(f('metrics.txt')).toMatch(/^# HELP canteen_edge_/m);
    expect(JSON.parse(f('readyz.json'))).toHaveProperty('devices');
    expect(JSON.parse(f('versions.json')).node).toBe(process.versions.node);
    expect(JSON.parse(f('ops.json')).boxId).toBe(JSON.parse(readFileSync(path.join(gw.dataDir, 'settings.json'), 'utf8')).boxId);
    expect(f('logs/recent-warnings-errors.jsonl')).toMatch(/config reload refused/);
  });

  it('holds every configured secret redacted: none of them appears anywhere in its bytes', () => {
    const tar = gunzipSync(gz);
    for (const [name, value] of Object.entries(S)) {
      expect(tar.includes(value), `${name} in the bundle`).toBe(false);
      expect(gz.includes(value), `${name} in the compressed bundle`).toBe(false);
    }
    const running = JSON.parse(files.get('canteen-edge-support/config/running.json')!);
    expect(running.server.metrics_token).toBe('[redacted]');
    expect(running.uplinks.find((u: { id: string }) => u.id === 'province').token).toBe('[redacted]');
    expect(running.uplinks.find((u: { id: string }) => u.id === 'broker')).toMatchObject({ username: 'box', password: '[redacted]' });
    // what is not secret stays, so the bundle is still useful
    expect(running.uplinks.find((u: { id: string }) => u.id === 'broker').url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    // a {file} secret keeps its path, never its content
    const fileYaml = files.get('canteen-edge-support/config/file.yaml')!;
    expect(fileYaml).toContain(tokenFile);
    expect(fileYaml).toContain(qrFile);
    expect(fileYaml).toContain('[redacted]');
  });

  it('holds no holder name and no card id, in the config files or anywhere else in its bytes', () => {
    const tar = gunzipSync(gz);
    for (const p of PEOPLE) {
      for (const value of [p.person, p.card_id]) {
        expect(tar.includes(Buffer.from(value, 'utf8')), `${value} in the bundle`).toBe(false);
        expect(tar.includes(Buffer.from(JSON.stringify(value).slice(1, -1), 'utf8')), `${value} (JSON-escaped) in the bundle`).toBe(false);
      }
    }
    const running = JSON.parse(files.get('canteen-edge-support/config/running.json')!);
    // the account ids stay: a supporter can tell that two accounts are configured
    expect(running.payments.accounts).toEqual(PEOPLE.map((p) => expect.objectContaining({ id: p.id, person: '[redacted]', card_id: '[redacted]' })));
  });

  it('is recorded in the audit log: who and when', async () => {
    const audit = await (await get('/api/auth/audit?limit=50', 'admin')).json();
    const rows = (Array.isArray(audit) ? audit : audit.entries) as { actor: string; action: string; at: number; result: string }[];
    const row = rows.find((r) => r.action === 'support bundle');
    expect(row).toMatchObject({ actor: 'test-admin', result: 'ok' });
    expect(Date.now() - row!.at).toBeLessThan(10 * 60_000);
  });
});
