// Reading the config file: YAML → schema → environment overrides → paths and
// secrets resolved. Every problem becomes a ConfigIssue naming the key, the bad
// value and what was expected; nothing starts while there is one.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { meterProtocol, shippedProfiles, validateProfile, type AnyProfile } from '../../drivers/meter-protocols.ts';
import { resolveCameraPaths } from '../../drivers/camera/config.ts';
import { canteenDeviceIssues } from '../canteen/config.ts';
import { isApprovableProtocol } from '../../drivers/scale/protocols.ts';
import { kitchenConfigIssues } from '../kitchen/config.ts';
import { kitchenSensorsIssues } from '../kitchen/sensors/config.ts';
import { foodSafetyIssues } from '../kitchen/records/config.ts';
import { uplinkEntryOf, type LoadedUplink } from '../uplink/registry.ts';
import { configSchema, type Config, type Secret } from './schema.ts';
import { describeIssue, didYouMean, type ConfigIssue } from './issues.ts';
import { salvage, underDropped } from './salvage.ts';
import { deriveSimulatorPorts } from './sim-ports.ts';

export type { ConfigIssue } from './issues.ts';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`${file}: ${issues.map((i) => `${i.path || '(top level)'}: ${i.message}`).join('; ')}`);
  }
}

/** The config as the gateway uses it: paths absolute, secrets read. */
type Resolved<T, K extends keyof T> = Omit<T, K> & { [P in K]?: string };
/** Each uplink with its secrets read (per type, so `type` still tells them apart). */
export type { LoadedUplink };

export type LoadedConfig = Omit<Config, 'server' | 'paths' | 'uplinks' | 'profiles'> & {
  /** shipped and site meter profiles, by name */
  profiles: Map<string, AnyProfile>;
  server: Resolved<Config['server'], 'metrics_token'>;
  uplinks: LoadedUplink[];
  paths: { data_dir: string; models_dir: string };
  /** absolute path of the file it came from */
  file: string;
};

export const DEFAULT_CONFIG_FILE = 'config/gateway.yaml';

export function configFileFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.CANTEEN_EDGE_CONFIG ?? DEFAULT_CONFIG_FILE);
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const raw = readYaml(file);
  const parsed = configSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((i) => describeIssue(configSchema, i as z.core.$ZodIssue));
    // every mistake in one pass: the checks below also run on what parses without the refused values
    const rest = salvage(configSchema, raw, parsed.error.issues);
    if (rest) issues.push(...salvagedChecks(rest.config).filter((i) => !underDropped(i.path, rest.dropped)));
    throw new ConfigError(file, issues);
  }
  const config = parsed.data;
  const { profiles, issues } = crossChecks(config);
  const dir = path.dirname(file);

  const envPort = env.CANTEEN_EDGE_PORT;
  if (envPort !== undefined) {
    const n = Number(envPort);
    if (!/^\d+$/.test(envPort) || n > 65535) {
      issues.push({ path: 'CANTEEN_EDGE_PORT', message: `got ${JSON.stringify(envPort)}; expected an integer port 0-65535` });
    } else {
      config.server.port = n;
      deriveSimulatorPorts(config, n);
    }
  }
  const dataDir = env.CANTEEN_EDGE_DATA_DIR
    ? path.resolve(env.CANTEEN_EDGE_DATA_DIR)
    : path.resolve(dir, config.paths.data_dir);
  const modelsDir = env.CANTEEN_EDGE_MODELS_DIR
    ? path.resolve(env.CANTEEN_EDGE_MODELS_DIR)
    : config.paths.models_dir
      ? path.resolve(dir, config.paths.models_dir)
      : path.join(dataDir, 'models');

  const metricsToken = readSecret('server.metrics_token', config.server.metrics_token, dir, issues);
  const uplinks = config.uplinks.map((u, i): LoadedUplink => {
    const at = `uplinks[${i}]`;
    const entry = uplinkEntryOf(u.type);
    const loaded: Record<string, unknown> = { ...u };
    for (const key of entry.secretKeys) loaded[key] = readSecret(`${at}.${key}`, loaded[key] as Secret | undefined, dir, issues);
    for (const key of entry.pathKeys ?? []) if (typeof loaded[key] === 'string') loaded[key] = path.resolve(dir, loaded[key]);
    return loaded as LoadedUplink;
  });
  config.devices.cameras = config.devices.cameras.map((c) => resolveCameraPaths(c, dir));

  if (issues.length) throw new ConfigError(file, issues);
  return {
    ...config,
    server: { ...config.server, metrics_token: metricsToken },
    uplinks,
    profiles,
    paths: { data_dir: dataDir, models_dir: modelsDir },
    file,
  };
}

