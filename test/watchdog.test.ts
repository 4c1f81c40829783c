// The sd_notify side of the systemd unit, against the real `canteen-edge start`: a
// datagram socket stands in for systemd's NOTIFY_SOCKET (Debian's python3 listens on
// it; Node has no AF_UNIX datagrams), the gateway sends READY=1, keeps pinging
// WATCHDOG=1, goes quiet while its event loop is blocked on purpose (the test-only
// hook in gateway/systemd/block-loop-hook.ts), pings again after, and says STOPPING=1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_LOOP_MS_ENV, BLOCK_LOOP_SIGNAL_ENV } from '../gateway/systemd/block-loop-hook.ts';
import { createSystemdNotifier } from '../gateway/systemd/notify.ts';
import { createLogger } from '../gateway/log.ts';
import { startGateway, type RunningGateway } from './helpers/gateway.ts';

// One JSON line per datagram: receive time (ms), the sender's pid from SCM_CREDENTIALS, the text.
const RECEIVER = `
import json, os, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
print(json.dumps({"bound": True}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = None
    for level, kind, d in anc:
        if kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", d[:12])[0]
    print(json.dumps({"t": time.time() * 1000, "pid": pid, "msg": data.decode()}), flush=True)
`;

interface Datagram {
  t: number;
  pid: number;
  msg: string;
}

async function listen(socketPath: string): Promise<{ child: ChildProcess; got: () => Datagram[] }> {
  const child = spawn('/usr/bin/python3', ['-c', RECEIVER, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const lines = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`python3 receiver exited ${code}`)));
    child.stdout!.on('data', () => lines().some((l) => l.bound) && resolve());
  });
  return { child, got: () => lines().filter((l) => !l.bound) as Datagram[] };
}

const silent = () => createLogger('fatal', new Writable({ write: (_c, _e, cb) => cb() }));

describe('systemd notifier settings', () => {
  it('is a no-op without NOTIFY_SOCKET', () => {
    const n = createSystemdNotifier(silent(), { WATCHDOG_USEC: '400000' });
    expect(n.enabled).toBe(false);
    expect(n.watchdogMs).toBeNull();
  });

  it('pings at half of WATCHDOG_USEC, and hides the variables from child processes', async () => {
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/nonexistent/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: String(process.pid) };
    const n = createSystemdNotifier(silent(), env);
    expect(n.enabled).toBe(true);
    expect(n.watchdogMs).toBe(15_000);
    expect(env).toEqual({});
    await n.stopping('test over');
  });

  it("does not feed another process's watchdog (WATCHDOG_PID)", async () => {
    const n = createSystemdNotifier(silent(), { NOTIFY_SOCKET: '/nonexistent/notify', WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid + 1) });
    expect(n.enabled).toBe(true);
    expect(n.watchdogMs).toBeNull();
    await n.stopping('test over');
  });
});

describe('watchdog against the real gateway', () => {
  const BLOCK_MS = 2000;
  let receiver: Awaited<ReturnType<typeof listen>>;
  let gw: RunningGateway;
  let dir: string;
  const pings = () => receiver.got().filter((d) => d.msg === 'WATCHDOG=1');
  const logLines = () => gw.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; from?: number; to?: number });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-watchdog-'));
    const socketPath = path.join(dir, 'notify.sock');
    receiver = await listen(socketPath);
    gw = await startGateway({
      env: { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '400000', [BLOCK_LOOP_SIGNAL_ENV]: 'SIGUSR2', [BLOCK_LOOP_MS_ENV]: String(BLOCK_MS) },
    });
  });
  afterAll(async () => {
    await gw?.stop();
    receiver?.child.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says READY=1 with a status once it listens', async () => {
    await expect.poll(() => receiver.got().find((d) => d.msg.startsWith('READY=1'))?.msg, { timeout: 10_000 }).toBe(`READY=1\nSTATUS=listening on port ${gw.port}`);
  });

  it('keeps pinging, goes quiet while the event loop is blocked, then pings again', async () => {
    await expect.poll(() => pings().length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);

    gw.child.kill('SIGUSR2');
    await expect.poll(() => logLines().find((l) => l.msg === 'TEST HOOK: event loop free again'), { timeout: 20_000 }).toBeTruthy();
    const { from, to } = logLines().find((l) => l.msg === 'TEST HOOK: event loop free again')!;
    expect(to! - from!).toBeGreaterThanOrEqual(BLOCK_MS);

    await expect.poll(() => pings().filter((p) => p.t > to!).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    // A blocked loop spawns no systemd-notify: at most the one already on its way when the
    // loop stopped lands inside the window (five ping periods long), none is sent from it.
    const during = pings().filter((p) => p.t > from! && p.t < to!);
    expect(during.length).toBeLessThanOrEqual(1);
  });

  it('says STOPPING=1 on SIGTERM and exits 0', async () => {
    const { code } = await gw.stop('SIGTERM');
    expect(code).toBe(0);
    expect(receiver.got().some((d) => d.msg.startsWith('STOPPING=1\nSTATUS=stopping on SIGTERM'))).toBe(true);
  });
});
