// The in-process event bus: drivers' adapters publish, the server, stores and
// pages subscribe. Typed by event name; a failing subscriber is logged and never
// breaks the publisher or the other subscribers.
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
}
