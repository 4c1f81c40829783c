// The sd_notify side of `Type=notify` + `WatchdogSec=` (systemd/canteen-edge.service):
// READY=1 once the gateway listens, WATCHDOG=1 from the main event loop at half of
// WATCHDOG_USEC, STOPPING=1 on shutdown, STATUS= lines for `systemctl status`.
//
// Node 20 cannot open AF_UNIX datagram sockets, so each message is sent by Debian's
// /usr/bin/systemd-notify (part of systemd itself, no native addon to build). That
// process is not the unit's MainPID, hence `NotifyAccess=all` in the unit; it waits
// (no --no-block) until the manager has read the message, so systemd can still
// attribute it to our cgroup. Why not a worker or a child timer: the ping must come
// from a timer on THIS event loop, so a hung loop stops the pings and systemd
// restarts the service. See systemd/README.md.
import { spawn } from 'node:child_process';
import type { Logger } from '../log.ts';

export const SYSTEMD_NOTIFY_BIN = '/usr/bin/systemd-notify';

export interface SystemdNotifier {
  /** false when the process was not started by systemd with NOTIFY_SOCKET (every call is then a no-op) */
  readonly enabled: boolean;
  /** the ping period in ms, or null when systemd asked for no watchdog */
  readonly watchdogMs: number | null;
  ready(status: string): void;
  status(status: string): void;
  /** sends STOPPING=1 and stops the pings; resolves once sent (or failed), at the latest after `waitMs` */
  stopping(status: string, waitMs?: number): Promise<void>;
}

const NOOP: SystemdNotifier = {
  enabled: false,
  watchdogMs: null,
  ready() {},
  status() {},
  stopping: async () => {},
};

/**
 * Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from `env` and removes them, as
 * sd_notify(3)'s unset_environment does, so child processes (ffmpeg, CLI runs) cannot
 * speak for the service under NotifyAccess=all. Starts the watchdog pings at once:
 * systemd arms the watchdog when the process starts, not when it is ready.
 */
export function createSystemdNotifier(logger: Logger, env: NodeJS.ProcessEnv = process.env): SystemdNotifier {
  const socket = env.NOTIFY_SOCKET;
  const usec = Number(env.WATCHDOG_USEC);
  const watchdogPid = env.WATCHDOG_PID;
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (!socket) return NOOP;

  const log = logger.child({ module: 'systemd' });
  // WATCHDOG_PID names the process systemd watches; another one's watchdog is not ours to feed
  const forUs = !watchdogPid || Number(watchdogPid) === process.pid;
  const watchdogMs = Number.isInteger(usec) && usec > 0 && forUs ? Math.max(1, Math.floor(usec / 2000)) : null;

  // One systemd-notify at a time, in order; a ping is dropped while one is still on its way.
  let chain: Promise<void> = Promise.resolve();
  let inFlight = 0;
  let warned = false;
  const send = (fields: string[]): Promise<void> => {
    inFlight++;
    chain = chain.then(
      () =>
        new Promise<void>((resolve) => {
          const child = spawn(SYSTEMD_NOTIFY_BIN, fields, { env: { NOTIFY_SOCKET: socket }, stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr!.on('data', (d) => (stderr += d));
          const done = (problem?: string) => {
            inFlight--;
            if (problem && !warned) {
              warned = true; // once: a missing binary must not flood the journal every few seconds
              log.warn({ fields, problem }, 'systemd notification failed');
            }
            resolve();
          };
          child.once('error', (err) => done(err.message));
          child.once('close', (code) => done(code === 0 ? undefined : `exit ${code}: ${stderr.trim()}`));
        }),
    );
    return chain;
  };

  let timer: NodeJS.Timeout | null = null;
  if (watchdogMs !== null) {
    timer = setInterval(() => {
      if (inFlight === 0) void send(['WATCHDOG=1']);
    }, watchdogMs);
    timer.unref();
  }
  log.info({ socket, watchdogMs }, 'notifying systemd');

  return {
    enabled: true,
    watchdogMs,
    ready: (status) => void send(['READY=1', `STATUS=${status}`]),
    status: (status) => void send([`STATUS=${status}`]),
    async stopping(status, waitMs = 1000) {
      if (timer) clearInterval(timer);
      timer = null;
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([send(['STOPPING=1', `STATUS=${status}`]), new Promise<void>((r) => (waited = setTimeout(r, waitMs)))]);
      clearTimeout(waited);
    },
  };
}
