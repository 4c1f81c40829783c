// Zones drawn at /admin on a camera's snapshot. They are site data, kept in SQLite
// (migration 011) next to the audit log they are recorded in, not in the installer's
// config: a zone drawn here replaces the config's zone of the same camera and id, a
// config zone taken away here is hidden (the config stays the default, restored by
// drawing it again or by putting it back), a zone only drawn here is added. Points are
// normalised (0–1 of the frame) so that a camera resolution change keeps them in place.
// Saving checks that every rule still finds its zones, writes one audit line per zone
// changed, and hands the camera's zones to the running rules at once.
import { AuthStore } from '../auth/store.ts';
import type { Db } from '../store/sqlite.ts';
import type { KitchenCameraConfig, ZoneConfig } from './config.ts';

export const MAX_ZONE_POINTS = 32;
export const ZONE_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';

type Point = [number, number];
type Anchor = ZoneConfig['anchor'];

/** A zone as the editor sends it: normalised points. */
export interface ZoneInput {
  id: string;
  name?: string;
  points: Point[];
  anchor?: Anchor;
}

/** config: the installer's default; site: drawn at /admin only; override: drawn at /admin over the config's zone of that id. */
export type ZoneSource = 'config' | 'site' | 'override';

export interface ZoneView {
  id: string;
  name: string | null;
  /** normalised 0–1 */
  points: Point[];
  anchor: Anchor;
  source: ZoneSource;
  updatedAt: number | null;
  updatedBy: string | null;
}

/** GET /api/kitchen/cameras/:id/zones */
export interface CameraZonesMsg {
  camera: string;
  /** the camera's configured frame size (what pixel zones in the config are measured in) */
  width: number;
  height: number;
  zones: ZoneView[];
  /** config zones taken away at /admin (hidden; put one back to restore it) */
  removed: ZoneView[];
  /** every config zone as the config has it (normalised): what "back to the default" restores */
  defaults: ZoneView[];
  /** the camera's rules and the zones each needs */
  rules: { id: string; zones: string[] }[];
}

interface ZoneRow {
  camera: string;
  zone: string;
  name: string | null;
  points: string | null;
  anchor: Anchor;
  removed: number;
  updated_at: number;
  updated_by: string;
}

export class ZoneError extends Error {
  constructor(
    readonly statusCode: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/** A config zone's polygon, normalised. */
export function normalisedPoints(z: ZoneConfig, width: number, height: number): Point[] {
  return z.units === 'normalised' ? z.points.map(([x, y]) => [x, y]) : z.points.map(([x, y]) => [round(x / width), round(y / height)]);
}

const samePoints = (a: Point[], b: Point[]) => a.length === b.length && a.every(([x, y], i) => Math.abs(x - b[i]![0]) < 1e-6 && Math.abs(y - b[i]![1]) < 1e-6);

/** Twice the signed area (shoelace); 0 for points on one line. */
function doubleArea(points: Point[]): number {
  let s = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) s += points[j]![0] * points[i]![1] - points[i]![0] * points[j]![1];
  return s;
}

function view(z: { id: string; name?: string | null; points: Point[]; anchor: Anchor }, source: ZoneSource, row?: ZoneRow): ZoneView {
  return { id: z.id, name: z.name || null, points: z.points, anchor: z.anchor, source, updatedAt: row?.updated_at ?? null, updatedBy: row?.updated_by ?? null };
}

/**
 * The zones a camera has: config zones, replaced or hidden by the rows saved at /admin,
 * plus the zones only drawn there. A config zone a rule needs is never hidden (the rule
 * came after the zone was taken away): it comes back, and `revived` names it.
 */
export function effectiveZones(
  configZones: ZoneConfig[],
  rows: ZoneRow[],
  size: { width: number; height: number },
  needed: ReadonlySet<string> = new Set(),
): { zones: ZoneView[]; removed: ZoneView[]; revived: string[] } {
  const byId = new Map(rows.map((r) => [r.zone, r]));
  const zones: ZoneView[] = [];
  const removed: ZoneView[] = [];
  const revived: string[] = [];
  for (const c of configZones) {
    const base = { id: c.id, name: c.name, points: normalisedPoints(c, size.width, size.height), anchor: c.anchor };
    const row = byId.get(c.id);
    byId.delete(c.id);
    if (!row) zones.push(view(base, 'config'));
    else if (!row.removed) zones.push(view(fromRow(row), 'override', row));
    else if (needed.has(c.id)) {
      zones.push(view(base, 'config'));
      revived.push(c.id);
    } else removed.push(view(base, 'config', row));
  }
  for (const row of byId.values()) if (!row.removed) zones.push(view(fromRow(row), 'site', row));
  return { zones, removed, revived };
}

function fromRow(r: ZoneRow): { id: string; name: string | null; points: Point[]; anchor: Anchor } {
  return { id: r.zone, name: r.name, points: JSON.parse(r.points ?? '[]') as Point[], anchor: r.anchor };
}

/** What the rules see: normalised zone configs. */
export const asZoneConfigs = (zones: ZoneView[]): ZoneConfig[] =>
  zones.map((z) => ({ id: z.id, ...(z.name ? { name: z.name } : {}), units: 'normalised', points: z.points, anchor: z.anchor }));

/** Why the camera cannot have exactly these zones (empty: it can). */
export function zoneProblems(zones: ZoneInput[], rules: KitchenCameraConfig['rules']): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  zones.forEach((z, i) => {
    if (seen.has(z.id)) problems.push(`zones[${i}]: zone "${z.id}" is there twice; expected unique zone ids per camera`);
    seen.add(z.id);
    if (Math.abs(doubleArea(z.points)) < 1e-9) problems.push(`zones[${i}]: zone "${z.id}" has no area (its points are on one line); expected a polygon`);
  });
  for (const r of rules) {
    for (const id of r.zones) {
      if (!seen.has(id)) problems.push(`zone "${id}" is used by rule "${r.id}": it cannot be deleted (change the rule in the config first)`);
    }
  }
  return problems;
}

