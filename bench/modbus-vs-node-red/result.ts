// What every client run reports, and how the runner derives its figures.
import type { Scenario } from './scenarios.ts';

/** Given to a client run (as one JSON argument, or baked into the Node-RED flow). */
export interface RunConfig {
  port: number;
  serverPid: number;
  scenario: Scenario;
  /** reads measured, after `warmup` reads that are not */
  reads: number;
  warmup: number;
  /** stop measuring after this long even if `reads` is not reached */
  timeLimitS: number;
}

export interface RunResult {
  /** read transactions answered (measured phase) */
  reads: number;
  registers: number;
  errors: number;
  wallS: number;
  /** user + system CPU seconds of the client process during the measured phase */
  cpuS: number;
  /** the same for the pymodbus server process over the same phase */
  serverCpuS: number;
  /** VmHWM of the client process at the end (startup included) */
  peakRssKb: number;
  /** sum of the decoded floats: the same reads decode to the same values */
  checksum: number;
}
