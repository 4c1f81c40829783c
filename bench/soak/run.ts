// The fault soak (issue 12), not part of the test suite: the fault harness of
// test/helpers/fault-harness.ts for 30 minutes (--minutes N) at the default rates —
// the gateway's default readings_every_ms (one reading per meter per minute) and
// uplink timeout / backoff, a top-up every second and a morning check every 10 s
// from the harness's clients — with a fault of 20–90 s, then at least 20 s of calm. Prints records accepted,
// delivered and lost, the longest stall, and the gateway's RSS over time. Run as
// root (the full-disk phase mounts a tmpfs):
//   sudo npx tsx bench/soak/run.ts [--minutes 30] [--seed N]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runFaultHarness } from '../../test/helpers/fault-harness.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' }, seed: { type: 'string' } } });
const minutes = Number(values.minutes);
const seed = Number(values.seed ?? Date.now() % 1_000_000);
const started = new Date();
console.error(`soak: ${minutes} min, seed ${seed}`);
const r = await runFaultHarness({
  seed,
  durationMs: minutes * 60_000,
  faultMs: [20_000, 90_000], // long enough for a hang to pass the watchdog's 3 × 15 s
  calmMs: 20_000,
  tmpfsMb: 64,
  readingsEveryMs: 60_000, // the gateway's default
  topUpEveryMs: 1000,
  checkEveryMs: 10_000,
  uplinkTimeoutMs: 15_000, // the http uplink's default
  backoff: { min_ms: 1000, max_ms: 60_000 }, // min is the default; 60 s instead of 300 s so a 30-min run sees recoveries
  log: (line) => console.error(line),
});

// RSS: per gateway process (kill -9 restarts it), after 3 minutes of warm-up (start-up
// allocations — the kiosk bundle, the first GCs — settle within that)
const WARM_UP_MS = 180_000;
const byPid = new Map<number, { ageMs: number; mb: number }[]>();
for (const s of r.rss) if (s.ageMs >= WARM_UP_MS) byPid.set(s.pid, [...(byPid.get(s.pid) ?? []), s]);
const lifetimes = [...byPid.entries()].map(([pid, s]) => ({
  pid,
  minutes: +(s.at(-1)!.ageMs / 60_000).toFixed(1),
  firstMb: +s[0]!.mb.toFixed(1),
  lastMb: +s.at(-1)!.mb.toFixed(1),
  minMb: +Math.min(...s.map((x) => x.mb)).toFixed(1),
  maxMb: +Math.max(...s.map((x) => x.mb)).toFixed(1),
}));
const longest = lifetimes.reduce((a, b) => (b.minutes > (a?.minutes ?? 0) ? b : a), lifetimes[0]);
const delivered = Object.fromEntries(Object.entries(r.received).map(([k, v]) => [k, v.unique]));
const summary = {
  command: `npx tsx bench/soak/run.ts --minutes ${minutes} --seed ${seed}`,
  started: started.toISOString(),
  minutes,
  seed,
  faults: Object.fromEntries(['kill', 'hang', 'slow', 'error', 'reset', 'disk-full', 'clock-step'].map((k) => [k, r.phases.filter((p) => p.kind === k).length])),
  accepted: r.accepted,
  committed: r.committed,
  delivered,
  duplicatesDropped: Object.fromEntries(Object.entries(r.received).map(([k, v]) => [k, v.duplicates])),
  lost: { topUps: r.lost.topUps.length, checks: r.lost.checks.length, committedTopUps: r.lost.committedTopUps.length, committedChecks: r.lost.committedChecks.length, readingsThinned: r.thinned },
  gaps: Object.fromEntries(Object.entries(r.received).map(([k, v]) => [k, v.gaps])),
  longestStallMs: r.longestRecoveryMs,
  recoveriesOverLimit: r.phases.filter((p) => p.recoveryMs === null).length,
  readyz: { samples: r.readyz.samples, whileStalledRequired: r.readyz.stalledSamples, violations: r.readyz.violations.length },
  unexpectedExits: r.unexpectedExits,
  failedStarts: r.failedStarts,
  requests: r.requests,
  rss: {
    warmUpMinutes: WARM_UP_MS / 60_000,
    lifetimes,
    longestLifetimeGrowthPct: longest ? +(((longest.lastMb - longest.firstMb) / longest.firstMb) * 100).toFixed(1) : null,
    maxOverMin: lifetimes.length ? +Math.max(...lifetimes.map((l) => l.maxMb / l.minMb)).toFixed(3) : null,
  },
  rssSeries: r.rss.map((s) => ({ min: +((s.t - r.rss[0]!.t) / 60_000).toFixed(2), pid: s.pid, mb: +s.mb.toFixed(1) })),
};
const dir = path.join(import.meta.dirname, 'results');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify({ ...summary, phases: r.phases, readyzViolations: r.readyz.violations }, null, 1)}\n`);
const { rssSeries: _series, ...shown } = summary;
console.log(JSON.stringify(shown, null, 1));
console.error(`soak: results in ${path.relative(process.cwd(), file)}`);
