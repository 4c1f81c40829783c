// Small, human-readable state kept in lowdb (JSON written atomically): this box's
// identity now; dish catalogue, stations and staff join it in later modules.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { JSONFilePreset } from 'lowdb/node';
import type { Low } from 'lowdb';

export const SETTINGS_FILE = 'settings.json';

export interface Settings {
  schema: 1;
  /** stable id of this box: the source of every record it sends upstream */
  boxId: string;
  firstStartedAt: number;
}

export async function openSettings(dataDir: string): Promise<Low<Settings>> {
  mkdirSync(dataDir, { recursive: true });
  const db = await JSONFilePreset<Settings>(path.join(dataDir, SETTINGS_FILE), {
    schema: 1,
    boxId: randomUUID(),
    firstStartedAt: Date.now(),
  });
  await db.write();
  return db;
}
