// Poll-cycle efficiency: N SDM630 meters on one simulated RS-485 line, polled by
// the gateway's real RTU client and bus scheduler (drivers/modbus: RtuClient on a
// SharedBus, BusPoller), against the theoretical wire time of the same requests.
// usage: npx tsx bench/poll-cycle/run.ts [--meters 8,32] [--baud 9600,19200] [--framing 8N1,8E1]
//          [--turnaround 5] [--cycles 3] [--plans per-point,planner,wide]
// Prints, per line speed and framing, the median cycle time against the theoretical one.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { BusPoller, type PolledDevice } from '../../drivers/modbus/bus-poller.ts';
import { planReads } from '../../drivers/modbus/plan.ts';
import { RtuClient, rtuBusOptions } from '../../drivers/modbus/rtu-client.ts';
import { SharedBus } from '../../drivers/serial/shared-bus.ts';
import { SDM630_VALUES, sdm630Profile, sdm630Registers } from '../lib/sdm630.ts';
import { SimulatedRtuLine } from './sim-bus.ts';
import { FRAMINGS, charMs, readReplyBytes, readRequestBytes, t35Ms, transactionMs, type Line } from './wire.ts';

const { values: args } = parseArgs({
  options: {
    meters: { type: 'string', default: '8,32' },
    baud: { type: 'string', default: '9600,19200' },
    framing: { type: 'string', default: '8N1,8E1' },
    turnaround: { type: 'string', default: '5' },
    cycles: { type: 'string', default: '3' },
    plans: { type: 'string', default: 'per-point,planner,wide' },
  },
});
const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

/** maxGap given to the planner: -1 never merges (one read per point); 8 is readMeter's default */
const PLANS: Record<string, { label: string; maxGap: number }> = {
  'per-point': { label: 'one read per point', maxGap: -1 },
  planner: { label: 'planner, maxGap 8 (default)', maxGap: 8 },
  wide: { label: 'planner, maxGap 64', maxGap: 64 },
};

const profile = sdm630Profile();
const turnaroundMs = Number(args.turnaround);
const cycles = Number(args.cycles);

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`${os.cpus().length} cores, load average ${load()} (other processes slow the client and show as overhead)`);

// Sanity check of the wire-time formula against DOMAIN.md (11-bit characters, no turnaround).
const domainLine: Line = { baudRate: 9600, bitsPerChar: 11, turnaroundMs: 0 };
console.log('wire-time formula vs DOMAIN.md (9600 baud, 11 bits/char, zero turnaround):');
console.log(`  10-register read:  ${transactionMs(domainLine, 10).toFixed(1)} ms (DOMAIN: ≈ 45.8 ms); at 19200: ${transactionMs({ ...domainLine, baudRate: 19200 }, 10).toFixed(1)} ms (DOMAIN: 22.9)`);
console.log(`  125-register read: ${transactionMs(domainLine, 125).toFixed(1)} ms (DOMAIN: ≈ 309 ms)`);
console.log(`  per transaction: (${readRequestBytes} + 5 + 2N bytes) × bits/char / baud + 2 × t3.5 + turnaround (${turnaroundMs} ms here)`);

interface Row { meters: number; plan: string; requests: number; cycleMs: number; slowestMs: number; cycles: number; theoryMs: number; errors: number; timeouts: number; gapViolations: number; collisions: number; shortestGapMs: number; lateMs: number }

