// Test support (not used by the gateway): the Python scale peers of
// test/peers/scale_*.py and socat pty pairs standing in for a serial cable,
// with fixed paths so that a "replugged" line comes back where it was.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { socatPtys, stopChild } from '../../peers/socat.ts';
import type { ScaleDriver, ScaleStateChange } from '../../../drivers/scale/driver.ts';
import type { WeightReading } from '../../../drivers/scale/reading.ts';

export const DEBIAN_PYTHON = '/usr/bin/python3';
export const PEERS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../peers');

export interface ScalePeer {
  /** TCP port when listening on TCP */
  port: number;
  child: ChildProcess;
  /** one control command, answered by one JSON object */
  send(cmd: Record<string, unknown>): Promise<Record<string, unknown>>;
  set(values: Record<string, unknown>): Promise<void>;
  /** commands received from the gateway, by name, and the weighing model's state */
  stats(): Promise<{ received: Record<string, number>; state: Record<string, number | boolean> }>;
  stop(): Promise<void>;
}

export type PeerScript = 'scale_mtsics.py' | 'scale_toledo.py' | 'scale_continuous.py' | 'scale_modbus.py';

export async function startScalePeer(script: PeerScript, config: Record<string, unknown>): Promise<ScalePeer> {
  const child = spawn(DEBIAN_PYTHON, [path.join(PEERS_DIR, script), JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const first = await lines.next();
  clearTimeout(timer);
  if (first.done) throw new Error(`${script} exited before it was ready:\n${stderr}`);
  const ready = JSON.parse(first.value) as { ready?: boolean; port?: number };
  if (!ready.ready) throw new Error(`${script}: ${first.value}\n${stderr}`);
  let queue = Promise.resolve();
  const send = (cmd: Record<string, unknown>) => {
    const result = queue.then(async () => {
      child.stdin!.write(`${JSON.stringify(cmd)}\n`);
      const r = await lines.next();
      if (r.done) throw new Error(`${script} exited:\n${stderr}`);
      const answer = JSON.parse(r.value) as Record<string, unknown>;
      if (answer.error) throw new Error(`${script}: ${String(answer.error)}`);
      return answer;
    });
    queue = result.then(() => undefined, () => undefined);
    return result;
  };
  return {
    port: ready.port ?? 0,
    child,
    send,
    async set(values) {
      await send({ set: values });
    },
    async stats() {
      return (await send({ stats: true })) as never;
    },
    stop: () => stopChild(child),
  };
}

export interface PtyLine {
  /** the scale's end */
  a: string;
  /** the gateway's end */
  b: string;
  /** the cable pulled: both ends vanish */
  unplug(): Promise<void>;
  /** plugged in again at the same paths */
  plug(): Promise<void>;
  stop(): Promise<void>;
}

/** Two linked ptys at fixed paths (socat), which can be unplugged and plugged in again. */
export async function ptyLine(): Promise<PtyLine> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-scale-'));
  const a = path.join(dir, 'scale');
  const b = path.join(dir, 'gateway');
  let child: ChildProcess | undefined;
  const plug = async () => {
    child = await socatPtys(a, b);
  };
  const unplug = async () => {
    if (child) await stopChild(child);
    child = undefined;
    const deadline = Date.now() + 2000;
    while ((existsSync(a) || existsSync(b)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };
  await plug();
  return { a, b, plug, unplug, stop: unplug };
}

/** The first reading (from now on) that `pred` accepts. */
export function waitForReading(scale: ScaleDriver, pred: (r: WeightReading) => boolean, timeoutMs = 3000): Promise<WeightReading> {
  return new Promise((resolve, reject) => {
    let last: WeightReading | undefined;
    const timer = setTimeout(() => {
      scale.off('reading', on);
      reject(new Error(`no matching reading within ${timeoutMs} ms; last: ${JSON.stringify(last)}; state ${scale.state} (${scale.lastError ?? ''})`));
    }, timeoutMs);
    const on = (r: WeightReading) => {
      last = r;
      if (!pred(r)) return;
      clearTimeout(timer);
      scale.off('reading', on);
      resolve(r);
    };
    scale.on('reading', on);
  });
}

/** The next state change of this kind. Make the promise before causing the change. */
export function waitForState<S extends ScaleStateChange['state']>(scale: ScaleDriver, state: S, timeoutMs = 5000): Promise<Extract<ScaleStateChange, { state: S }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      scale.off('state', on);
      reject(new Error(`no "${state}" within ${timeoutMs} ms (state ${scale.state}, ${scale.lastError ?? ''})`));
    }, timeoutMs);
    const on = (c: ScaleStateChange) => {
      if (c.state !== state) return;
      clearTimeout(timer);
      scale.off('state', on);
      resolve(c as Extract<ScaleStateChange, { state: S }>);
    };
    scale.on('state', on);
  });
}
