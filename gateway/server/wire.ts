// The messages the gateway sends to the pages over Socket.IO. The kiosk imports
// these as types only: pages talk to the gateway over the wire, never in-process.

export type DeviceKind = 'meter' | 'scale' | 'camera';

/** starting: not yet heard from; online: last request answered; degraded: some
 * requests failing; offline: nothing answered for a while. */
export type DeviceState = 'starting' | 'online' | 'degraded' | 'offline';

export interface DeviceStatus {
  id: string;
  kind: DeviceKind;
  state: DeviceState;
  /** epoch ms when the device entered this state */
  since: number;
  /** epoch ms of the last good reading, or null */
  lastGoodAt: number | null;
  /** the last error, human-readable, or null */
  lastError: string | null;
}

export interface PointValue { value: number; unit: string }

export interface MeterReadingMsg {
  deviceId: string;
  profile: string;
  at: number;
  values: Record<string, PointValue>;
}

export interface ScaleWeightMsg {
  deviceId: string;
  at: number;
  grams: number;
  stable: boolean;
  net: boolean;
  overload: boolean;
  underload: boolean;
}

export interface CameraFrameMsg {
  deviceId: string;
  at: number;
  seq: number;
  width: number;
  height: number;
  /** path of the latest frame as JPEG on this gateway */
  url: string;
}

export interface SiteInfo { name: string; version: string; timezone: string }

export interface EnergySnapshot { site: SiteInfo; devices: DeviceStatus[]; readings: MeterReadingMsg[]; summary: EnergySummaryMsg | null }
export interface KioskSnapshot { site: SiteInfo; devices: DeviceStatus[]; weights: ScaleWeightMsg[] }
export interface KitchenSnapshot { site: SiteInfo; devices: DeviceStatus[]; frames: CameraFrameMsg[] }
/** Store-and-forward at a glance, pushed on `/admin` as `outbox:status` every few seconds. */
export interface OutboxStatusMsg {
  at: number;
  links: { uplink: string; state: 'online' | 'backing-off' | 'offline'; since: number; lastError: string | null; retryAt: number | null; lastSendMs: number | null }[];
  /** records not yet acknowledged, per uplink and stream (counted on disk) */
  backlog: { uplink: string; stream: string; records: number }[];
  held: { stream: string; records: number; bytes: number }[];
  drops: { stream: string; reason: string; count: number }[];
  deadLetters: number;
  alarms: string[];
}

export interface AdminSnapshot { site: SiteInfo; devices: DeviceStatus[]; startedAt: number; outbox: OutboxStatusMsg | null }

/** Server → client events per namespace. Every namespace sends `snapshot` on
 * connect and `device:state` whenever a device changes state. */
export interface EnergyEvents {
  snapshot: (s: EnergySnapshot) => void;
  'meter:reading': (m: MeterReadingMsg) => void;
  'energy:summary': (s: EnergySummaryMsg) => void;
  'device:state': (d: DeviceStatus) => void;
}
export interface KioskEvents { snapshot: (s: KioskSnapshot) => void; 'scale:weight': (m: ScaleWeightMsg) => void; 'device:state': (d: DeviceStatus) => void }
export interface KitchenEvents { snapshot: (s: KitchenSnapshot) => void; 'camera:frame': (m: CameraFrameMsg) => void; 'device:state': (d: DeviceStatus) => void }
export interface AdminEvents { snapshot: (s: AdminSnapshot) => void; 'device:state': (d: DeviceStatus) => void; 'outbox:status': (s: OutboxStatusMsg) => void }

export type Medium = 'electricity' | 'water' | 'gas';

export interface WindowTotalsMsg {
  /** epoch ms of the window's local start */
  from: number;
  electricityKwh: number;
  waterM3: number;
  gasM3: number;
  kgce: number;
  co2Kg: number;
}

export interface IndicatorMsg {
  ytd: number;
  projectedYear: number;
  target: number | null;
}

/** The energy panel's figures, pushed on `/energy` as `energy:summary` at most once a second. */
export interface EnergySummaryMsg {
  at: number;
  today: WindowTotalsMsg;
  month: WindowTotalsMsg;
  year: WindowTotalsMsg;
  indicators: { kgcePerM2: IndicatorMsg | null; kgcePerPerson: IndicatorMsg | null; waterM3PerPerson: IndicatorMsg | null };
  /** live power of the site meters, kW */
  sitePowerKw: number;
  meters: { id: string; name: string; medium: Medium; unit: string; site: boolean; todayAmount: number; powerKw: number | null }[];
  groups: { id: string; name: string; subItem: string | null; powerKw: number; todayKwh: number; todayWaterM3: number }[];
  anomalies: { meter: string; at: number; kind: string; detail: string }[];
}

/** GET /api/energy/series?period=15m|1d: site totals per interval. */
export interface EnergySeriesMsg {
  period: '15m' | '1d';
  points: { start: number; electricityKwh: number; waterM3: number; estimated: boolean }[];
}
