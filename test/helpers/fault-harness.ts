// The fault harness (issue 12): the real gateway (`canteen-edge start`, its own
// process group) against the province simulator (`canteen-edge sim province`, its
// own process, so it outlives the gateway), under load over HTTP (top-ups, morning
// checks; readings and intervals come from the built-in meter simulator), with one
// fault at a time at seeded random moments:
//   kill        kill -9 of the gateway's process group, restarted when the phase ends
//   hang        the simulator takes batches and never answers
//   slow        the simulator answers after half the uplink's timeout
//   error       the simulator answers 503
//   reset       the simulator drops the connection
//   disk-full   the tmpfs holding the data directory is filled to the last byte, then freed
//   clock-step  the gateway's wall clock jumps ±5–15 min (test/peers/clock-step.mjs, loaded
//               with NODE_OPTIONS: the gateway has no clock hook of its own), then back
// Each fault is followed by a calm phase in which forwarding must resume within the
// backoff. At the end everything is drained and the invariants are checked by the caller:
// every request answered 2xx and every committed row reached the simulator (exactly once
// after de-duplication — nothing is left queued after the drain), no gaps or reordering
// per stream beyond what the disk budget thinned and reported, no recovery longer than
// the backoff allows, and /readyz (polled all along) never said the uplink was online
// while the simulator hung.
// Used by test/fault-harness.test.ts (CI, ~3 min) and bench/soak (30 min).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { BIN, ROOT, simulatorConfig } from './gateway.ts';
import { freePort } from './ports.ts';
import { seededRandom, startProvince, type ProvinceProcess } from './province.ts';

export type FaultKind = 'kill' | 'hang' | 'slow' | 'error' | 'reset' | 'disk-full' | 'clock-step';
export const FAULTS: FaultKind[] = ['kill', 'hang', 'slow', 'error', 'reset', 'disk-full', 'clock-step'];

const CLOCK_PRELOAD = path.join(ROOT, 'test/peers/clock-step.mjs');
const ACCOUNTS = ['a1', 'a2', 'a3', 'a4'];
const STAFF = ['wang', 'zhao'];
const ALL_CLEAR = { fever: false, diarrhoea: false, vomiting: false, sore_throat: false, hand_wound: false, jaundice: false, uniform: true, cap: true, mask: true, no_jewellery: true };
const METRICS_TOKEN = 'harness-metrics';

export interface HarnessOptions {
  seed: number;
  /** how long faults are injected; the final drain comes after */
  durationMs: number;
  /** a fault phase lasts between these, ms */
  faultMs: [number, number];
  /** a calm phase after a fault: at least this long, ms (and until forwarding resumed) */
  calmMs: number;
  tmpfsMb: number;
  readingsEveryMs: number;
  topUpEveryMs: number;
  checkEveryMs: number;
  uplinkTimeoutMs: number;
  backoff: { min_ms: number; max_ms: number };
  /** only these faults (default all) */
  faults?: FaultKind[];
  log(line: string): void;
}

export interface Phase {
  kind: FaultKind;
  at: number;
  ms: number;
  /** after the fault ended: until the simulator got new records, ms (null: not within the limit) */
  recoveryMs: number | null;
  allowedMs: number;
}

export interface HarnessResult {
  seed: number;
  phases: Phase[];
  accepted: { topUps: number; checks: number };
  committed: { topUps: number; checks: number };
  received: Record<string, { unique: number; duplicates: number; gaps: number; outOfOrder: number; maxSeq: number }>;
  /** answered 2xx or committed, and not received upstream after the drain */
  lost: { topUps: string[]; checks: string[]; committedTopUps: string[]; committedChecks: string[] };
  /** readings the disk budget thinned (counted and reported upstream as drops) */
  thinned: number;
  requests: Record<string, number>;
  readyz: { samples: number; stalledSamples: number; violations: string[] };
  unexpectedExits: string[];
  failedStarts: number;
  rss: { t: number; pid: number; ageMs: number; mb: number }[];
  longestRecoveryMs: number;
  gatewayLog: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** fetch with a deadline of our own (AbortSignal.timeout can be collected away on Node 20). */
async function fetchWithin(url: string, init: RequestInit, ms: number): Promise<Response> {
  const c = new AbortController();
  const t = setTimeout(() => c.abort(), ms);
  try {
    const res = await fetch(url, { ...init, signal: c.signal });
    await res.clone().arrayBuffer(); // the body too, within the deadline
    return res;
  } finally {
    clearTimeout(t);
  }
}

class GatewayProcess {
  child: ChildProcess | undefined;
  startedAt = 0;
  private killing = false;
  readonly unexpectedExits: string[] = [];
  failedStarts = 0;

  constructor(
    private readonly configFile: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly url: string,
    private readonly logFile: string,
    private readonly log: (s: string) => void,
  ) {}

