// What /api/kitchen/sensors answers and the kitchen board shows: cold rooms, disinfection
// units and today's kitchen-waste disposals. Times epoch ms; null when unknown.

export interface ColdRoomStatusMsg {
  id: string;
  name: string;
  kind: 'refrigerated' | 'frozen';
  minC: number | null;
  maxC: number;
  /** silent: no valid reading for silent_after_ms — the temperature is then null, never 0 */
  state: 'starting' | 'ok' | 'out-of-limits' | 'silent';
  temperatureC: number | null;
  humidityPct: number | null;
  doorOpen: boolean | null;
  doorOpenSince: number | null;
  lastReadingAt: number | null;
  /** plausible readings taken */
  readings: number;
  /** reads refused, per reason (crc, garbled, out-of-range, no-answer, power-on …) */
  refused: Record<string, number>;
  lastRefusal: string | null;
  /** the Modbus client's counters (requests, timeouts, crcErrors …) */
  bus: Record<string, number>;
}

export interface DisinfectionStatusMsg {
  id: string;
  name: string;
  kind: 'cabinet' | 'uv_lamp';
  running: boolean;
  runningSince: number | null;
  minCycleMinutes: number;
  due: string[];
  lastFullCycleEndedAt: number | null;
  lastSignalAt: number | null;
  signalError: string | null;
}

export interface DisinfectionCycleMsg {
  id: string;
  unit: string;
  startedAt: number;
  endedAt: number;
  minutes: number;
  full: boolean;
}

export interface WasteDisposalMsg {
  id: string;
  at: number;
  grams: number;
  fromScale: boolean;
  scale: string | null;
  carrier: string;
  company: string | null;
  recordedBy: string;
  note: string | null;
}

export interface KitchenSensorsMsg {
  coldRooms: ColdRoomStatusMsg[];
  disinfection: DisinfectionStatusMsg[];
  /** today's cycles (site day) */
  cycles: DisinfectionCycleMsg[];
  /** today's disposals (site day) */
  waste: WasteDisposalMsg[];
  wasteScale: string | null;
}
