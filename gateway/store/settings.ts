// Small, human-readable state kept in lowdb (JSON written atomically): this box's
// identity now; dish catalogue, stations and staff join it in later modules.
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';

export const SETTINGS_FILE = 'settings.json';

export interface Settings {
  schema: 1;
  /** stable id of this box: the source of every record it sends upstream */
  boxId: string;
  firstStartedAt: number;
}

export async function openSettings(dataDir: string): Promise<Low<Settings>> {
  mkdirSync(dataDir, { recursive: true });
  // Not lowdb's JSONFilePreset: it silently keeps data in memory when NODE_ENV=test.
  const db = new Low<Settings>(new JSONFile(path.join(dataDir, SETTINGS_FILE)), {
    schema: 1,
    boxId: randomUUID(),
    firstStartedAt: Date.now(),
  });
  await db.read();
  await db.write();
  return db;
}
