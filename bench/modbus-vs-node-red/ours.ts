// Our client in its own process: ModbusTcpClient + readMeter (planner, decoder),
// exactly as the gateway polls a meter. Prints one RunResult as JSON.
// usage: node --import tsx bench/modbus-vs-node-red/ours.ts '<RunConfig JSON>'
import { builtinProfiles } from '../../drivers/meter-protocols.ts';
import { readMeter } from '../../drivers/modbus/meter-reader.ts';
import { ModbusTcpClient } from '../../drivers/modbus/tcp-client.ts';
import { cpuSeconds, peakRssKb } from '../lib/proc.ts';
import type { RunConfig, RunResult } from './result.ts';

const cfg = JSON.parse(process.argv[2]!) as RunConfig;
const client = new ModbusTcpClient({ host: '127.0.0.1', port: cfg.port, timeoutMs: 1000 });
const profile = builtinProfiles().get('sdm630')!;
const isSdm = cfg.scenario.name === 'sdm630';
const plain = cfg.scenario.reads[0]!;

/** One unit of work: a poll of the SDM630 profile (3 reads) or one plain read. */
async function step(): Promise<{ reads: number; registers: number; errors: number; sum: number }> {
  if (isSdm) {
    const r = await readMeter(client, profile, 1);
    let sum = 0;
    for (const v of Object.values(r.values)) sum += v.value;
    const failed = Object.keys(r.errors).length ? r.requests : 0; // a rough count: this bench expects none
    return { reads: r.requests, registers: cfg.scenario.reads.reduce((n, b) => n + b.count, 0), errors: failed, sum };
  }
  try {
    await client.readRegisters(1, 'input', plain.start, plain.count);
    return { reads: 1, registers: plain.count, errors: 0, sum: 0 };
  } catch {
    return { reads: 1, registers: 0, errors: 1, sum: 0 };
  }
}

for (let n = 0; n < cfg.warmup; ) n += (await step()).reads;

const out: RunResult = { reads: 0, registers: 0, errors: 0, wallS: 0, cpuS: 0, serverCpuS: 0, peakRssKb: 0, checksum: 0 };
const cpu0 = process.cpuUsage();
const srv0 = cpuSeconds(cfg.serverPid);
const t0 = performance.now();
const deadline = t0 + cfg.timeLimitS * 1000;
while (out.reads < cfg.reads && performance.now() < deadline) {
  const r = await step();
  out.reads += r.reads;
  out.registers += r.registers;
  out.errors += r.errors;
  out.checksum += r.sum;
}
out.wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
out.cpuS = (cpu.user + cpu.system) / 1e6;
out.serverCpuS = cpuSeconds(cfg.serverPid) - srv0;
out.peakRssKb = peakRssKb('self');
await client.close();
console.log(JSON.stringify(out));
