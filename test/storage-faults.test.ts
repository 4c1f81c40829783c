// The smaller storage faults, each against the real running gateway: a 20,000-row
// CSV import that must not stall the box (and a catalogue size cap), the same dish
// photo uploaded twice, data files readable by anyone, a public /readyz that showed
// addresses and paths, and a read-only data directory at start.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, simulatorConfig, startGateway, type RunningGateway } from './helpers/gateway.ts';
import { freePort } from './helpers/ports.ts';

let gw: RunningGateway;
let admin: Record<string, string> = {};
let deadUplinkPort = 0;
let leftover = '';

beforeAll(async () => {
  const base = await simulatorConfig();
  deadUplinkPort = await freePort(); // nobody listens: the uplink's error names this address
  const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-storage-')), 'data');
  mkdirSync(dataDir);
  // a file an older version left readable by everyone
  leftover = path.join(dataDir, 'notes.txt');
  writeFileSync(leftover, 'old');
  chmodSync(leftover, 0o644);
  gw = await startGateway({
    dataDir,
    config: {
      ...base,
      canteen: { max_dishes: 25_000 },
      uplinks: [{ id: 'province', type: 'http', url: `http://127.0.0.1:${deadUplinkPort}/ingest/{stream}`, token: 't', backoff: { min_ms: 100, max_ms: 500 } }],
    },
  });
  admin = (await gw.loginAs('admin')).headers;
}, 60_000);
afterAll(async () => {
  await gw?.stop();
  if (gw) rmSync(path.dirname(gw.dataDir), { recursive: true, force: true });
});

const api = async (method: string, url: string, body?: string | Uint8Array, type = 'application/json') => {
  const r = await fetch(`${gw.url}${url}`, { method, headers: { ...admin, ...(body === undefined ? {} : { 'content-type': type }) }, body: body as BodyInit | undefined });
  return { status: r.status, body: r.headers.get('content-type')?.includes('json') ? await r.json() : await r.arrayBuffer() };
};

/** POST over node:http, to know when the whole body has left (request 'finish') and from which port. */
function postCsv(url: string, csv: string): { flushed: Promise<number>; answer: Promise<{ status: number; body: string }> } {
  let flushed!: (port: number) => void;
  const f = new Promise<number>((r) => (flushed = r));
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(`${gw.url}${url}`, { method: 'POST', headers: { ...admin, 'content-type': 'text/csv' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.on('finish', () => flushed(req.socket!.localPort!));
    req.end(csv);
  });
  return { flushed: f, answer };
}

/**
 * True once the kernel holds none of the request between the client's port and the
 * gateway's (nothing unsent, unacknowledged or unread, /proc/net/tcp): the gateway has
 * read the whole body.
 */
function requestRead(clientPort: number, serverPort: number): boolean {
  const port = (addr: string) => parseInt(addr.split(':')[1]!, 16);
  const rows = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)).filter((c) => c.length > 4);
  const queues = (local: number, remote: number) => rows.filter((c) => port(c[1]!) === local && port(c[2]!) === remote).map((c) => c[4]!.split(':').map((h) => parseInt(h, 16)));
  const both = [...queues(serverPort, clientPort), ...queues(clientPort, serverPort)];
  return both.length === 2 && both.every(([tx, rx]) => tx === 0 && rx === 0);
}

const csv = (rows: number, from = 0) => ['name,price_mode,price_yuan,per_grams', ...Array.from({ length: rows }, (_, i) => `菜品${from + i},by_weight,${(i % 50) + 1}.50,100`)].join('\n');

it('keeps a dish photo uploaded twice', async () => {
  const dish = await api('POST', '/api/canteen/dishes', JSON.stringify({ id: 'photo-twice', name: '照片菜', price_mode: 'per_portion', price_fen: 500 }));
  expect(dish.status).toBe(201);
  const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 80, b: 40 } } }).png().toBuffer();
  const first = await api('PUT', '/api/canteen/dishes/photo-twice/photo', png, 'image/png');
  const second = await api('PUT', '/api/canteen/dishes/photo-twice/photo', png, 'image/png');
  expect(second.status).toBe(200);
  expect(second.body.photo).toBe(first.body.photo);
  const photo = await fetch(`${gw.url}/api/canteen/photos/${second.body.photo}`, { headers: admin });
  expect(photo.status).toBe(200);
  expect(photo.headers.get('content-type')).toBe('image/jpeg');
}, 30_000);