/** The zones of every kitchen camera, saved at /admin over the config's. */
export class KitchenZones {
  private readonly audit: AuthStore;

  private readonly db: Db;
  private readonly cameras: ReadonlyMap<string, { width: number; height: number }>;
  private readonly configs: ReadonlyMap<string, KitchenCameraConfig>;
  private readonly apply: (camera: string, zones: ZoneConfig[]) => void;
  private readonly now: () => number;

  constructor(opts: {
    db: Db;
    /** devices.cameras: the cameras zones may be drawn on, and their frame size */
    cameras: ReadonlyMap<string, { width: number; height: number }>;
    /** kitchen.cameras: each camera's config zones and rules */
    configs: ReadonlyMap<string, KitchenCameraConfig>;
    /** the camera's zones changed: give them to its running rules */
    apply: (camera: string, zones: ZoneConfig[]) => void;
    now?: () => number;
  }) {
    const { db, now = Date.now } = opts;
    this.db = db;
    this.cameras = opts.cameras;
    this.configs = opts.configs;
    this.apply = opts.apply;
    this.now = now;
    this.audit = new AuthStore(db, now);
  }

  private rows(camera: string): ZoneRow[] {
    return this.db.prepare('SELECT camera, zone, name, points, anchor, removed, updated_at, updated_by FROM kitchen_zones WHERE camera = ? ORDER BY zone').all(camera) as ZoneRow[];
  }

  private size(camera: string): { width: number; height: number } {
    const size = this.cameras.get(camera);
    if (!size) throw new ZoneError(404, `unknown camera ${camera}; expected one of devices.cameras: ${[...this.cameras.keys()].join(', ') || '(none)'}`);
    return size;
  }

  private needed(camera: string): Set<string> {
    return new Set((this.configs.get(camera)?.rules ?? []).flatMap((r) => r.zones));
  }

  /** The camera's zones with where each came from. */
  view(camera: string): CameraZonesMsg {
    const size = this.size(camera);
    const cfg = this.configs.get(camera);
    const { zones, removed } = effectiveZones(cfg?.zones ?? [], this.rows(camera), size, this.needed(camera));
    const defaults = (cfg?.zones ?? []).map((z) => view({ id: z.id, name: z.name, points: normalisedPoints(z, size.width, size.height), anchor: z.anchor }, 'config'));
    return { camera, ...size, zones, removed, defaults, rules: (cfg?.rules ?? []).map((r) => ({ id: r.id, zones: r.zones })) };
  }

