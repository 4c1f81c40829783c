// Device messages: what the drivers' adapters publish on the bus and the server
// forwards to the pages (meters, scales, cameras and their health).

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
  /** the frame as received, for the audit record */
  raw?: string;
  /** the tare the scale applied, when it says */
  tare?: number;
  /** who decided `stable`: the scale's own flag or the stability filter */
  stableBy?: 'scale' | 'filter';
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

/** A camera frame as it travels on the in-process bus (never sent to a page: the page gets CameraFrameMsg). */
export interface CameraFrame extends Omit<CameraFrameMsg, 'url'> {
  /** packed RGB, width × height × 3 bytes */
  rgb: Buffer;
}
