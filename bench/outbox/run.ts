// The durable outbox, measured: the disk's fsync limit, the durable ingest rate
// with many producers and with one, the drain rate over the HTTP uplink to the
// province simulator (its own process), and resident memory with a 10-million
// record backlog. Every phase runs in its own process (bench/outbox/phase.ts),
// in a scratch directory on the filesystem of --dir; all traffic is loopback.
//
// usage: npx tsx bench/outbox/run.ts [options]
//   --records N          records per ingest run (each also capped at --seconds) and per drain run (200000)
//   --backlog N          backlog to fill with the receiver down (10000000)
//   --seconds S          time cap of each ingest run (10); raw fsync loops run min(S, 5) s
//   --dir DIR            where the scratch directory goes: put it on the data directory's filesystem (os.tmpdir())
//   --fill-chunk N       appends per tick in the fast fills, each chunk one group commit (20000)
//   --backlog-minutes M  stop filling after M minutes and extrapolate, labelled as such (12)
//   --phases LIST        any of raw,ingest,drain,backlog (all)
//   --json FILE          also write the figures as JSON
//   --keep               keep the scratch directory (and the backlog database)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { filesystemOf, payloadBytes } from './common.ts';
import type { BacklogArgs, BacklogResult, DrainArgs, DrainResult, IngestArgs, IngestResult, RawArgs, RawRow } from './phase.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');