  /** The zones the camera's rules start with; `revived` are config zones hidden at /admin that a rule needs again. */
  effective(camera: string): { zones: ZoneConfig[]; revived: string[] } {
    const { zones, revived } = effectiveZones(this.configs.get(camera)?.zones ?? [], this.rows(camera), this.size(camera), this.needed(camera));
    return { zones: asZoneConfigs(zones), revived };
  }

  /**
   * Makes `zones` the camera's zones: equal to the config's → no row (the default);
   * different → an override; not in the config → a site zone; a config zone left out
   * → hidden. Refused (400, every reason) when a rule would lose a zone.
   */
  save(camera: string, zones: ZoneInput[], who: { actor: string; role?: string | null; client?: string | null }): CameraZonesMsg {
    const size = this.size(camera);
    const cfg = this.configs.get(camera);
    const problems = zoneProblems(zones, cfg?.rules ?? []);
    if (problems.length) throw new ZoneError(400, `zones of camera ${camera} not saved: ${problems.join('; ')}`);
    const defaults = new Map((cfg?.zones ?? []).map((z) => [z.id, { name: z.name ?? null, points: normalisedPoints(z, size.width, size.height), anchor: z.anchor }]));
    const before = new Map(this.view(camera).zones.map((z) => [z.id, z]));
    const at = this.now();
    const changes: { zone: string; change: 'drawn' | 'redrawn' | 'deleted' | 'hidden' | 'default' }[] = [];
    const sameAs = (z: ZoneInput, o: { name: string | null; points: Point[]; anchor: Anchor }) =>
      (z.name || null) === o.name && (z.anchor ?? 'centre') === o.anchor && samePoints(z.points, o.points);

    const rows: Omit<ZoneRow, 'camera'>[] = [];
    for (const z of zones) {
      const def = defaults.get(z.id);
      const prev = before.get(z.id);
      if (def && sameAs(z, def)) {
        if (prev?.source !== 'config') changes.push({ zone: z.id, change: 'default' });
        continue;
      }
      // sent back as it was: it keeps who drew it and when
      const unchanged = prev?.updatedAt != null && sameAs(z, prev);
      rows.push({
        zone: z.id, name: z.name || null, points: JSON.stringify(z.points), anchor: z.anchor ?? 'centre', removed: 0,
        updated_at: unchanged ? prev.updatedAt! : at, updated_by: unchanged ? prev.updatedBy! : who.actor,
      });
      if (!prev) changes.push({ zone: z.id, change: 'drawn' });
      else if (!unchanged) changes.push({ zone: z.id, change: 'redrawn' });
    }
    const kept = new Set(zones.map((z) => z.id));
    const hiddenBefore = new Map(this.rows(camera).filter((r) => r.removed).map((r) => [r.zone, r]));
    for (const id of defaults.keys()) {
      if (kept.has(id)) continue;
      const was = hiddenBefore.get(id);
      rows.push({ zone: id, name: null, points: null, anchor: 'centre', removed: 1, updated_at: was?.updated_at ?? at, updated_by: was?.updated_by ?? who.actor });
      if (!was) changes.push({ zone: id, change: 'hidden' });
    }
    for (const id of before.keys()) if (!kept.has(id) && !defaults.has(id)) changes.push({ zone: id, change: 'deleted' });

    this.db.transaction(() => {
      this.db.prepare('DELETE FROM kitchen_zones WHERE camera = ?').run(camera);
      const insert = this.db.prepare('INSERT INTO kitchen_zones (camera, zone, name, points, anchor, removed, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (const r of rows) insert.run(camera, r.zone, r.name, r.points, r.anchor, r.removed, r.updated_at, r.updated_by);
      for (const c of changes) {
        this.audit.audit({ actor: who.actor, role: who.role ?? null, action: 'kitchen zone', detail: { camera, zone: c.zone, change: c.change }, result: 'ok', client: who.client ?? null });
      }
    }).immediate();
    const saved = this.view(camera);
    this.apply(camera, asZoneConfigs(saved.zones));
    return saved;
  }
}