async function measure(line: Line, meters: number, maxGap: number): Promise<Row & { ok: boolean }> {
  const registers = sdm630Registers();
  const sim = new SimulatedRtuLine(line, new Map(Array.from({ length: meters }, (_, i) => [i + 1, registers])));
  const client = new RtuClient(new SharedBus(sim, rtuBusOptions(line.baudRate)), { timeoutMs: 1000, ownsBus: true });
  const devices: PolledDevice[] = Array.from({ length: meters }, (_, i) => ({ id: `m${i + 1}`, unit: i + 1, profile, intervalMs: 0 }));
  const theoryMs = meters * planReads(profile.points, maxGap).reduce((t, b) => t + transactionMs(line, b.count), 0);

  // cycle 1 is a warm-up; then at least `cycles` cycles and 3 s are timed, each
  // cycle from one reading of the last meter to the next
  const timed = Math.max(cycles, Math.ceil(3000 / theoryMs));
  let readings = 0, errors = 0, ok = true, requests1 = 0, late1 = 0;
  const ends: number[] = [];
  await new Promise<void>((resolve) => {
    const poller = new BusPoller(client, devices, {
      maxGap,
      onReading: (_id, read) => {
        readings += 1;
        errors += Object.keys(read.errors).length;
        ok &&= read.values.voltage_l1?.value === SDM630_VALUES.voltage_l1;
        if (readings % meters) return;
        ends.push(performance.now());
        if (ends.length === 1) [requests1, late1] = [client.counters.requests, sim.stats.lateMs];
        if (ends.length === timed + 1) void poller.stop().then(resolve);
      },
    });
    poller.start();
  });
  const times = ends.slice(1).map((t, i) => t - ends[i]!).sort((a, b) => a - b);
  const c = client.counters;
  await client.close();
  return {
    meters, plan: '', requests: (c.requests - requests1) / timed, cycleMs: (times[Math.floor((times.length - 1) / 2)]! + times[Math.floor(times.length / 2)]!) / 2, slowestMs: times.at(-1)!, cycles: timed, theoryMs, errors, timeouts: c.timeouts,
    gapViolations: sim.stats.gapViolations, collisions: sim.stats.collisions, shortestGapMs: sim.stats.shortestGapMs, lateMs: (sim.stats.lateMs - late1) / (c.requests - requests1), ok,
  };
}

const rows: (Row & { framing: string; baud: number })[] = [];
for (const framing of list(args.framing)) {
  for (const baud of list(args.baud).map(Number)) {
    const bits = FRAMINGS[framing];
    if (!bits) throw new Error(`framing ${framing}: one of ${Object.keys(FRAMINGS).join(', ')}`);
    const line: Line = { baudRate: baud, bitsPerChar: bits, turnaroundMs };
    console.log(`\n## ${baud} baud ${framing} (${bits} bits/char: ${charMs(line).toFixed(3)} ms/char, t3.5 ${t35Ms(line).toFixed(2)} ms), turnaround ${turnaroundMs} ms\n`);
    console.log('| meters | plan | requests/cycle | cycle (median; slowest) | theoretical wire time | efficiency | overhead per request (line late) | errors | gaps < t3.5 (shortest) |');
    console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const meters of list(args.meters).map(Number)) {
      for (const planName of list(args.plans)) {
        const plan = PLANS[planName];
        if (!plan) throw new Error(`plan ${planName}: one of ${Object.keys(PLANS).join(', ')}`);
        const r = await measure(line, meters, plan.maxGap);
        r.plan = plan.label;
        rows.push({ ...r, framing, baud });
        console.log(`| ${meters} | ${plan.label} | ${r.requests.toFixed(0)} | ${ms(r.cycleMs)}; ${ms(r.slowestMs)} | ${ms(r.theoryMs)} | ${((100 * r.theoryMs) / r.cycleMs).toFixed(1)} % | ${((r.cycleMs - r.theoryMs) / r.requests).toFixed(2)} ms (${r.lateMs.toFixed(2)}) | ${r.errors + r.timeouts}${r.ok ? '' : ' (wrong values!)'} | ${r.gapViolations + r.collisions} of ${sim(r)} (${r.shortestGapMs.toFixed(2)} ms) |`);
      }
    }
  }
}

// The planner's gain: the same meters, line and framing, one read per point vs planned.
const pp = rows.filter((r) => r.plan === PLANS['per-point']!.label);
const pl = rows.filter((r) => r.plan === PLANS.planner!.label);
if (pp.length && pl.length) {
  console.log('\nplanner gain (cycle time with one read per point ÷ with the planner):');
  for (const a of pp) {
    const b = pl.find((x) => x.meters === a.meters && x.baud === a.baud && x.framing === a.framing);
    if (b) console.log(`  ${a.meters} meters, ${a.baud} ${a.framing}: ${a.requests} → ${b.requests} requests/cycle, ${ms(a.cycleMs)} → ${ms(b.cycleMs)}: ×${(a.cycleMs / b.cycleMs).toFixed(2)}`);
  }
}
console.log(`\nrequest ${readRequestBytes} bytes, reply 5 + 2N bytes (e.g. ${readReplyBytes(18)} for 18 registers); timed cycles per row: at least ${cycles} and 3 s, after one warm-up cycle`);

console.log(`load average at the end: ${load()}`);

function sim(r: Row): number {
  return Math.round(r.requests * (r.cycles + 1));
}

function ms(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(3)} s` : `${x.toFixed(1)} ms`;
}
