// TEST-ONLY: lets test/watchdog.test.ts hang the event loop on purpose, to show that a
// hung loop stops the watchdog pings. Inert unless the environment names a signal:
//   CANTEEN_EDGE_TEST_BLOCK_LOOP_ON_SIGNAL=SIGUSR2   which signal blocks the loop
//   CANTEEN_EDGE_TEST_BLOCK_LOOP_MS=2000              for how long (busy-wait, default 2000)
// The installed unit never sets these; the gateway logs a warning when the hook is armed.
import type { Logger } from '../log.ts';

export const BLOCK_LOOP_SIGNAL_ENV = 'CANTEEN_EDGE_TEST_BLOCK_LOOP_ON_SIGNAL';
export const BLOCK_LOOP_MS_ENV = 'CANTEEN_EDGE_TEST_BLOCK_LOOP_MS';

const ALLOWED: NodeJS.Signals[] = ['SIGUSR1', 'SIGUSR2'];

export function armBlockLoopHook(logger: Logger, env: NodeJS.ProcessEnv = process.env): void {
  const signal = env[BLOCK_LOOP_SIGNAL_ENV] as NodeJS.Signals | undefined;
  if (!signal) return;
  if (!ALLOWED.includes(signal)) throw new Error(`${BLOCK_LOOP_SIGNAL_ENV}=${signal}: expected one of ${ALLOWED.join(', ')}`);
  const ms = Number(env[BLOCK_LOOP_MS_ENV] ?? 2000);
  if (!Number.isFinite(ms) || ms <= 0) throw new Error(`${BLOCK_LOOP_MS_ENV}=${env[BLOCK_LOOP_MS_ENV]}: expected a positive number of milliseconds`);
  logger.warn({ signal, ms }, 'TEST HOOK armed: the event loop blocks on this signal');
  process.on(signal, () => {
    const from = Date.now();
    logger.warn({ from, ms }, 'TEST HOOK: event loop blocked');
    while (Date.now() - from < ms) {
      /* busy-wait: no timer, no I/O, no watchdog ping */
    }
    logger.warn({ from, to: Date.now() }, 'TEST HOOK: event loop free again');
  });
}
