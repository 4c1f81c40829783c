// docs/config.md, generated from the schema so the reference can never drift.
// `npm run docs:config` rewrites it; test/config-docs.test.ts fails when stale.
import { z } from 'zod';
import { configSchema } from './schema.ts';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  pattern?: string;
}

interface Row {
  key: string;
  type: string;
  def: string;
  description: string;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  if (s.anyOf ?? s.oneOf) return (s.anyOf ?? s.oneOf)!.map(typeOf).join(' or ');
  if (s.type === 'object' && s.properties) return `{${Object.keys(s.properties).join(', ')}}`;
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.maximum === Number.MAX_SAFE_INTEGER) s = { ...s, maximum: undefined };
  const range =
    s.minimum !== undefined || s.maximum !== undefined || s.exclusiveMinimum !== undefined
      ? ` (${s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : s.minimum !== undefined ? `≥ ${s.minimum}` : ''}${s.maximum !== undefined ? `${s.minimum !== undefined || s.exclusiveMinimum !== undefined ? ', ' : ''}≤ ${s.maximum}` : ''})`
      : '';
  return `${Array.isArray(s.type) ? s.type.join(' or ') : (s.type ?? 'any')}${range}`;
}

function walk(s: JsonSchema, key: string, required: boolean, rows: Row[]): void {
  if (key) {
    const def = s.default !== undefined ? `\`${JSON.stringify(s.default)}\`` : required ? '**required**' : '—';
    const leafObject = s.type === 'object' && s.properties;
    rows.push({ key: `\`${key}\``, type: leafObject ? 'section' : typeOf(s), def: leafObject && s.default !== undefined ? '' : def, description: s.description ?? '' });
  }
  if (s.type === 'object' && s.properties) {
    for (const [k, child] of Object.entries(s.properties)) walk(child, key ? `${key}.${k}` : k, s.required?.includes(k) ?? false, rows);
  }
  if (s.type === 'array' && s.items?.type === 'object' && s.items.properties) {
    for (const [k, child] of Object.entries(s.items.properties)) walk(child, `${key}[].${k}`, s.items.required?.includes(k) ?? false, rows);
  }
  // A mapping that is one of several told apart by a constant key (a kitchen rule's `when` by `is`): each variant's keys.
  for (const v of s.anyOf ?? s.oneOf ?? []) {
    const tagged = Object.entries(v.properties ?? {}).find(([, p]) => p.const !== undefined);
    if (v.type !== 'object' || !tagged) continue;
    const [tagKey, tag] = tagged;
    for (const [k, child] of Object.entries(v.properties!)) walk(child, `${key}[${tagKey}=${String(tag.const)}].${k}`, v.required?.includes(k) ?? false, rows);
  }
  // A list of variants told apart by `type` (buses, uplinks): each variant's keys.
  const variants = s.type === 'array' ? (s.items?.anyOf ?? s.items?.oneOf) : undefined;
  for (const v of variants ?? []) {
    const tag = v.properties?.type?.const;
    if (v.type !== 'object' || !v.properties || tag === undefined) continue;
    for (const [k, child] of Object.entries(v.properties)) {
      if (k !== 'type') walk(child, `${key}[type=${String(tag)}].${k}`, v.required?.includes(k) ?? false, rows);
    }
  }
}

export function configReference(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows: Row[] = [];
  walk(schema, '', true, rows);
  const esc = (t: string) => t.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '# Configuration reference',
    '',
    '<!-- generated from gateway/config/schema.ts by `npm run docs:config`; do not edit by hand -->',
    '',
    'One YAML file: `config/gateway.yaml` by default, or `--config FILE`, or the `CANTEEN_EDGE_CONFIG` environment variable.',
    'Unknown keys are errors. `canteen-edge config check` validates a file and names every wrong key, its value and what was expected.',
    'Relative paths resolve against the directory of the config file.',
    '',
    'Environment overrides: `CANTEEN_EDGE_PORT` (server.port), `CANTEEN_EDGE_DATA_DIR` (paths.data_dir), `CANTEEN_EDGE_MODELS_DIR` (paths.models_dir).',
    'Secrets (marked "or {file}") may be given inline or as `{ file: PATH }`; the file is read at start and never logged.',
    '',
    '| key | type | default | description |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.key} | ${esc(r.type)} | ${r.def} | ${esc(r.description)} |`),
    '',
  ].join('\n');
}