/** The checks that need the parsed config: ids, profiles, references between sections. */
function crossChecks(config: Config): { profiles: Map<string, AnyProfile>; issues: ConfigIssue[] } {
  const { profiles, issues: profileIssues } = meterProfiles(config);
  const issues: ConfigIssue[] = [
    ...duplicateIds(config),
    ...profileIssues,
    ...meterChecks(config, profiles),
    ...unknownMeterRefs(config),
    ...duplicateUplinks(config),
    ...canteenDeviceIssues(config.canteen, { scales: config.devices.scales.map((s) => ({ ...s, approvable: isApprovableProtocol(s.protocol) })), cameras: config.devices.cameras }),
    ...kitchenConfigIssues(config.kitchen, config.devices),
    ...kitchenSensorsIssues(config.kitchen_sensors, config.devices),
    ...foodSafetyIssues(config.food_safety, config.canteen),
    ...demoIssues(config),
  ];
  return { profiles, issues };
}

/** crossChecks on a salvaged config: one that trips them up only loses the extra findings. */
function salvagedChecks(config: Config): ConfigIssue[] {
  try {
    return crossChecks(config).issues;
  } catch {
    return [];
  }
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read config file: ${(err as NodeJS.ErrnoException).code ?? err}` }]);
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` })),
    );
  }
  return doc.toJS() ?? {};
}

function readSecret(key: string, value: Secret | undefined, dir: string, issues: ConfigIssue[]): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  const file = path.resolve(dir, value.file);
  try {
    const text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    if (!text) issues.push({ path: `${key}.file`, message: `secret file ${file} is empty; expected the secret` });
    return text;
  } catch (err) {
    issues.push({
      path: `${key}.file`,
      message: `cannot read secret file ${file} (${(err as NodeJS.ErrnoException).code}); expected a readable file`,
    });
    return undefined;
  }
}

function duplicateIds(config: Config): ConfigIssue[] {
  const seen = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  const groups = ['meters', 'scales', 'cameras'] as const;
  config.buses.forEach((b, i) => {
    const at = `buses[${i}].id`;
    const first = seen.get(`bus:${b.id}`);
    if (first) issues.push({ path: at, message: `got "${b.id}", already used at ${first}; expected a unique bus id` });
    else seen.set(`bus:${b.id}`, at);
  });
  for (const group of groups) {
    config.devices[group].forEach((d, i) => {
      const at = `devices.${group}[${i}].id`;
      const first = seen.get(d.id);
      if (first) issues.push({ path: at, message: `got "${d.id}", already used at ${first}; expected a unique device id` });
      else seen.set(d.id, at);
    });
  }
  return issues;
}

/** The shipped profiles plus the site's own from `profiles:`, each checked. */
function meterProfiles(config: Config): { profiles: Map<string, AnyProfile>; issues: ConfigIssue[] } {
  const profiles = shippedProfiles();
  const issues: ConfigIssue[] = [];
  config.profiles.forEach((raw, i) => {
    const checked = validateProfile(raw);
    if (!checked.ok) {
      issues.push(...checked.errors.map((e) => ({ path: `profiles[${i}].${e.path}`, message: e.message })));
    } else if (profiles.has(checked.profile.name)) {
      issues.push({ path: `profiles[${i}].name`, message: `got "${checked.profile.name}", already the name of a shipped profile; expected a new name` });
    } else profiles.set(checked.profile.name, checked.profile);
  });
  return { profiles, issues };
}

