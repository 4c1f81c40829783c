// Starts the Modbus peers for the tests: Debian's pymodbus as a server (TCP,
// RTU over TCP, RTU on a pty), the fault-injecting RTU meter, and socat pty
// pairs standing in for an RS-485 line. Every process is killed by stop().
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { socatPtys, stopChild } from './socat.ts';
import { DEBIAN_PYTHON, PEERS_DIR } from './python.ts';


type Entry = { addr: number } & ({ type: string; order?: string; value: number } | { regs: number[] } | { bits: (0 | 1 | boolean)[] });
export interface UnitSpec {
  input?: Entry[];
  holding?: Entry[];
  coils?: Entry[];
  discrete?: Entry[];
  /** pymodbus server only: exception 02 for reads of more registers */
  max_read?: number;
}
export type Units = Record<number, UnitSpec>;

/** pymodbus's serial server needs python3-serial-asyncio (a Recommends of python3-pymodbus). */
export const hasSerialAsyncio = spawnSync(DEBIAN_PYTHON, ['-c', 'import serial_asyncio']).status === 0;

interface Peer {
  child: ChildProcess;
  lines: AsyncIterator<string>;
  stop(): Promise<void>;
}

async function startPython(script: string, config: unknown): Promise<Peer & { ready: Record<string, unknown> }> {
  const child = spawn(DEBIAN_PYTHON, [path.join(PEERS_DIR, script), JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const first = await lines.next();
  clearTimeout(timer);
  if (first.done) throw new Error(`${script} exited before it was ready:\n${stderr}`);
  const ready = JSON.parse(first.value) as Record<string, unknown>;
  if (!ready.ready) throw new Error(`${script}: ${first.value}\n${stderr}`);
  return { child, lines, ready, stop: () => stopChild(child) };
}

/** A pymodbus server; `port` is set for the TCP transports. */
export async function startPymodbus(config: { transport: 'tcp' | 'rtu-over-tcp' | 'serial'; device?: string; units: Units; /** TCP: listen on this port (default: a free one) */ port?: number }): Promise<{ port: number; stop(): Promise<void> }> {
  const peer = await startPython('modbus_server.py', config);
  return { port: (peer.ready.port as number) ?? 0, stop: peer.stop };
}

export type Fault = 'crc' | 'wrong-unit' | 'truncate' | 'echo' | 'garbage' | 'silent' | 'ok';

export interface FaultPeer {
  fault(unit: number, fault: Fault, times?: number): Promise<void>;
  /** requests received per unit id */
  stats(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export async function startFaultPeer(device: string, units: Units): Promise<FaultPeer> {
  const peer = await startPython('modbus_rtu_faults.py', { device, units });
  const ask = async (cmd: unknown) => {
    peer.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
    const r = await peer.lines.next();
    if (r.done) throw new Error('fault peer exited');
    return JSON.parse(r.value) as Record<string, unknown>;
  };
  return {
    async fault(unit, fault, times) {
      await ask({ unit, fault, times });
    },
    async stats() {
      return (await ask({ stats: true })).requests as Record<string, number>;
    },
    stop: peer.stop,
  };
}

/** Two linked ptys: a serial line with the meter on `a` and us on `b`. */
export async function ptyPair(): Promise<{ a: string; b: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-rs485-'));
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const child = await socatPtys(a, b);
  return { a, b, stop: () => stopChild(child) };
}
