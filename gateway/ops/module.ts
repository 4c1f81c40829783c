// The operations view's data and the support bundle, for admins:
//   GET /api/admin/ops             devices, models, outbox backlog, last errors, disk, versions
//   GET /api/admin/support-bundle  a .tar.gz with the config (secrets redacted), recent
//                                  warnings/errors, /metrics, /readyz, versions and ops JSON
// Every bundle download goes to the audit log (who, when, how big).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { Auth } from '../auth/auth.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { DeviceTracker } from '../devices/tracker.ts';
import type { LogRecord, LogRing } from '../log.ts';
import type { ModelStatus } from '../../models/index.ts';
import type { OpsLogLineMsg, OpsMsg, OutboxStatusMsg } from '../wire/admin.ts';
import type { SiteInfo } from '../wire/site.ts';
import type { Db } from '../store/sqlite.ts';
import { diskUse } from './disk.ts';
import { personalValues, redactConfig, scrub, scrubbable, secretFiles, secretValues } from './redact.ts';
import { TarWriter } from './tar.ts';
import { versions } from './versions.ts';

export interface OpsDeps {
  db: Db;
  boxId: string;
  config: LoadedConfig;
  site: SiteInfo;
  startedAt: number;
  tracker: DeviceTracker;
  models: () => Promise<ModelStatus[]>;
  outbox: () => OutboxStatusMsg | null;
  logs: LogRing | undefined;
  auth: Auth | null;
  /** face pay's status and the site's personal-information impact assessment (PIPL art. 55-56), for the bundle */
  impactAssessment?: () => unknown;
}

/** How many of the last warnings/errors the ops view shows (the bundle has them all). */
const OPS_LOG_LINES = 50;
const DETAIL_CHARS = 500;

export class OpsModule {
  constructor(private readonly deps: OpsDeps) {}

  async report(): Promise<OpsMsg> {
    const d = this.deps;
    const models = await d.models();
    return {
      at: Date.now(),
      boxId: d.boxId,
      site: d.site,
      startedAt: d.startedAt,
      devices: d.tracker.list(),
      models: models.map((m) => ({ name: m.name, family: m.family, feature: m.feature, state: m.state, detail: m.detail || null, loaded: m.loaded })),
      outbox: d.outbox(),
      lastErrors: (d.logs?.recent(OPS_LOG_LINES) ?? []).map(logLine),
      disk: await diskUse(d.config.paths.data_dir),
      versions: versions(d.db),
    };
  }

  /** The bundle's files, every text scrubbed of the running config's secret values. */
  async bundleFiles(fetchText: (url: string) => Promise<string>): Promise<{ name: string; body: string }[]> {
    const d = this.deps;
    const ops = await this.report();
    const fileConfig = readConfigFile(d.config.file);
    const secrets = new Set([
      ...secretValues(d.config),
      ...secretValues(fileConfig.parsed),
      ...fileSecrets(d.config.file, [...secretFiles(d.config), ...secretFiles(fileConfig.parsed)]),
      ...personalValues(d.config),
      ...personalValues(fileConfig.parsed),
      ...ledgerPersonalValues(d.db),
    ]);
    const files = [
      { name: 'config/running.json', body: json(redactConfig({ ...d.config, profiles: [...d.config.profiles.keys()] })) },
      { name: 'config/file.yaml', body: fileConfig.error ? `# ${d.config.file}: ${fileConfig.error}\n` : `# ${d.config.file} (secrets redacted)\n${toYaml(redactConfig(fileConfig.parsed))}` },
      { name: 'logs/recent-warnings-errors.jsonl', body: (d.logs?.recent() ?? []).reverse().map((r) => JSON.stringify(r)).join('\n') + '\n' },
      { name: 'metrics.txt', body: await fetchText('/metrics') },
      { name: 'readyz.json', body: await fetchText('/readyz') },
      { name: 'versions.json', body: json(ops.versions) },
      { name: 'ops.json', body: json(ops) },
      ...(d.impactAssessment ? [{ name: 'biometrics/impact-assessment.json', body: json(d.impactAssessment()) }] : []),
    ];
    const scrubbed = files.map((f) => ({ name: `canteen-edge-support/${f.name}`, body: scrub(f.body, secrets) }));
    const manifest = { kind: 'canteen-edge support bundle', createdAt: new Date().toISOString(), boxId: d.boxId, version: ops.versions.canteenEdge, files: scrubbed.map((f) => f.name) };
    return [{ name: 'canteen-edge-support/manifest.json', body: json(manifest) }, ...scrubbed];
  }