const { values: opt } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    backlog: { type: 'string', default: '10000000' },
    seconds: { type: 'string', default: '10' },
    dir: { type: 'string', default: os.tmpdir() },
    'fill-chunk': { type: 'string', default: '20000' },
    'backlog-minutes': { type: 'string', default: '12' },
    phases: { type: 'string', default: 'ingest,raw,drain,backlog' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(0, 16).join('\n') + '\n');
  process.exit(0);
}
const num = (name: keyof typeof opt) => {
  const n = Number(opt[name]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: got "${opt[name]}"; expected a positive number`);
  return n;
};
const RECORDS = Math.floor(num('records'));
const BACKLOG = Math.floor(num('backlog'));
const SECONDS = num('seconds');
const FILL_CHUNK = Math.floor(num('fill-chunk'));
const BACKLOG_MINUTES = num('backlog-minutes');
const PHASES = new Set(opt.phases!.split(','));
const INGEST_CONCURRENCY = [1, 8, 64];
const DRAIN_BATCHES = [500, 2000];

// ---------------------------------------------------------------- running phases

const phaseFile = path.join(HERE, 'phase.ts');
const nodeArgs = process.execArgv.some((a) => a.includes('tsx')) ? process.execArgv : ['--import', 'tsx'];

function runPhase<T>(name: string, args: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--expose-gc', phaseFile, name, JSON.stringify(args)], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as T);
      else reject(new Error(`phase ${name} failed (${signal ?? code}): ${out.slice(-2000)}`));
    });
  });
}

// ---------------------------------------------------------------- formatting

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const fix = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
const mib = (kb: number) => fix(kb / 1024, 0);
const gib = (b: number) => fix(b / 2 ** 30, 2);
const duration = (s: number) => (s < 120 ? `${fix(s, 0)} s` : `${fix(s / 60, 0)} min`);
const lines: string[] = [];
const print = (s = '') => {
  lines.push(s);
  process.stdout.write(`${s}\n`);
};
function table(head: string[], rows: (string | number)[][]): void {
  print(`| ${head.join(' | ')} |`);
  print(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) print(`| ${r.join(' | ')} |`);
  print();
}

// ---------------------------------------------------------------- the run

const started = new Date();
const base = mkdtempSync(path.join(opt.dir!, 'canteen-outbox-bench-'));
const fsInfo = filesystemOf(base);
const sqlite = (() => {
  const db = new Database(':memory:');
  const v = db.prepare('SELECT sqlite_version()').pluck().get() as string;
  db.close();
  return v;
})();
const bsqlVersion = (JSON.parse(readFileSync(path.join(REPO, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }).version;
const recordBytes = payloadBytes().length;
const command = `npx tsx bench/outbox/run.ts ${process.argv.slice(2).join(' ')}`.trim();

print(`# canteen-edge outbox benchmark — ${started.toISOString()}`);
print();
print(`- command: \`${command}\``);
print(
  `- machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${fix(os.totalmem() / 2 ** 30, 0)} GiB RAM, Linux ${os.release()}; ` +
    `load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
);
print(`- node ${process.version}, better-sqlite3 ${bsqlVersion}, SQLite ${sqlite}; journal_mode WAL, synchronous FULL (gateway/store/sqlite.ts openDatabase)`);
print(`- data directory: ${base} on ${fsInfo.mount} (${fsInfo.fstype}, ${fsInfo.source})`);
print(`- record: one SDM630 meter reading, ${recordBytes} bytes of JSON payload`);
print();

const results: {
  ingest?: IngestResult[];
  rawBefore?: RawRow[];
  raw?: RawRow[];
  drain?: DrainResult;
  backlog?: BacklogResult;
} = {};

const rawSeconds = Math.min(SECONDS, 5);
const RAW_PAIRED_SECONDS = Math.min(SECONDS, 3);
try {
  if (PHASES.has('raw')) {
    // once before the ingest runs as well: the spread between the two shows how steady the disk is
    process.stderr.write(`raw disk (before): ${recordBytes}-byte appends, 1 per fsync, ${rawSeconds} s\n`);
    results.rawBefore = await runPhase<RawRow[]>('raw', { dir: base, seconds: rawSeconds, maxFsyncs: 200_000, groups: [1], reference: false } satisfies RawArgs);
  }
  if (PHASES.has('ingest')) {
    results.ingest = [];
    for (const concurrency of INGEST_CONCURRENCY) {
      process.stderr.write(`ingest: ${concurrency} producer(s) in flight, up to ${RECORDS} records or ${SECONDS} s\n`);
      results.ingest.push(await runPhase<IngestResult>('ingest', { dir: base, concurrency, records: RECORDS, seconds: SECONDS, rawSeconds: RAW_PAIRED_SECONDS } satisfies IngestArgs));
    }
  }
  if (PHASES.has('raw')) {
    const groups = [1, ...new Set((results.ingest ?? []).filter((r) => r.concurrency > 1).map((r) => Math.max(1, Math.round(r.groupSize))))];
    if (groups.length === 1) groups.push(64);
    process.stderr.write(`raw disk: ${recordBytes}-byte appends, ${groups.join(', ')} per fsync, ${rawSeconds} s each\n`);
    results.raw = await runPhase<RawRow[]>('raw', { dir: base, seconds: rawSeconds, maxFsyncs: 200_000, groups, reference: true } satisfies RawArgs);
  }
  if (PHASES.has('drain')) {
    process.stderr.write(`drain: ${RECORDS} records over HTTP to the province simulator, batches of ${DRAIN_BATCHES.join(' and ')}\n`);
    results.drain = await runPhase<DrainResult>('drain', {
      dir: base,
      repo: REPO,
      records: RECORDS,
      batchSizes: DRAIN_BATCHES,
      fillChunk: FILL_CHUNK,
      timeoutS: 300,
    } satisfies DrainArgs);
  }
  if (PHASES.has('backlog')) {
    process.stderr.write(`backlog: fill to ${BACKLOG} records (receiver down), ${FILL_CHUNK} appends per tick, at most ${BACKLOG_MINUTES} min\n`);
    const marks = [1_000_000, 5_000_000, 10_000_000].filter((m) => m < BACKLOG).concat(BACKLOG);
    results.backlog = await runPhase<BacklogResult>('backlog', {
      dir: base,
      target: BACKLOG,
      chunk: FILL_CHUNK,
      minutes: BACKLOG_MINUTES,
      marks,
      keep: opt.keep!,
    } satisfies BacklogArgs);
  }
} finally {
  if (!opt.keep) rmSync(base, { recursive: true, force: true });
}

// ---------------------------------------------------------------- report

const raw1 = results.raw?.find((r) => r.kind === 'append + fsync' && r.recordsPerFsync === 1);
if (results.raw) {
  print('## 1. Raw disk limit');
  print();
  print(
    `fs.writeSync of one record's ${recordBytes}-byte payload (N times), then fs.fsyncSync, in a loop for ${rawSeconds} s, in a file on the data directory's filesystem ` +
      `(run once before the ingest runs and once after them, with N = the group sizes the outbox reached).`,
  );
  print();
  const rows = [...(results.rawBefore ?? []).map((r) => ({ ...r, kind: `${r.kind} (before ingest)` })), ...results.raw];
  table(
    ['write', 'records per fsync', 'bytes per fsync', 'fsyncs/s', 'records/s', 'fsync p50 ms', 'fsync p99 ms'],
    rows.map((r) => [r.kind, r.recordsPerFsync, int(r.bytesPerFsync), int(r.fsyncsPerS), int(r.recordsPerS), fix(r.fsyncP50Ms, 2), fix(r.fsyncP99Ms, 2)]),
  );
}

if (results.ingest) {
  print('## 2. Durable ingest (Outbox.append resolved = on disk)');
  print();
  print(
    `Producers each await their append, then append again; ${int(RECORDS)} records or ${SECONDS} s per row, fresh database each. ` +
      `"in commit" is the time inside Outbox.commit (the SQLite transaction: inserts, WAL writes, fsync).`,
  );
  print();
  table(
    ['in flight', 'records', 's', 'records/s', 'commits/s', 'records per commit', 'latency p50 / p99 / max ms', 'in commit: ms per commit, share of wall', 'write() bytes / calls per commit', 'CPU µs per record', 'CPU busy'],
    results.ingest.map((r) => [
      r.concurrency,
      int(r.records),
      fix(r.seconds),
      int(r.recordsPerS),
      int(r.commitsPerS),
      fix(r.groupSize),
      `${fix(r.latP50Ms, 2)} / ${fix(r.latP99Ms, 2)} / ${fix(r.latMaxMs, 1)}`,
      `${fix(r.commitMs, 2)}, ${fix(r.commitShare * 100, 0)} %`,
      `${int(r.wcharPerCommit)} / ${fix(r.writeCallsPerCommit)}`,
      fix(r.cpuUsPerRecord, 0),
      `${fix(r.cpuShare * 100, 0)} %`,
    ]),
  );
  print(`Ratios to the raw disk limit, each against raw fsync loops run in the same process for ${RAW_PAIRED_SECONDS} s right before it (the disk is shared and its rate drifts):`);
  print();
  table(
    [
      'in flight',
      'raw append + fsync, fsyncs/s (1 record each)',
      'commits/s ÷ that',
      'records/s ÷ that',
      'raw overwrite in place + fsync, fsyncs/s',
      'commits/s ÷ that',
      'raw append: records/s at the same records per fsync',
      'records/s ÷ that (same bytes per fsync)',
    ],
    results.ingest.map((r) => [
      r.concurrency,
      int(r.rawSingle.fsyncsPerS),
      fix(r.commitsPerS / r.rawSingle.fsyncsPerS, 2),
      fix(r.recordsPerS / r.rawSingle.fsyncsPerS, 2),
      int(r.rawOverwrite.fsyncsPerS),
      fix(r.commitsPerS / r.rawOverwrite.fsyncsPerS, 2),
      `${int(r.rawGroup.recordsPerS)} (${r.rawGroup.recordsPerFsync} per fsync, ${int(r.rawGroup.fsyncsPerS)} fsyncs/s)`,
      fix(r.recordsPerS / r.rawGroup.recordsPerS, 2),
    ]),
  );
}

if (results.drain) {
  const d = results.drain;
  print('## 3. Drain over the HTTP uplink (gzip, bearer token, HMAC) to the province simulator in its own process');
  print();
  print(`${int(RECORDS)} records on one stream filled first (${fix(d.fillSeconds)} s), then forwarded by the real Forwarder + HttpUplink; the receiver checks token and signature, gunzips, parses and de-duplicates.`);
  print();
  table(
    ['batch', 'records', 's', 'records/s', 'batches', 'per batch ms: send / nextBatch / acknowledge / rest', 'CPU µs per record: sender / receiver', 'receiver: unique, dup, gaps, out of order'],
    d.rows.map((r) => [
      r.batchSize,
      int(r.records),
      fix(r.seconds, 2),
      int(r.recordsPerS),
      r.batches,
      `${fix(r.sendMs, 1)} / ${fix(r.nextBatchMs, 2)} / ${fix(r.ackMs, 2)} / ${fix(r.otherMs, 2)}`,
      `${fix((r.senderCpuS / r.records) * 1e6, 1)} / ${fix((r.receiverCpuS / r.records) * 1e6, 1)}`,
      `${int(r.unique)}, ${r.duplicates}, ${r.gaps}, ${r.outOfOrder}${r.errors.length ? `; errors: ${r.errors.join('; ')}` : ''}`,
    ]),
  );
  print('Where a batch\'s send time goes (replicas of the same work, timed alone on one core):');
  print();
  table(
    ['batch', 'JSON bytes → gzip bytes', 'build body ms', 'gzip ms', 'HMAC ms', 'receiver gunzip + JSON.parse ms', 'sum ms', 'measured send ms'],
    d.rows.map((r) => [
      r.batchSize,
      `${int(r.jsonBytes)} → ${int(r.gzipBytes)}`,
      fix(r.buildBodyMs, 2),
      fix(r.gzipMs, 2),
      fix(r.hmacMs, 3),
      fix(r.receiverParseMs, 2),
      fix(r.buildBodyMs + r.gzipMs + r.hmacMs + r.receiverParseMs, 1),
      fix(r.sendMs, 1),
    ]),
  );
  print(`Peak RSS: sender ${mib(d.senderHwmKb)} MiB, receiver ${mib(d.receiverHwmKb)} MiB.`);
  print();
  const top = results.ingest?.reduce((a, b) => (b.recordsPerS > a.recordsPerS ? b : a));
  if (top) {
    for (const r of d.rows) {
      print(`- drain at batch ${r.batchSize} ÷ durable ingest with ${top.concurrency} in flight = ${fix(r.recordsPerS / top.recordsPerS, 2)}; a ${int(BACKLOG)}-record backlog would take ~${duration(BACKLOG / r.recordsPerS)} to drain at this rate (extrapolated, not measured)`);
    }
    print();
  }
}

if (results.backlog) {
  const b = results.backlog;
  print(`## 4. Backlog of ${int(b.target)} records (receiver down)`);
  print();
  print(
    `Filled through Outbox.append, ${int(FILL_CHUNK)} appends per tick (one group commit each), round-robin over readings / intervals / transactions, ` +
      `with the Forwarder running against a closed port (default back-off). ` +
      (b.complete
        ? `Filled ${int(b.filled)} records in ${fix(b.fillSeconds, 0)} s (${int(b.recordsPerS)} records/s).`
        : `Stopped at ${int(b.filled)} records after ${fix(b.fillSeconds, 0)} s (time limit); EXTRAPOLATED time to ${int(b.target)}: ${fix(b.extrapolatedSeconds ?? NaN, 0)} s from the last step's rate.`),
  );
  print();
  table(
    ['records', 'fill s', 'records/s (last step)', 'VmRSS MiB', 'VmHWM MiB', 'RSS after GC MiB', 'JS heap MiB', 'db GiB', 'WAL MiB', 'backlog() all streams ms'],
    b.marks.map((m) => [
      int(m.records),
      fix(m.fillSeconds, 0),
      int(m.stepRate),
      mib(m.rssKb),
      mib(m.hwmKb),
      mib(m.rssAfterGcKb),
      fix(m.heapUsedMb, 0),
      gib(m.dbBytes),
      fix(m.walBytes / 2 ** 20, 0),
      m.backlogAllMs === undefined ? '' : fix(m.backlogAllMs, 0),
    ]),
  );
  print(
    `Database after close (WAL checkpointed): ${gib(b.final.dbBytesAfterClose)} GiB = ${int(b.dbBytesPerRecord)} bytes per record for a ${b.payloadBytes}-byte payload. ` +
      `Process at the end: VmRSS ${mib(b.final.rssKb)} MiB, VmHWM ${mib(b.final.hwmKb)} MiB. Forwarder: ${b.forwarder.state} (${b.forwarder.lastError ?? 'no error'}).`,
  );
  print();
  print(
    `Queries at ${int(b.filled)} records (the machine has ${fix(os.totalmem() / 2 ** 30, 0)} GiB of RAM, so the ${gib(b.final.dbBytes)} GiB database was ` +
      `${fix((b.cachedBeforeCold / b.final.dbBytes) * 100, 0)} % in the OS page cache for the warm rows; the cold rows drop this one file's pages first):`,
  );
  print();
  table(
    ['query', 'first ms', 'median ms', 'result'],
    b.queries.map((q) => [q.what, fix(q.firstMs, 2), fix(q.medianMs, 2), q.result]),
  );
}

print(`Finished ${new Date().toISOString()} (${fix((Date.now() - started.getTime()) / 60_000, 1)} min); load average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}.`);
if (opt.json) writeFileSync(opt.json, JSON.stringify({ started: started.toISOString(), command, results, report: lines.join('\n') }, null, 2));