  /** Starts it and waits for /healthz; false when it exited or did not answer in time. */
  async start(): Promise<boolean> {
    const out = openSync(this.logFile, 'a');
    const child = spawn(process.execPath, [BIN, 'start', '--config', this.configFile], { cwd: ROOT, env: this.env, detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    this.child = child;
    this.killing = false;
    this.startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (!this.killing) this.unexpectedExits.push(`pid ${child.pid} exited on its own (code ${code}, signal ${signal}) after ${Date.now() - this.startedAt} ms`);
    });
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      try {
        if ((await fetchWithin(`${this.url}/healthz`, {}, 2000)).ok) return true;
      } catch {
        /* not yet */
      }
      await sleep(200);
    }
    this.failedStarts += 1;
    this.log(`gateway did not come up (exit ${child.exitCode ?? child.signalCode ?? 'none'})`);
    await this.kill();
    return false;
  }

  get up(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9 of the whole process group. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.up) return;
    this.killing = true;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone already */
    }
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.up) return;
    this.killing = true;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
    await exited;
    clearTimeout(t);
  }

  rssMb(): number | null {
    try {
      const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child!.pid}/status`, 'utf8'))?.[1]);
      return Number.isFinite(kb) ? kb / 1024 : null;
    } catch {
      return null;
    }
  }
}

export async function runFaultHarness(o: HarnessOptions): Promise<HarnessResult> {
  if (process.getuid?.() !== 0) {
    throw new Error('the fault harness mounts a tmpfs for its full-disk phase (mount -t tmpfs needs root); run it as root — it is not skipped');
  }
  const random = seededRandom(o.seed);
  const work = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-harness-'));
  const mount = path.join(work, 'disk');
  mkdirSync(mount);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${o.tmpfsMb}m`, 'tmpfs', mount], { encoding: 'utf8' });
  if (mounted.status !== 0) throw new Error(`mount -t tmpfs -o size=${o.tmpfsMb}m tmpfs ${mount}: ${mounted.stderr || mounted.error?.message}`);
  const dataDir = path.join(mount, 'data');
  const filler = path.join(mount, 'filler');
  const clockFile = path.join(work, 'clock-offset-ms');
  const logFile = path.join(work, 'gateway.log');
  writeFileSync(clockFile, '0');

  const province = await startProvince({ token: 'tok', hmacKey: 'key' });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const base = await simulatorConfig();
  const config = {
    ...base,
    log: { level: 'warn' },
    server: { host: '127.0.0.1', port: 0, metrics_token: METRICS_TOKEN },
    devices: { ...(base.devices as object), cameras: [] },
    payments: { accounts: ACCOUNTS.map((id) => ({ id, person: `测试${id}`, card_id: `card-${id}`, opening_balance_fen: 0 })) },
    food_safety: { morning_check: { staff: STAFF.map((id) => ({ id, name: `${id}师傅`, health_certificate: { number: `JKZ-${id}`, expires: '2099-12-31' } })) } },
    outbox: { readings_every_ms: o.readingsEveryMs, min_free_disk_mb: 1 },
    uplinks: [{ id: 'province', type: 'http', url: `${province.url}/ingest/{stream}`, token: 'tok', hmac_key: 'key', timeout_ms: o.uplinkTimeoutMs, backoff: { ...o.backoff, offline_after_ms: 60_000 } }],
  };
  const configFile = path.join(work, 'gateway.yaml');
  writeFileSync(configFile, stringify(config));
  const env = {
    ...process.env,
    CANTEEN_EDGE_PORT: String(port),
    CANTEEN_EDGE_DATA_DIR: dataDir,
    CANTEEN_EDGE_TEST_CLOCK_FILE: clockFile,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${CLOCK_PRELOAD}`.trim(),
  };
  const gw = new GatewayProcess(configFile, env, url, logFile, o.log);

  const password = `pw-${o.seed}-Kx9v-Tq2m-${process.pid}`;

  let session: string | null = null;
  const login = async () => {
    const r = await fetchWithin(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'harness', password }) }, 10_000);
    if (!r.ok) throw new Error(`login: ${r.status} ${await r.text()}`);
    session = /ce_session=([^;]+)/.exec(r.headers.get('set-cookie') ?? '')![1]!;
  };
  const startGateway = async () => {
    session = null;
    while (!(await gw.start())) await sleep(1000);
    await login();
  };

  const accepted = { topUps: new Set<string>(), checks: new Set<string>() };
  const requests: Record<string, number> = {};
  const count = (what: string) => (requests[what] = (requests[what] ?? 0) + 1);
  let running = true;
  const post = async (kind: string, p: string, body: unknown): Promise<{ id?: string } | null> => {
    if (!session || !gw.up) {
      count(`${kind} skipped (gateway down)`);
      return null;
    }
    try {
      const r = await fetchWithin(`${url}${p}`, { method: 'POST', headers: { cookie: `ce_session=${session}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }, 10_000);
      count(`${kind} ${r.status}`);
      return r.status >= 200 && r.status < 300 ? ((await r.json()) as { id?: string }) : null;
    } catch {
      count(`${kind} no answer`);
      return null;
    }
  };
  let n = 0;
  const topUps = (async () => {
    while (running) {
      const key = `h${o.seed}-${n}`;
      const account = ACCOUNTS[n++ % ACCOUNTS.length]!;
      if (await post('top-up', '/api/payments/topups', { key, account_id: account, amount_fen: 100 })) accepted.topUps.add(key);
      await sleep(o.topUpEveryMs);
    }
  })();
  let m = 0;
  const checks = (async () => {
    while (running) {
      const r = await post('check', '/api/kitchen/checks', { staffId: STAFF[m++ % STAFF.length], temperatureC: 36.5, answers: ALL_CLEAR });
      if (r?.id) accepted.checks.add(r.id);
      await sleep(o.checkEveryMs);
    }
  })();

  // /readyz all along: what it said, against what the simulator was doing
  let hangSince: number | null = null;
  const violations: string[] = [];
  let samples = 0;
  /** samples taken when the uplink had to be reported stalled */
  let stalledSamples = 0;
  const watchdogSlackMs = 2000 + o.uplinkTimeoutMs / 2;
  const readyz = (async () => {
    while (running) {
      const t = Date.now();
      try {
        const r = await fetchWithin(`${url}/readyz`, {}, 3000);
        const body = (await r.json()) as { uplinks: { uplink: string; state: string }[] };
        const state = body.uplinks.find((u) => u.uplink === 'province')?.state;
        samples += 1;
        if (hangSince !== null) {
          const into = t - hangSince;
          if (into > o.uplinkTimeoutMs + watchdogSlackMs && state === 'online') violations.push(`${into} ms into a hang: /readyz said the uplink was online`);
          if (into > 3 * o.uplinkTimeoutMs + watchdogSlackMs) {
            stalledSamples += 1;
            if (state !== 'stalled' || r.status !== 503) violations.push(`${into} ms into a hang: /readyz ${r.status} with the uplink ${state}, expected 503 and stalled`);
          }
        }
      } catch {
        /* gateway down (killed) */
      }
      await sleep(250);
    }
  })();

  const rss: HarnessResult['rss'] = [];
  const rssTimer = setInterval(() => {
    const mb = gw.up ? gw.rssMb() : null;
    if (mb !== null) rss.push({ t: Date.now(), pid: gw.child!.pid!, ageMs: Date.now() - gw.startedAt, mb });
  }, 5000);

  const received = async () => Object.values((await province.report()).streams).reduce((s, r) => s + r.unique + r.duplicates, 0);

  const phases: Phase[] = [];
  const kinds = o.faults ?? FAULTS;
  const deck: FaultKind[] = [];
  try {
    // an admin account once, with the real command, before the first start
    const add = spawnSync(process.execPath, [BIN, 'user', 'add', '--name', 'harness', '--role', 'admin', '--password-stdin', '--config', configFile], { cwd: ROOT, env, input: password, encoding: 'utf8' });
    if (add.status !== 0) throw new Error(`user add: ${add.stderr}`);
    await startGateway();
    const t0 = Date.now();
    while (Date.now() - t0 < o.durationMs) {
      // a seeded shuffle of every kind, dealt in turn: each fault comes once before any comes twice
      if (!deck.length) deck.push(...shuffle(kinds, random));
      const kind = deck.shift()!;
      let ms = Math.round(o.faultMs[0] + random() * (o.faultMs[1] - o.faultMs[0]));
      // a hang lasts past the watchdog's 3 × timeout, so that /readyz must say stalled for a while
      if (kind === 'hang') ms = Math.max(ms, 3 * o.uplinkTimeoutMs + watchdogSlackMs + 3000);
      const at = Date.now();
      o.log(`+${((at - t0) / 1000).toFixed(1)} s ${kind} for ${ms} ms`);
      let allowedMs = o.backoff.max_ms + 2 * o.uplinkTimeoutMs + 5000;
      switch (kind) {
        case 'kill':
          await gw.kill();
          await sleep(ms);
          await startGateway();
          break;
        case 'hang':
          await province.fault({ mode: 'hang' });
          hangSince = Date.now();
          await sleep(ms);
          hangSince = null;
          await province.fault({ mode: 'ok' });
          break;
        case 'slow':
          await province.fault({ mode: 'slow', delayMs: Math.round(o.uplinkTimeoutMs / 2) });
          await sleep(ms);
          await province.fault({ mode: 'ok' });
          break;
        case 'error':
          await province.fault({ mode: 'error', status: 503 });
          await sleep(ms);
          await province.fault({ mode: 'ok' });
          break;
        case 'reset':
          await province.fault({ mode: 'reset' });
          await sleep(ms);
          await province.fault({ mode: 'ok' });
          break;
        case 'disk-full':
          fillDisk(filler);
          await sleep(ms);
          rmSync(filler, { force: true });
          // the outbox's disk budget re-checks every 30 s; refusals lift then
          allowedMs += 30_000;
          break;
        case 'clock-step': {
          const step = (random() < 0.5 ? -1 : 1) * Math.round((5 + random() * 10) * 60_000);
          writeFileSync(clockFile, String(step));
          await sleep(ms);
          writeFileSync(clockFile, '0');
          break;
        }
      }
      // calm: forwarding must resume within the backoff (new records keep coming from the meter and the load)
      const ended = Date.now();
      const before = await received();
      let recoveryMs: number | null = null;
      while (Date.now() - ended < allowedMs) {
        if ((await received()) > before) {
          recoveryMs = Date.now() - ended;
          break;
        }
        await sleep(200);
      }
      phases.push({ kind, at: at - t0, ms, recoveryMs, allowedMs });
      o.log(`  recovered in ${recoveryMs ?? `more than ${allowedMs}`} ms`);
      const rest = o.calmMs - (Date.now() - ended);
      if (rest > 0) await sleep(rest);
    }

    // drain: load stops, the simulator and the clock are fine, the disk has room
    running = false;
    await Promise.all([topUps, checks, readyz]);
    if (!gw.up) await startGateway();
    const drained = Date.now() + 120_000;
    for (;;) {
      const text = await (await fetchWithin(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }, 5000)).text();
      const backlog = [...text.matchAll(/^canteen_edge_outbox_backlog\{[^}]*\} (\d+)/gm)].reduce((s, x) => s + Number(x[1]), 0);
      if (backlog === 0) break;
      if (Date.now() > drained) throw new Error(`the outbox did not drain within 120 s (${backlog} records left)`);
      await sleep(500);
    }
    await gw.stop();
  } catch (err) {
    province.stop();
    spawnSync('umount', ['-l', mount]);
    throw new Error(`${(err as Error).message}\n(seed ${o.seed}; gateway log ${logFile})`);
  } finally {
    running = false;
    clearInterval(rssTimer);
    await gw.kill();
  }

  const db = new Database(path.join(dataDir, 'canteen-edge.db'), { readonly: true });
  const committedTopUps = db.prepare("SELECT id FROM payment_transactions WHERE kind = 'topup'").pluck().all() as string[];
  const committedChecks = db.prepare('SELECT id FROM food_morning_checks').pluck().all() as string[];
  const boxId = JSON.parse(readFileSync(path.join(dataDir, 'settings.json'), 'utf8')).boxId as string;
  const thinned = (db.prepare("SELECT COALESCE(SUM(count), 0) FROM outbox_drops WHERE stream = 'readings' AND reason LIKE 'thinned%'").pluck().get() as number) ?? 0;
  db.close();
  const txIds = await province.ids('transactions');
  const eventIds = await province.ids('events');
  const report = (await province.report()).streams;
  province.stop();
  const gatewayLog = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
  const umount = spawnSync('umount', [mount], { encoding: 'utf8' });
  if (umount.status !== 0) spawnSync('umount', ['-l', mount]);
  const tx = (id: string) => `${boxId}:transactions:${id}`;
  const ev = (id: string) => `${boxId}:events:${id}`;
  return {
    seed: o.seed,
    phases,
    accepted: { topUps: accepted.topUps.size, checks: accepted.checks.size },
    committed: { topUps: committedTopUps.length, checks: committedChecks.length },
    received: report,
    lost: {
      topUps: [...accepted.topUps].filter((k) => !txIds.has(tx(k))),
      checks: [...accepted.checks].filter((k) => !eventIds.has(ev(k))),
      committedTopUps: committedTopUps.filter((k) => !txIds.has(tx(k))),
      committedChecks: committedChecks.filter((k) => !eventIds.has(ev(k))),
    },
    thinned,
    requests,
    readyz: { samples, stalledSamples, violations },
    unexpectedExits: gw.unexpectedExits,
    failedStarts: gw.failedStarts,
    rss,
    longestRecoveryMs: Math.max(0, ...phases.map((p) => p.recoveryMs ?? p.allowedMs)),
    gatewayLog,
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Writes zeros until the filesystem is full (ENOSPC). */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(256 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // the last partial chunk too
  const small = openSync(file, 'a');
  try {
    for (;;) writeSync(small, Buffer.alloc(512));
  } catch {
    /* full */
  } finally {
    closeSync(small);
  }
}
