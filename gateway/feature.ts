// One shape for every feature of the gateway (issue 17): a name, the schema of its config
// section, the features it starts after, and start(ctx) → { routes?, ports?, stop }.
// service.ts orders the list by `after` and starts each with a context that carries the
// stores, the bus, the outbox's put, a logger, the clock and the typed ports the features
// before it provided — never another feature's module.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodType } from 'zod';
import type { ModelRegistry } from '../models/registry.ts';
import type { EventBus } from './bus/event-bus.ts';
import type { LoadedConfig } from './config/load.ts';
import type { LiveState } from './live.ts';
import type { Logger } from './log.ts';
import type { DiskGuard } from './ops/disk-guard.ts';
import type { Ports } from './ports.ts';
import type { Db } from './store/sqlite.ts';
import type { Stream } from './wire/streams.ts';

/** The outbox's durable put: resolves once the record is on disk, rejects when refused. */
export type PutFn = (stream: Stream, payload: unknown, key?: string) => Promise<unknown>;

export interface FeatureContext<C> {
  /** the feature's own config section, as its configSchema parsed it */
  config: C;
  /** the whole config, read-only: site, paths, devices (what no one feature owns) */
  loaded: LoadedConfig;
  db: Db;
  bus: EventBus;
  put: PutFn;
  logger: Logger;
  clock: () => number;
  live: LiveState;
  models: ModelRegistry;
  disk: DiskGuard;
  /** what the features started before this one provide; need() names the missing `after` */
  ports: PortBoard;
}

export interface StartedFeature {
  /** the feature's HTTP routes, one Fastify plugin */
  routes?: FastifyPluginAsync;
  /** what later features (and the server) may use of this one */
  ports?: Partial<Ports>;
  stop(): Promise<void> | void;
}

export interface Feature<C = unknown> {
  name: string;
  /** the config section the feature reads (`section` of the config file) */
  section: keyof LoadedConfig;
  configSchema: ZodType<C>;
  /** features whose ports this one needs: started before it */
  after?: string[];
  start(ctx: FeatureContext<C>): Promise<StartedFeature>;
}

/** The provider name of the ports the service itself offers (open to every feature). */
export const SERVICE = 'service';

/** Declares a feature with its config's type inferred from its schema. */
export const feature = <C>(f: Feature<C>): Feature<C> => f;

/**
 * The ports provided so far. A feature may take a port from the service or from a feature
 * it starts after (directly or through another); anything else is a start-up error, even
 * when the list's order happens to start the provider first.
 */
export class PortBoard {
  private readonly ports: Partial<Ports> = {};
  private readonly providers = new Map<keyof Ports, string>();
  private readonly before = new Map<string, Set<string>>();

  /** `features`: whose `after` says which providers each may use (the service's own ports are open to all) */
  constructor(features: Pick<Feature, 'name' | 'after'>[] = []) {
    const byName = new Map(features.map((f) => [f.name, f]));
    const closure = (name: string, seen = new Set<string>()): Set<string> => {
      for (const a of byName.get(name)?.after ?? []) {
        if (!seen.has(a)) {
          seen.add(a);
          closure(a, seen);
        }
      }
      return seen;
    };
    for (const f of features) this.before.set(f.name, closure(f.name));
  }

  provide(by: string, ports: Partial<Ports>): void {
    for (const key of Object.keys(ports) as (keyof Ports)[]) {
      const earlier = this.providers.get(key);
      if (earlier) throw new Error(`feature "${by}" provides port "${key}", which feature "${earlier}" already provides`);
      this.providers.set(key, by);
      (this.ports as Record<string, unknown>)[key] = ports[key];
    }
  }

  need<K extends keyof Ports>(key: K, by: string): Ports[K] {
    const port = this.ports[key];
    const provider = this.providers.get(key);
    if (port === undefined || provider === undefined) throw new Error(`feature "${by}" needs port "${key}", which no feature started before it provides: name the feature providing it in "${by}".after`);
    const allowed = this.before.get(by);
    if (provider !== SERVICE && allowed && !allowed.has(provider)) throw new Error(`feature "${by}" needs port "${key}" of feature "${provider}" but does not start after it: add "${provider}" to "${by}".after`);
    return port as Ports[K];
  }
}

/**
 * The features in start order: each after those named in its `after`, otherwise in list
 * order. A name in `after` that is not in the list, a duplicate name, or a cycle is an
 * error that names the features involved.
 */
export function orderFeatures<F extends Pick<Feature, 'name' | 'after'>>(features: F[]): F[] {
  const byName = new Map<string, F>();
  for (const f of features) {
    if (byName.has(f.name)) throw new Error(`two features are named "${f.name}"`);
    byName.set(f.name, f);
  }
  for (const f of features) {
    for (const a of f.after ?? []) {
      if (!byName.has(a)) throw new Error(`feature "${f.name}" starts after "${a}", which is not a feature (known: ${[...byName.keys()].join(', ')})`);
    }
  }
  const ordered: F[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (f: F, path: string[]) => {
    const s = state.get(f.name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(f.name)), f.name];
      throw new Error(`features start after each other in a cycle: ${cycle.join(' → ')}`);
    }
    state.set(f.name, 'visiting');
    for (const a of f.after ?? []) visit(byName.get(a)!, [...path, f.name]);
    state.set(f.name, 'done');
    ordered.push(f);
  };
  for (const f of features) visit(f, []);
  return ordered;
}
