// Real serial lines and the simulated DL/T 645 meter (dlt645_meter.py, Debian's
// python3) for the tests: a socat pty pair with the meter on one end, or the meter
// listening on TCP like a transparent RS-485-to-Ethernet converter.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { socatPtys, stopChild } from './socat.ts';
import { DEBIAN_PYTHON, PEERS_DIR } from './python.ts';


export interface MeterEvent {
  event: string;
  [key: string]: unknown;
}

export interface RunningMeter {
  child: ChildProcess;
  /** every JSON line the meter printed so far */
  events: MeterEvent[];
  /** the TCP port, when listening on TCP */
  port?: number;
  stderr(): string;
  /** resolves with the first event (already seen or upcoming) matching `pred` */
  waitFor(pred: (e: MeterEvent) => boolean, timeoutMs?: number): Promise<MeterEvent>;
  stop(): Promise<void>;
}

/** Starts dlt645_meter.py (or another peer `script` speaking the same JSON lines) with `args` and waits for its "ready" line. */
export async function startMeter(args: string[], readyTimeoutMs = 5000, script = 'dlt645_meter.py'): Promise<RunningMeter> {
  const child = spawn(DEBIAN_PYTHON, ['-u', path.join(PEERS_DIR, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: MeterEvent[] = [];
  const waiters: { pred: (e: MeterEvent) => boolean; resolve: (e: MeterEvent) => void }[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let e: MeterEvent;
    try {
      e = JSON.parse(line) as MeterEvent;
    } catch {
      return;
    }
    events.push(e);
    for (const w of [...waiters]) {
      if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  const waitFor = (pred: (e: MeterEvent) => boolean, timeoutMs = 3000) =>
    new Promise<MeterEvent>((resolve, reject) => {
      const seen = events.find(pred);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => reject(new Error(`meter event not seen within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
      waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`meter exited (${code}): ${stderr}`))));
  exited.catch(() => undefined);
  const ready = await Promise.race([waitFor((e) => e.event === 'ready', readyTimeoutMs), exited]);
  return {
    child,
    events,
    ...(typeof ready.port === 'number' ? { port: ready.port } : {}),
    stderr: () => stderr,
    waitFor,
    stop: () => stopChild(child),
  };
}

export interface PtyPair {
  dir: string;
  /** the meter's end */
  meter: string;
  /** the gateway's end */
  gw: string;
  stop(): Promise<void>;
}

/** `socat pty,raw,echo=0,link=DIR/meter pty,raw,echo=0,link=DIR/gw`, once both links exist. */
export async function startPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dlt645-pty-'));
  const meter = path.join(dir, 'meter');
  const gw = path.join(dir, 'gw');
  const child = await socatPtys(meter, gw);
  return {
    dir,
    meter,
    gw,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A pty pair with the meter on it. */
export async function meterOnPty(args: string[] = []): Promise<{ pty: PtyPair; meter: RunningMeter; stop(): Promise<void> }> {
  const pty = await startPtyPair();
  let meter: RunningMeter;
  try {
    meter = await startMeter(['--pty', pty.meter, ...args]);
  } catch (err) {
    await pty.stop();
    throw err;
  }
  return {
    pty,
    meter,
    stop: async () => {
      await meter.stop();
      await pty.stop();
    },
  };
}
