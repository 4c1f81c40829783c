// One phase of the outbox benchmark, in its own process (so that its resident
// memory, CPU time and event loop are its own). Started by run.ts; prints
// progress on stderr and one `RESULT <json>` line on stdout.
// usage: node --import tsx bench/outbox/phase.ts raw|ingest|drain|backlog '<args JSON>'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Forwarder } from '../../gateway/outbox/forwarder.ts';
import { Outbox, type StoredRecord } from '../../gateway/outbox/outbox.ts';
import { STREAM_NAMES, type Stream } from '../../gateway/wire/streams.ts';
import { DB_FILE, openDatabase } from '../../gateway/store/sqlite.ts';
import { HttpUplink } from '../../gateway/uplink/http.ts';
import { sign } from '../../gateway/uplink/signing.ts';
import type { Uplink } from '../../gateway/uplink/uplink.ts';
import { cpuSeconds, dbFiles, fill, median, memKb, payloadBytes, procIo, quantile, reading, timed } from './common.ts';

const BOX = 'bench-box';
const log = (msg: string) => process.stderr.write(`  [${phaseName}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fix1 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '?');
const gc = () => (globalThis as { gc?: () => void }).gc?.();

// ---------------------------------------------------------------- raw disk

export interface RawArgs {
  dir: string;
  seconds: number;
  maxFsyncs: number;
  /** records (payload-sized writes) per fsync */
  groups: number[];
  /** also the overwrite-in-place + fdatasync reference row */
  reference: boolean;
}

export interface RawRow {
  kind: string;
  recordsPerFsync: number;
  bytesPerFsync: number;
  fsyncs: number;
  seconds: number;
  fsyncsPerS: number;
  recordsPerS: number;
  fsyncP50Ms: number;
  fsyncP99Ms: number;
}

/** Times fsyncs after `g` payload-sized writes each, for `seconds` (after a short warm-up). */
function fsyncLoop(kind: string, g: number, seconds: number, maxFsyncs: number, fd: number, write: (fd: number, i: number) => void): RawRow {
  const bytes = payloadBytes().length;
  for (let i = 0; i < 20; i++) (write(fd, i), fsyncSync(fd)); // warm-up
  const lat: number[] = [];
  let n = 0;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  while (n < maxFsyncs && performance.now() < deadline) {
    for (let i = 0; i < g; i++) write(fd, n * g + i);
    const s = performance.now();
    fsyncSync(fd);
    lat.push(performance.now() - s);
    n += 1;
  }
  const wall = (performance.now() - t0) / 1000;
  lat.sort((x, y) => x - y);
  log(`${kind} ×${g}: ${Math.round(n / wall)} fsyncs/s`);
  return {
    kind,
    recordsPerFsync: g,
    bytesPerFsync: g * bytes,
    fsyncs: n,
    seconds: wall,
    fsyncsPerS: n / wall,
    recordsPerS: (n * g) / wall,
    fsyncP50Ms: quantile(lat, 0.5),
    fsyncP99Ms: quantile(lat, 0.99),
  };
}

/** fs.writeSync of one record's payload `g` times, then fs.fsyncSync, appending to a new file in `dir`. */
function rawAppend(dir: string, g: number, seconds: number, maxFsyncs = 1e9): RawRow {
  const buf = payloadBytes();
  const file = path.join(dir, `raw-append-${g}-${process.pid}.log`);
  const fd = openSync(file, 'a');
  try {
    return fsyncLoop('append + fsync', g, seconds, maxFsyncs, fd, (f) => writeSync(f, buf));
  } finally {
    closeSync(fd);
    rmSync(file);
  }
}

/**
 * For reference: what SQLite's WAL does once it restarts from its beginning after
 * a checkpoint — overwrite in place in an allocated file (no size change), fsync.
 */
function rawOverwrite(dir: string, seconds: number, maxFsyncs = 1e9): RawRow {
  const buf = payloadBytes();
  const file = path.join(dir, `raw-overwrite-${process.pid}.log`);
  const fd = openSync(file, 'w+');
  const slots = 4096;
  try {
    for (let i = 0; i < slots; i++) writeSync(fd, buf);
    fsyncSync(fd);
    return fsyncLoop('overwrite in place + fsync (reference)', 1, seconds, maxFsyncs, fd, (f, i) => writeSync(f, buf, 0, buf.length, (i % slots) * buf.length));
  } finally {
    closeSync(fd);
    rmSync(file);
  }
}

function raw(a: RawArgs): RawRow[] {
  const rows = a.groups.map((g) => rawAppend(a.dir, g, a.seconds, a.maxFsyncs));
  if (a.reference) rows.push(rawOverwrite(a.dir, a.seconds, a.maxFsyncs));
  return rows;
}

// ---------------------------------------------------------------- durable ingest

export interface IngestArgs {
  dir: string;
  concurrency: number;
  records: number;
  seconds: number;
  /** raw fsync loops right before the run, this long each (1 record and `concurrency` records per fsync) */
  rawSeconds: number;
}

export interface IngestResult {
  concurrency: number;
  records: number;
  seconds: number;
  recordsPerS: number;
  commits: number;
  commitsPerS: number;
  groupSize: number;
  latP50Ms: number;
  latP99Ms: number;
  latMaxMs: number;
  /** bytes handed to write(2) per commit (WAL frames, checkpoints), and write calls per commit */
  wcharPerCommit: number;
  writeCallsPerCommit: number;
  cpuUsPerRecord: number;
  cpuShare: number;
  /** time inside Outbox.commit (the SQLite transaction: inserts, WAL writes, fsync), per commit and as a share of the wall time */
  commitMs: number;
  commitShare: number;
  dbBytes: number;
  /** measured in the same process right before the run */
  rawSingle: RawRow;
  rawGroup: RawRow;
  rawOverwrite: RawRow;
}

async function ingest(a: IngestArgs): Promise<IngestResult> {
  const rawSingle = rawAppend(a.dir, 1, a.rawSeconds);
  const rawGroup = a.concurrency > 1 ? rawAppend(a.dir, a.concurrency, a.rawSeconds) : rawSingle;
  const rawOverwritten = rawOverwrite(a.dir, a.rawSeconds);
  const dataDir = mkdtempSync(path.join(a.dir, `ingest-${a.concurrency}-`));
  const db = openDatabase(dataDir);
  const outbox = new Outbox(db, BOX);
  let inCommitMs = 0;
  const commit = outbox.commit.bind(outbox);
  outbox.commit = () => {
    const s = performance.now();
    try {
      commit();
    } finally {
      inCommitMs += performance.now() - s;
    }
  };
  let issued = 0;
  let done = 0;
  let limit = Math.min(a.records, a.concurrency * 20);
  const lat = new Float64Array(a.records);
  let deadline = Infinity;
  const producer = async () => {
    while (issued < limit && performance.now() < deadline) {
      const k = issued++;
      const s = performance.now();
      await outbox.append('readings', reading(k, Date.now()));
      lat[done++] = performance.now() - s;
    }
  };
  await Promise.all(Array.from({ length: a.concurrency }, producer)); // warm-up, not measured
  let commits = 0;
  outbox.on('appended', () => void (commits += 1)); // one stream: one event per commit
  issued = done = 0;
  inCommitMs = 0;
  limit = a.records;
  const io0 = procIo();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  deadline = t0 + a.seconds * 1000;
  await Promise.all(Array.from({ length: a.concurrency }, producer));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const io1 = procIo();
  const sorted = lat.subarray(0, done).sort();
  const files = dbFiles(dataDir);
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
  const cpuS = (cpu.user + cpu.system) / 1e6;
  log(`${a.concurrency} in flight: ${Math.round(done / seconds)} records/s, ${(done / commits).toFixed(1)} per commit`);
  return {
    concurrency: a.concurrency,
    records: done,
    seconds,
    recordsPerS: done / seconds,
    commits,
    commitsPerS: commits / seconds,
    groupSize: done / commits,
    latP50Ms: quantile(sorted, 0.5),
    latP99Ms: quantile(sorted, 0.99),
    latMaxMs: sorted[sorted.length - 1] ?? NaN,
    wcharPerCommit: (io1.wchar - io0.wchar) / commits,
    writeCallsPerCommit: (io1.syscw - io0.syscw) / commits,
    cpuUsPerRecord: (cpuS / done) * 1e6,
    cpuShare: cpuS / seconds,
    commitMs: inCommitMs / commits,
    commitShare: inCommitMs / 1000 / seconds,
    dbBytes: files.db + files.wal,
    rawSingle,
    rawGroup,
    rawOverwrite: rawOverwritten,
  };
}

// ---------------------------------------------------------------- drain over HTTP

export interface DrainArgs {
  dir: string;
  repo: string;
  records: number;
  batchSizes: number[];
  fillChunk: number;
  timeoutS: number;
}

export interface DrainRow {
  batchSize: number;
  records: number;
  seconds: number;
  recordsPerS: number;
  batches: number;
  /** per batch, ms: HttpUplink.send (body, gzip, HMAC, POST, receiver, answer), nextBatch, acknowledge (a commit: fsync), the rest of the loop */
  sendMs: number;
  nextBatchMs: number;
  ackMs: number;
  otherMs: number;
  senderCpuS: number;
  receiverCpuS: number;
  errors: string[];
  /** what the receiver counted */
  unique: number;
  duplicates: number;
  gaps: number;
  outOfOrder: number;
  /** replicas of the per-batch work, single-threaded, ms per batch */
  buildBodyMs: number;
  gzipMs: number;
  gzipBytes: number;
  jsonBytes: number;
  hmacMs: number;
  receiverParseMs: number;
}

export interface DrainResult {
  fillSeconds: number;
  rows: DrainRow[];
  receiverHwmKb: number;
  senderHwmKb: number;
}

async function startReceiver(repo: string): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [path.join(repo, 'bin/canteen-edge.js'), 'sim', 'province', '--port', '0', '--token', 't', '--hmac-key', 'k'], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`province simulator did not print its port within 20 s: ${out}`)), 20_000);
    proc.once('exit', (code) => reject(new Error(`province simulator exited (${code}) before listening: ${out}`)));
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      try {
        const doc = JSON.parse(out) as { http: { port: number } };
        clearTimeout(timer);
        resolve(doc.http.port);
      } catch {
        // not the whole document yet
      }
    });
  });
  return { proc, port };
}

/** The body HttpUplink.send builds, the same way (a replica, to time its parts). */
function buildBody(stream: Stream, batch: StoredRecord[], batchId: string): string {
  const records = batch.map((r) => `{"id":${JSON.stringify(r.id)},"seq":${r.seq},"at":${r.at},"payload":${r.json}}`).join(',');
  return `{"box":${JSON.stringify(BOX)},"stream":${JSON.stringify(stream)},"batch":${JSON.stringify(batchId)},"records":[${records}]}`;
}

function perCall(reps: number, fn: () => unknown): number {
  fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / reps;
}

async function drain(a: DrainArgs): Promise<DrainResult> {
  const { proc: receiver, port } = await startReceiver(a.repo);
  process.once('exit', () => receiver.kill('SIGTERM')); // also when this phase fails
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(a.dir, 'drain-'));
  const db = openDatabase(dataDir);
  const outbox = new Outbox(db, BOX);
  const f0 = performance.now();
  await fill(outbox, a.records, { chunk: a.fillChunk, streams: ['readings'] });
  const fillSeconds = (performance.now() - f0) / 1000;
  log(`filled ${a.records} records in ${fillSeconds.toFixed(1)} s; receiver on port ${port} (pid ${receiver.pid})`);

  // time the outbox calls the forwarder makes, on this instance only
  const spent = { nextBatch: 0, acknowledge: 0 };
  for (const name of ['nextBatch', 'acknowledge'] as const) {
    const orig = outbox[name] as unknown as (...args: unknown[]) => unknown;
    (outbox as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      const s = performance.now();
      try {
        return orig.apply(outbox, args);
      } finally {
        spent[name] += performance.now() - s;
      }
    };
  }

  const rows: DrainRow[] = [];
  for (const batchSize of a.batchSizes) {
    await fetch(`${base}/reset`, { method: 'POST' });
    const id = `province-b${batchSize}`;
    const http = new HttpUplink({ id, url: `${base}/ingest/{stream}`, streams: ['readings'], token: 't', hmacKey: 'k', timeoutMs: 15_000, boxId: BOX });
    let sendMs = 0;
    const uplink: Uplink = {
      id,
      streams: http.streams,
      async send(stream, batch, batchId, signal) {
        const s = performance.now();
        try {
          return await http.send(stream, batch, batchId, signal);
        } finally {
          sendMs += performance.now() - s;
        }
      },
      close: () => http.close(),
    };
    const errors: string[] = [];
    let delivered = 0;
    let batches = 0;
    let finished: () => void = () => {};
    const allDelivered = new Promise<void>((r) => (finished = r));
    const fw = new Forwarder(outbox, uplink, {
      batchSize,
      minBackoffMs: 20,
      maxBackoffMs: 200,
      offlineAfterMs: 60_000,
      onError: (e) => void (errors.length < 5 && errors.push(e.message)),
      onSent: (_s, n) => {
        delivered += n;
        batches += 1;
        if (delivered >= a.records) finished();
      },
    });
    spent.nextBatch = spent.acknowledge = 0;
    const cpu0 = cpuSeconds('self');
    const rcpu0 = cpuSeconds(receiver.pid!);
    const t0 = performance.now();
    fw.start();
    await Promise.race([allDelivered, sleep(a.timeoutS * 1000)]);
    const wallMs = performance.now() - t0;
    const senderCpuS = cpuSeconds('self') - cpu0;
    const receiverCpuS = cpuSeconds(receiver.pid!) - rcpu0;
    await fw.stop();
    const report = (await (await fetch(`${base}/report`)).json()) as { streams: Record<string, { unique: number; duplicates: number; gaps: number; outOfOrder: number }> };
    const got = report.streams.readings ?? { unique: 0, duplicates: 0, gaps: 0, outOfOrder: 0 };

    // replicas of the per-batch work, to see where the send time goes
    const sample = outbox.range('readings', 1, batchSize, batchSize);
    const batchId = `${id}:readings:1-${batchSize}`;
    const body = buildBody('readings', sample, batchId);
    const gz = gzipSync(Buffer.from(body));
    const reps = Math.max(3, Math.round(20_000 / batchSize));
    const row: DrainRow = {
      batchSize,
      records: delivered,
      seconds: wallMs / 1000,
      recordsPerS: delivered / (wallMs / 1000),
      batches,
      sendMs: sendMs / batches,
      nextBatchMs: spent.nextBatch / batches,
      ackMs: spent.acknowledge / batches,
      otherMs: (wallMs - sendMs - spent.nextBatch - spent.acknowledge) / batches,
      senderCpuS,
      receiverCpuS,
      errors,
      unique: got.unique,
      duplicates: got.duplicates,
      gaps: got.gaps,
      outOfOrder: got.outOfOrder,
      buildBodyMs: perCall(reps, () => buildBody('readings', sample, batchId)),
      gzipMs: perCall(reps, () => gzipSync(Buffer.from(body))),
      gzipBytes: gz.length,
      jsonBytes: Buffer.byteLength(body),
      hmacMs: perCall(reps, () => sign('k', String(Date.now()), gz)),
      receiverParseMs: perCall(reps, () => JSON.parse(gunzipSync(gz).toString('utf8'))),
    };
    rows.push(row);
    log(`batch ${batchSize}: ${Math.round(row.recordsPerS)} records/s (${batches} batches, ${errors.length} errors)`);
  }
  const receiverHwmKb = memKb(receiver.pid!).hwmKb;
  receiver.kill('SIGTERM');
  await new Promise((r) => receiver.once('exit', r));
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { fillSeconds, rows, receiverHwmKb, senderHwmKb: memKb().hwmKb };
}

// ---------------------------------------------------------------- 10M backlog

export interface BacklogArgs {
  dir: string;
  target: number;
  chunk: number;
  minutes: number;
  marks: number[];
  keep: boolean;
}

export interface BacklogMark {
  records: number;
  /** fill time so far, s (the COUNT(*) timings at marks excluded) */
  fillSeconds: number;
  /** records/s over the last step */
  stepRate: number;
  rssKb: number;
  hwmKb: number;
  /** after a full GC */
  rssAfterGcKb: number;
  heapUsedMb: number;
  dbBytes: number;
  walBytes: number;
  /** backlog() of every stream (COUNT(*)), summed, ms; only at the requested marks */
  backlogAllMs?: number;
}

export interface QueryTiming {
  what: string;
  firstMs: number;
  medianMs: number;
  result: string;
}

export interface BacklogResult {
  target: number;
  filled: number;
  complete: boolean;
  fillSeconds: number;
  recordsPerS: number;
  marks: BacklogMark[];
  extrapolatedSeconds?: number;
  queries: QueryTiming[];
  /** bytes of the database file in the OS page cache before the cold queries */
  cachedBeforeCold: number;
  payloadBytes: number;
  dbBytesPerRecord: number;
  final: { rssKb: number; hwmKb: number; dbBytes: number; walBytes: number; dbBytesAfterClose: number };
  forwarder: { state: string; lastError: string | null };
}

/** Bytes of `file` in the OS page cache (util-linux fincore), NaN when it cannot tell. */
function cachedBytes(file: string): number {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', file], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : NaN;
}

/**
 * Drops this file's pages from the OS page cache (posix_fadvise DONTNEED, after an
 * fsync so none is dirty) — only this file, nothing else on the machine — to time
 * a query as on a box whose RAM cannot hold the database.
 */
function evictFromPageCache(files: string[]): boolean {
  for (const f of files) {
    try {
      const fd = openSync(f, 'r+');
      fsyncSync(fd);
      closeSync(fd);
    } catch {
      // no such file (the WAL after a checkpoint)
    }
  }
  const py = 'import os, sys\nfor f in sys.argv[1:]:\n    if os.path.exists(f):\n        fd = os.open(f, os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)';
  return spawnSync('python3', ['-c', py, ...files]).status === 0;
}

async function deadPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function backlog(a: BacklogArgs): Promise<BacklogResult> {
  const dataDir = mkdtempSync(path.join(a.dir, 'backlog-'));
  const db = openDatabase(dataDir);
  const outbox = new Outbox(db, BOX);
  const streams: Stream[] = ['readings', 'intervals', 'transactions'];
  // the receiver is down: the forwarder runs with the gateway's default back-off against a closed port
  const port = await deadPort();
  const uplink = new HttpUplink({ id: 'province', url: `http://127.0.0.1:${port}/ingest/{stream}`, streams, token: 't', hmacKey: 'k', timeoutMs: 15_000, boxId: BOX });
  const fw = new Forwarder(outbox, uplink, { batchSize: 500, minBackoffMs: 1000, maxBackoffMs: 300_000, offlineAfterMs: 60_000 });
  fw.start();

  const backlogAll = () => timed(() => STREAM_NAMES.reduce((n, s) => n + outbox.backlog('province', s), 0));
  const marks: BacklogMark[] = [];
  const stepEvery = 1_000_000;
  const budgetMs = a.minutes * 60_000;
  let pausedMs = 0;
  let lastStep = { records: 0, fillMs: 0 };
  const t0 = performance.now();
  const fillMs = () => performance.now() - t0 - pausedMs;
  const takeMark = (done: number, countBacklog: boolean) => {
    const p0 = performance.now();
    const ms = fillMs();
    const mem = memKb();
    gc();
    const files = dbFiles(dataDir);
    const mark: BacklogMark = {
      records: done,
      fillSeconds: ms / 1000,
      stepRate: (done - lastStep.records) / ((ms - lastStep.fillMs) / 1000),
      rssKb: mem.rssKb,
      hwmKb: mem.hwmKb,
      rssAfterGcKb: memKb().rssKb,
      heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
      dbBytes: files.db,
      walBytes: files.wal,
    };
    if (countBacklog) mark.backlogAllMs = backlogAll().ms;
    marks.push(mark);
    lastStep = { records: done, fillMs: ms };
    log(
      `${(done / 1e6).toFixed(1)}M in ${mark.fillSeconds.toFixed(0)} s (${Math.round(mark.stepRate)}/s over the last step), ` +
        `RSS ${(mark.rssKb / 1024).toFixed(0)} MiB, peak ${(mark.hwmKb / 1024).toFixed(0)} MiB, db ${(files.db / 2 ** 30).toFixed(2)} GiB` +
        (mark.backlogAllMs !== undefined ? `, backlog() all streams ${mark.backlogAllMs.toFixed(0)} ms` : ''),
    );
    pausedMs += performance.now() - p0;
  };
  const filled = await fill(outbox, a.target, {
    chunk: a.chunk,
    streams,
    stop: () => fillMs() > budgetMs,
    onChunk: (done) => {
      if (Math.floor(done / stepEvery) === Math.floor((done - a.chunk) / stepEvery) && done !== a.target) return;
      takeMark(done, a.marks.some((m) => m > done - a.chunk && m <= done));
    },
  });
  if (marks.at(-1)?.records !== filled) takeMark(filled, true); // stopped by the time limit: where it got to
  const fillSeconds = marks.at(-1)!.fillSeconds;
  const complete = filled >= a.target;
  const last = marks.at(-1);
  let extrapolatedSeconds: number | undefined;
  if (!complete && last) {
    // linear from the rate of the last measured step (rates fall as the database grows: a lower bound)
    extrapolatedSeconds = fillSeconds + (a.target - filled) / last.stepRate;
    log(`stopped at ${filled} records after ${fillSeconds.toFixed(0)} s; EXTRAPOLATED time to ${a.target}: ${extrapolatedSeconds.toFixed(0)} s`);
  }

  // the queries the forwarder and the status page make, at this size
  const queries: QueryTiming[] = [];
  const q = (what: string, fn: () => unknown, reps: number, show: (v: unknown) => string) => {
    const first = timed(fn);
    const more = Array.from({ length: reps }, () => timed(fn).ms);
    queries.push({ what, firstMs: first.ms, medianMs: median(more.length ? more : [first.ms]), result: show(first.value) });
    log(`${what}: first ${first.ms.toFixed(2)} ms, median ${queries.at(-1)!.medianMs.toFixed(2)} ms → ${show(first.value)}`);
  };
  const rowsOf = (v: unknown) => `${(v as StoredRecord[]).length} records`;
  q('nextBatch(readings, 500) — cursor 0', () => outbox.nextBatch('province', 'readings', 500), 9, rowsOf);
  q('nextBatch(readings, 2000) — cursor 0', () => outbox.nextBatch('province', 'readings', 2000), 9, rowsOf);
  q('backlog(readings) — COUNT(*)', () => outbox.backlog('province', 'readings'), 2, String);
  q('backlog() × 5 streams (one status push / metrics scrape)', () => backlogAll().value, 2, String);
  q('held() — per-stream counters', () => outbox.held(), 9, (v) => String((v as { records: number }[]).reduce((n, h) => n + h.records, 0)));
  // the same after the uplink acknowledged 99 % of readings: the range counted is short
  const readingsHeld = outbox.held().find((h) => h.stream === 'readings')!.records;
  outbox.acknowledge('bench-late', 'readings', Math.floor(readingsHeld * 0.99));
  q('nextBatch(readings, 2000) — cursor at 99 %', () => outbox.nextBatch('bench-late', 'readings', 2000), 9, rowsOf);
  q('backlog(readings) — cursor at 99 %', () => outbox.backlog('bench-late', 'readings'), 4, String);
  // the same with the database out of the OS page cache, as on a box with less RAM than the database
  const dbFile = path.join(dataDir, DB_FILE);
  const cachedBefore = cachedBytes(dbFile);
  const cold = (what: string, fn: () => unknown, show: (v: unknown) => string) => {
    if (!evictFromPageCache([dbFile, `${dbFile}-wal`])) return log(`could not evict ${dbFile} from the page cache (python3?): ${what} not timed cold`);
    const left = cachedBytes(dbFile);
    q(`${what} — database evicted from the page cache first (${fix1(left / 2 ** 20)} MiB left cached)`, fn, 0, show);
  };
  cold('nextBatch(readings, 2000) — cursor 0', () => outbox.nextBatch('province', 'readings', 2000), rowsOf);
  cold('backlog(readings) — COUNT(*)', () => outbox.backlog('province', 'readings'), String);
  cold('backlog() × 5 streams', () => backlogAll().value, String);

  const link = fw.link;
  await fw.stop();
  const files = dbFiles(dataDir);
  const mem = memKb();
  db.close();
  const afterClose = dbFiles(dataDir);
  if (!a.keep) rmSync(dataDir, { recursive: true, force: true });
  else log(`kept ${dataDir}`);
  return {
    target: a.target,
    filled,
    complete,
    fillSeconds,
    recordsPerS: filled / fillSeconds,
    marks,
    extrapolatedSeconds,
    queries,
    cachedBeforeCold: cachedBefore,
    payloadBytes: payloadBytes().length,
    dbBytesPerRecord: afterClose.db / filled,
    final: { rssKb: mem.rssKb, hwmKb: mem.hwmKb, dbBytes: files.db, walBytes: files.wal, dbBytesAfterClose: afterClose.db },
    forwarder: { state: link.state, lastError: link.lastError },
  };
}

// ---------------------------------------------------------------- entry

const phaseName = process.argv[2] as 'raw' | 'ingest' | 'drain' | 'backlog';
const args = JSON.parse(process.argv[3] ?? '{}');
const phases = {
  raw: () => raw(args as RawArgs),
  ingest: () => ingest(args as IngestArgs),
  drain: () => drain(args as DrainArgs),
  backlog: () => backlog(args as BacklogArgs),
};
if (!(phaseName in phases)) {
  process.stderr.write(`usage: phase.ts raw|ingest|drain|backlog '<args JSON>'\n`);
  process.exit(2);
}
const result = await phases[phaseName]();
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
