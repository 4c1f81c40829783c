// The in-process bus's events and their payloads (the bus itself is gateway/bus/).
import type { OutboxStatusMsg } from './admin.ts';
import type { CatalogChangedMsg, StationStateMsg } from './canteen.ts';
import type { CameraFrame, DeviceStatus, MeterReadingMsg, ScaleWeightMsg } from './devices.ts';
import type { EnergyAnomaly, EnergySummaryMsg } from './energy.ts';
import type { KitchenAlertMsg, KitchenRecordsMsg } from './kitchen.ts';

export interface BusEvents {
  'meter:reading': MeterReadingMsg;
  'scale:weight': ScaleWeightMsg;
  'camera:frame': CameraFrame;
  'device:state': DeviceStatus;
  'energy:anomaly': EnergyAnomaly;
  'energy:summary': EnergySummaryMsg;
  'outbox:status': OutboxStatusMsg;
  /** a weighing station's state changed (gateway/canteen) */
  'station:state': StationStateMsg;
  /** the dish catalog or a menu changed */
  'canteen:catalog': CatalogChangedMsg;
  /** a kitchen safety alert was raised (gateway/kitchen/alerts.ts) */
  'alert:new': KitchenAlertMsg;
  /** an alert was acknowledged or resolved */
  'alert:update': KitchenAlertMsg;
  /** today's food-safety records after a change or a reminder (gateway/kitchen/records) */
  'records:update': KitchenRecordsMsg;
  /** face pay became available or unavailable (gateway/biometrics) */
  'face:availability': { facePay: boolean };
  /** a payment account was created or changed (closed, birth date corrected …): biometrics reviews its templates */
  'account:changed': { accountId: string; actor: string };
  /** staff sessions ended (or 'check': look each one up again): their sockets are disconnected (gateway/auth) */
  'auth:revoked': { sessions: Set<string> | 'check' };
}
