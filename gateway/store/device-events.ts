// Records every device state change in SQLite.
import type { EventBus } from '../bus/event-bus.ts';
import type { Db } from './sqlite.ts';

export function recordDeviceEvents(db: Db, bus: EventBus): () => void {
  const insert = db.prepare('INSERT INTO device_events (at, device, kind, state, detail) VALUES (?, ?, ?, ?, ?)');
  return bus.on('device:state', (d) => insert.run(d.since, d.id, d.kind, d.state, d.lastError));
}

export interface DeviceEventRow {
  at: number;
  device: string;
  kind: string;
  state: string;
  detail: string | null;
}

export function recentDeviceEvents(db: Db, limit = 100): DeviceEventRow[] {
  return db.prepare('SELECT at, device, kind, state, detail FROM device_events ORDER BY id DESC LIMIT ?').all(limit) as DeviceEventRow[];
}
