// The in-process bus's events and their payloads (the bus itself is gateway/bus/).
import type { OutboxStatusMsg } from './admin.ts';
import type { CatalogChangedMsg, StationStateMsg } from './canteen.ts';
import type { CameraFrame, DeviceStatus, MeterReadingMsg, ScaleWeightMsg } from './devices.ts';
import type { EnergyAnomaly, EnergyInterval, EnergySummaryMsg } from './energy.ts';

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
