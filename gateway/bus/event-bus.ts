// The in-process event bus: drivers' adapters publish, the server, stores and
// pages subscribe. Typed by event name; a failing subscriber is logged and never
// breaks the publisher or the other subscribers — except through emitOrThrow, for an
// event whose publisher must fail when a subscriber's duty failed.
import type { BusEvents } from '../wire/bus.ts';

type Handler<T> = (payload: T) => void;

export class EventBus {
  private readonly handlers = new Map<keyof BusEvents, Set<Handler<never>>>();

  constructor(private readonly onHandlerError: (event: string, err: unknown) => void = () => {}) {}

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof BusEvents>(event: K, handler: Handler<BusEvents[K]>): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler as Handler<never>);
    return () => set.delete(handler as Handler<never>);
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    for (const handler of this.handlers.get(event) ?? []) {
      try {
        (handler as Handler<BusEvents[K]>)(payload);
      } catch (err) {
        this.onHandlerError(event, err);
      }
    }
  }

  /**
   * Like emit, every subscriber runs; then the first subscriber's error is thrown to
   * the publisher (an account closed must answer an error if its face template could
   * not be deleted at once — PIPL art. 47 — not succeed and leave it to the hourly sweep).
   */
  emitOrThrow<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    const errors: unknown[] = [];
    for (const handler of this.handlers.get(event) ?? []) {
      try {
        (handler as Handler<BusEvents[K]>)(payload);
      } catch (err) {
        this.onHandlerError(event, err);
        errors.push(err);
      }
    }
    if (errors.length) throw errors[0];
  }
}
