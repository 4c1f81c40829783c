// The `/admin` namespace and the operations page (store-and-forward, ops).
import type { DeviceStatus } from './devices.ts';
import type { SiteInfo } from './site.ts';

/** Store-and-forward at a glance, pushed on `/admin` as `outbox:status` every few seconds. */
export interface OutboxStatusMsg {
  at: number;
  links: { uplink: string; state: 'online' | 'backing-off' | 'offline' | 'stalled'; since: number; lastError: string | null; retryAt: number | null; lastSendMs: number | null }[];
  /** records not yet acknowledged, per uplink and stream (counted on disk) */
  backlog: { uplink: string; stream: string; records: number }[];
  held: { stream: string; records: number; bytes: number }[];
  drops: { stream: string; reason: string; count: number }[];
  deadLetters: number;
  alarms: string[];
}

export interface AdminSnapshot { site: SiteInfo; devices: DeviceStatus[]; startedAt: number; outbox: OutboxStatusMsg | null }

// ── Operations (gateway/ops, issue 8): GET /api/admin/ops ────────────────────

export interface OpsDiskMsg {
  dataDir: string;
  /** bytes of the files under the data directory (apparent sizes) */
  usedBytes: number;
  files: number;
  /** the filesystem holding the data directory (statfs) */
  fs: { totalBytes: number; freeBytes: number; availableBytes: number; usedPercent: number };
}
export interface OpsVersionsMsg {
  canteenEdge: string;
  node: string;
  onnxruntime: string | null;
  sqlite: string;
  betterSqlite3: string | null;
  /** the database's schema version (newest migration applied) */
  schema: number;
  os: { name: string; kernel: string; arch: string };
}
/** One of the last warnings or errors logged (secrets already redacted). */
export interface OpsLogLineMsg { time: string; level: 'warn' | 'error' | 'fatal'; msg: string; module: string | null; detail: string | null }
export interface OpsMsg {
  at: number;
  boxId: string;
  site: SiteInfo;
  startedAt: number;
  devices: DeviceStatus[];
  /** detail: for the installer's CLI and logs (may name files); the page shows the feature, state and what to do */
  models: { name: string; family: string; feature: string | null; state: string; detail: string | null; loaded: boolean }[];
  outbox: OutboxStatusMsg | null;
  /** newest first */
  lastErrors: OpsLogLineMsg[];
  disk: OpsDiskMsg;
  versions: OpsVersionsMsg;
}

export interface AdminEvents { snapshot: (s: AdminSnapshot) => void; 'device:state': (d: DeviceStatus) => void; 'outbox:status': (s: OutboxStatusMsg) => void }