/** Each meter: a known profile, one way to reach it that suits its protocol, a real counter point. */
function meterChecks(config: Config, profiles: Map<string, AnyProfile>): ConfigIssue[] {
  const known = [...profiles.keys()];
  const buses = config.buses.map((b) => b.id);
  return config.devices.meters.flatMap((m, i): ConfigIssue[] => {
    const at = `devices.meters[${i}]`;
    const profile = profiles.get(m.profile);
    if (!profile) return [{ path: `${at}.profile`, message: `got "${m.profile}"; expected one of ${known.map((k) => `"${k}"`).join(', ')}${didYouMean(m.profile, known)}` }];
    const out: ConfigIssue[] = [];
    if (!m.transport === !m.bus) {
      out.push({ path: at, message: `${m.transport ? 'both transport and bus given' : 'neither transport nor bus given'}; expected one of them` });
    }
    if (m.bus && !buses.includes(m.bus)) {
      out.push({ path: `${at}.bus`, message: `got "${m.bus}"; expected the id of a line in buses: (${buses.join(', ') || 'none configured'})` });
    }
    const protocol = meterProtocol(profile.protocol);
    if (m.transport && !protocol.transports.includes('tcp')) out.push({ path: `${at}.transport`, message: `profile ${m.profile} speaks ${protocol.title}, which needs an RS-485 line; expected bus: instead` });
    if (protocol.address && !m.address) out.push({ path: `${at}.address`, message: `missing; expected the ${protocol.address.expected} for profile ${m.profile}` });
    if (protocol.address && m.address && !protocol.address.pattern.test(m.address)) out.push({ path: `${at}.address`, message: `got "${m.address}"; expected the ${protocol.address.expected} for profile ${m.profile}, as printed on the meter` });
    if (m.ratios && !('ratios' in profile && profile.ratios)) {
      out.push({ path: `${at}.ratios`, message: `profile ${m.profile} reports primary values (it has no ratio registers); expected no ratios, or a profile with \`ratios\` and \`secondary\` points` });
    }
    const counters = profile.points.filter((p) => p.kind === 'counter').map((p) => p.name);
    if (m.counter && !counters.includes(m.counter)) {
      out.push({ path: `${at}.counter`, message: `got "${m.counter}"; expected a counter point of profile ${m.profile}: ${counters.join(', ') || 'it has none'}` });
    }
    return out;
  });
}

function unknownMeterRefs(config: Config): ConfigIssue[] {
  const meters = config.devices.meters.map((m) => m.id);
  const check = (ids: string[], at: string) =>
    ids.flatMap((id, i) => (meters.includes(id) ? [] : [{ path: `${at}[${i}]`, message: `got "${id}"; expected the id of a meter in devices.meters (${meters.join(', ') || 'none configured'})` }]));
  return [
    ...check(config.energy.site_meters ?? [], 'energy.site_meters'),
    ...config.energy.groups.flatMap((g, i) => check(g.meters, `energy.groups[${i}].meters`)),
  ];
}

/** Demo cards and dishes only next to the simulated scale: never on a box weighing real plates. */
function demoIssues(config: Config): ConfigIssue[] {
  if (!config.simulators.demo.enabled || config.simulators.scale.enabled) return [];
  return [{ path: 'simulators.demo.enabled', message: 'got true while simulators.scale.enabled is false; expected false (demo meal cards and dishes only run with the simulated scale)' }];
}

function duplicateUplinks(config: Config): ConfigIssue[] {
  const seen = new Set<string>();
  return config.uplinks.flatMap((u, i) => {
    if (!seen.has(u.id)) return (seen.add(u.id), []);
    return [{ path: `uplinks[${i}].id`, message: `got "${u.id}", already used; expected a unique uplink id` }];
  });
}