describe('CSV import', () => {
  it('imports 20,000 dishes while /healthz keeps answering', async () => {
    const dishes = async () => ((await api('GET', '/api/canteen/catalog')).body.dishes as unknown[]).length;
    const before = await dishes();
    const importing = postCsv('/api/canteen/dishes/import', csv(20_000));
    let done = false;
    const answered = importing.answer.then((a) => ((done = true), a));
    const clientPort = await importing.flushed;
    while (!requestRead(clientPort, gw.port)) await new Promise((r) => setImmediate(r));
    // From here every request is sent after the gateway has read the whole import. A
    // /healthz answered, and after it a catalogue still without the import, is a
    // /healthz answered while the import was being checked (a blocking import answers
    // /healthz only once the rows are merged, if at all before its own answer).
    let answeredDuringImport = 0;
    while (!done) {
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
      if (!done && (await dishes()) === before) answeredDuringImport++;
    }
    const result = await answered;
    console.log(`/healthz answered ${answeredDuringImport} times while the import was being checked`);
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ created: 20_000, updated: 0 });
    expect(answeredDuringImport).toBeGreaterThanOrEqual(1);
    expect(await dishes()).toBe(before + 20_000);
  }, 120_000);

  it('refuses an import past canteen.max_dishes with the count, and changes nothing', async () => {
    const before = (await api('GET', '/api/canteen/catalog')).body.version;
    const r = await api('POST', '/api/canteen/dishes/import', csv(5001, 20_000), 'text/csv');
    expect(r.status).toBe(422);
    expect(r.body.error).toMatch(/菜品目录最多 25000 道菜.*canteen\.max_dishes.*25002/);
    expect((await api('GET', '/api/canteen/catalog')).body.version).toBe(before);
    // one more dish, through the API, is refused the same way at the cap
    expect((await api('POST', '/api/canteen/dishes/import', csv(4999, 20_000), 'text/csv')).status).toBe(200);
    const one = await api('POST', '/api/canteen/dishes', JSON.stringify({ name: '多一道', price_mode: 'per_portion', price_fen: 100 }));
    expect(one.status).toBe(422);
  }, 120_000);
});

it('creates the database, its WAL and every data file for the service user only (0600), and tightens older ones', async () => {
  const files: { file: string; mode: number }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.push({ file: path.relative(gw.dataDir, p), mode: statSync(p).mode & 0o777 });
    }
  };
  walk(gw.dataDir);
  const names = files.map((f) => f.file);
  for (const f of ['canteen-edge.db', 'canteen-edge.db-wal', 'canteen-edge.db-shm', 'settings.json', 'catalog.json', 'notes.txt']) expect(names).toContain(f);
  expect(files.filter((f) => f.mode & 0o077).map((f) => `${f.file} ${f.mode.toString(8)}`)).toEqual([]);
  expect(statSync(gw.dataDir).mode & 0o077).toBe(0);
});

describe('/readyz', () => {
  it('tells anyone the states and reasons only: no addresses, upstream URLs or file paths', async () => {
    // the uplink's error names its address (seen below by staff)
    await expect.poll(async () => (await (await fetch(`${gw.url}/readyz`, { headers: admin })).json()).uplinks[0].lastError ?? '', { timeout: 20_000 }).toMatch(/127\.0\.0\.1/);
    const text = await (await fetch(`${gw.url}/readyz`)).text();
    const body = JSON.parse(text);
    expect(text).not.toMatch(/\d+\.\d+\.\d+\.\d+|https?:\/\/|\/tmp\/|\/ingest|lastError|description|detail/);
    expect(text).not.toContain(ROOT);
    expect(text).not.toContain(gw.dataDir);
    expect(body).toMatchObject({ ready: expect.any(Boolean), reasons: expect.any(Array), alarms: expect.any(Array) });
    expect(body.uplinks).toEqual([{ uplink: 'province', state: expect.any(String), since: expect.any(Number) }]);
    expect(body.devices.map((d: { id: string }) => d.id).sort()).toEqual(['checkout-1', 'kitchen-line', 'main-meter']);
    expect(body).not.toHaveProperty('buses');
  });

  it('gives signed-in facility staff, supervisors and admins the details', async () => {
    for (const role of ['facility', 'supervisor', 'admin'] as const) {
      const body = await (await fetch(`${gw.url}/readyz`, { headers: (await gw.loginAs(role)).headers })).json();
      expect(body.buses[0].description).toMatch(/127\.0\.0\.1/);
      expect(body.uplinks[0]).toHaveProperty('lastError');
    }
    // a kitchen account sees what anyone sees
    const kitchen = await (await fetch(`${gw.url}/readyz`, { headers: (await gw.loginAs('kitchen')).headers })).json();
    expect(kitchen).not.toHaveProperty('buses');
  }, 60_000);
});

it('refuses a read-only data directory at start with one line naming it and why', async () => {
  if (process.getuid?.() !== 0) throw new Error('this test mounts a read-only tmpfs (root ignores file modes): run it as root (npm test under .ci/run does)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-ro-'));
  const dataDir = path.join(dir, 'data');
  mkdirSync(dataDir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dataDir]);
  try {
    execFileSync('mount', ['-o', 'remount,ro', dataDir]);
    const configFile = path.join(dir, 'gateway.yaml');
    writeFileSync(configFile, stringify({ server: { host: '127.0.0.1', port: 0 } }));
    const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], { cwd: ROOT, env: { ...process.env, CANTEEN_EDGE_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err.trim().split('\n')).toEqual([`canteen-edge: cannot start: data directory ${dataDir} (paths.data_dir or CANTEEN_EDGE_DATA_DIR) is on a read-only file system: the gateway keeps its database and records there; remount it read-write or choose a writable directory`]);
    expect(`${out}${err}`).not.toMatch(/\n\s+at |EROFS/);
  } finally {
    execFileSync('umount', ['-l', dataDir]);
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
