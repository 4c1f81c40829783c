// Which software this box runs: for the ops view, the support bundle and backups.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { OpsVersionsMsg } from '../wire/admin.ts';
import { schemaVersion, type Db } from '../store/sqlite.ts';
import { VERSION } from '../version.ts';

export type Versions = OpsVersionsMsg;

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

/** PRETTY_NAME from /etc/os-release, e.g. "Debian GNU/Linux 12 (bookworm)". */
function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m) return m[1]!;
  } catch {
    // not Linux, or a minimal image
  }
  return `${os.type()} ${os.release()}`;
}

export function versions(db: Db): Versions {
  return {
    canteenEdge: VERSION,
    node: process.versions.node,
    onnxruntime: packageVersion('onnxruntime-node'),
    sqlite: (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
    betterSqlite3: packageVersion('better-sqlite3'),
    schema: schemaVersion(db),
    os: { name: osName(), kernel: os.release(), arch: process.arch },
  };
}