  readonly routes: FastifyPluginAsync = async (app) => {
    app.get('/api/admin/ops', { config: { access: ['admin'] } }, async () => this.report());

    app.get('/api/admin/support-bundle', { config: { access: ['admin'] } }, async (req, reply) => {
      // /metrics and /readyz exactly as a client sees them, asked for with the admin's own credentials
      const fetchText = async (url: string) => {
        const res = await app.inject({ method: 'GET', url, headers: forwarded(req) });
        return res.body;
      };
      const body = await tarGz(await this.bundleFiles(fetchText));
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      this.deps.auth?.audit({ actor: req.principal?.name ?? 'anonymous', role: req.principal?.role ?? null, action: 'support bundle', detail: { bytes: body.length }, result: 'ok', client: req.ip });
      return reply
        .type('application/gzip')
        .header('content-disposition', `attachment; filename="canteen-edge-support-${this.deps.boxId.slice(0, 8)}-${stamp}.tar.gz"`)
        .send(body);
    });
  };
}

function forwarded(req: FastifyRequest): Record<string, string> {
  const h: Record<string, string> = {};
  if (req.headers.cookie) h.cookie = req.headers.cookie;
  if (req.headers.authorization) h.authorization = req.headers.authorization;
  return h;
}

function logLine(r: LogRecord): OpsLogLineMsg {
  const { time, level, msg, module, ...rest } = r;
  const err = rest.err as { message?: string; type?: string } | undefined;
  if (err) rest.err = err.message ?? err.type;
  const detail = Object.keys(rest).length ? JSON.stringify(rest).slice(0, DETAIL_CHARS) : null;
  return { time, level, msg, module: typeof module === 'string' ? module : null, detail };
}

function readConfigFile(file: string): { parsed?: unknown; error?: string } {
  try {
    return { parsed: parseYaml(readFileSync(file, 'utf8')) as unknown };
  } catch (err) {
    return { error: `cannot read or parse: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** The holders' names and card ids of every account in the ledger (the central sync adds accounts the config never names). */
function ledgerPersonalValues(db: OpsDeps['db']): string[] {
  try {
    const rows = db.prepare('SELECT person, card_id FROM payment_accounts').all() as { person: string; card_id: string | null }[];
    return rows.flatMap((r) => [r.person, r.card_id ?? '']).filter(scrubbable);
  } catch {
    return []; // no ledger in this database (a test harness)
  }
}

/** The contents of `{file}` secrets, so that they are scrubbed too should any have reached a log line. */
function fileSecrets(configFile: string, files: string[]): string[] {
  return files.flatMap((f) => {
    try {
      const text = readFileSync(path.resolve(path.dirname(configFile), f), 'utf8').replace(/\r?\n$/, '');
      return text.length >= 4 ? [text] : [];
    } catch {
      return [];
    }
  });
}

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/** A small in-memory .tar.gz (the bundle is a few hundred KB at most). */
export async function tarGz(files: { name: string; body: string | Buffer }[]): Promise<Buffer> {
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  gzip.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    gzip.once('end', resolve);
    gzip.once('error', reject);
  });
  const tar = new TarWriter(gzip);
  const mtime = Date.now();
  for (const f of files) await tar.addBuffer(f.name, f.body, { mtime });
  await tar.finish();
  gzip.end();
  await done;
  return Buffer.concat(chunks);
}
