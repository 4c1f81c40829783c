// A deadline for one network call that garbage collection cannot take away.
// On Node 20, `AbortSignal.any([signal, AbortSignal.timeout(ms)])` holds the timeout
// signal only weakly: after a GC it never fires and a hung request waits forever
// (reproduced with `node --expose-gc`, test/uplink-deadline.test.ts). Here the timer
// is an ordinary setTimeout, referenced by the event loop until it fires or is
// cleared, and it aborts our own AbortController.

export class DeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

export interface Deadline {
  /** aborts when `ms` have passed or when the caller's signal aborts */
  readonly signal: AbortSignal;
  /** true once the deadline (not the caller) aborted */
  readonly expired: boolean;
  /** clears the timer and the listener; call it in a finally */
  done(): void;
}

export function deadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new DeadlineExceeded(ms));
  }, ms);
  const onParentAbort = () => controller.abort(parent!.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    done() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParentAbort);
    },
  };
}

/** A signal that aborts when any of `signals` does, held by plain listeners (no weak references). */
export function anySignal(signals: AbortSignal[]): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const listeners = signals.map((s) => {
    const on = () => controller.abort(s.reason);
    if (s.aborted) on();
    else s.addEventListener('abort', on, { once: true });
    return () => s.removeEventListener('abort', on);
  });
  return { signal: controller.signal, done: () => listeners.forEach((off) => off()) };
}
