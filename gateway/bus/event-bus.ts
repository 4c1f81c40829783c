// The in-process event bus: drivers' adapters publish, the server, stores and
// pages subscribe. Typed by event name; a failing subscriber is logged and never
// breaks the publisher or the other subscribers.
import type { EnergyAnomaly, EnergyInterval } from '../energy/accountant.ts';
import type { OutboxStatusMsg } from '../wire/admin.ts';
import type { CameraFrameMsg, DeviceStatus, MeterReadingMsg, ScaleWeightMsg } from '../wire/devices.ts';
import type { EnergySummaryMsg } from '../wire/energy.ts';
import type { CatalogChangedMsg, StationStateMsg } from '../wire/canteen.ts';

export interface CameraFrame extends Omit<CameraFrameMsg, 'url'> {
  /** packed RGB, width × height × 3 bytes */
  rgb: Buffer;
}

export interface BusEvents {
  'meter:reading': MeterReadingMsg;
  'scale:weight': ScaleWeightMsg;
  'camera:frame': CameraFrame;
  'device:state': DeviceStatus;
  /** a closed 15-minute consumption interval: what goes upstream */
  'energy:interval': EnergyInterval;
  'energy:anomaly': EnergyAnomaly;
  'energy:summary': EnergySummaryMsg;
  'outbox:status': OutboxStatusMsg;
  /** a weighing station's state changed (gateway/canteen) */
  'station:state': StationStateMsg;
  /** the dish catalog or a menu changed */
  'canteen:catalog': CatalogChangedMsg;
}

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
