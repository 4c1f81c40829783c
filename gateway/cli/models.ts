// `canteen-edge models list|pull|import|bundle|sign|verify`: getting the ONNX models
// onto a box — from their pinned upstream sources, a mirror on the site's network or a
// USB stick, or an offline bundle made on another box — and checking them.
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { ManifestError } from '../../models/manifest.ts';
import { ConfigError, configFileFrom, loadConfig } from '../config/load.ts';
import { featuresOff, featuresOffMessage } from '../models/features.ts';
import { parseMirror, type Progress } from '../models/fetch.ts';
import { importBundle, installContext, listModels, makeBundle, pullModels, signTarget, unknownNames, type InstallContext } from '../models/installer.ts';
import { loadPrivateKey, loadPublicKey, TrustError } from '../models/signed-index.ts';
import { EXIT_FAILED, EXIT_OK, printJson, UsageError, type Command } from './command.ts';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

const log = (line: string) => process.stderr.write(`${line}\n`);

const DIR_HELP = `  --models-dir  default: paths.models_dir of the config (--config, env CANTEEN_EDGE_CONFIG, config/gateway.yaml; env CANTEEN_EDGE_MODELS_DIR overrides)
  --config      the gateway config: its paths.models_dir and models.trust_key are used`;

interface Setup {
  ctx: InstallContext;
  mirror: string | undefined;
}

/** The models dir, the trust key and the default mirror, from the flags and the config. */
async function setup(values: Values): Promise<Setup> {
  const file = configFileFrom(values.config as string | undefined);
  let modelsDir = values['models-dir'] as string | undefined;
  if (modelsDir === '') throw new UsageError('--models-dir: expected a directory');
  let trustKey: KeyObject | undefined;
  let mirror: string | undefined;
  try {
    const config = loadConfig(file);
    modelsDir ??= config.paths.models_dir;
    mirror = config.models.mirror;
    if (config.models.trust_key) trustKey = loadPublicKey(config.models.trust_key, path.dirname(config.file));
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`config ${file}: ${err.issues.map((i) => `${i.path || '(top level)'}: ${i.message}`).join('; ')}`);
    if (err instanceof TrustError) throw new UsageError(`config ${file}: ${err.message}`);
    throw err;
  }
  try {
    return { ctx: await installContext(modelsDir, trustKey), mirror };
  } catch (err) {
    if (err instanceof ManifestError) throw new UsageError(err.message);
    throw err;
  }
}

const onlyFrom = (values: Values): string[] => ((values.only as string[] | undefined) ?? []).filter(Boolean);

function checkOnly(ctx: InstallContext, only: string[]): void {
  const unknown = unknownNames(ctx, only);
  if (unknown.length) throw new UsageError(`--only ${unknown.map((n) => `"${n}"`).join(', ')}: no such model; models: ${ctx.manifests.map((m) => m.name).sort().join(', ')}`);
}

/** A bar redrawn in place on a terminal; a line per file (and per quarter) otherwise. */
function progressBar(): Progress & { done(): void } {
  const tty = process.stderr.isTTY;
  let current = '';
  let lastQuarter = -1;
  const fn = ((e) => {
    const mb = (n: number) => (n / 1e6).toFixed(1);
    if (e.file !== current) {
      if (tty && current) process.stderr.write('\n');
      current = e.file;
      lastQuarter = -1;
      if (!tty) log(`${e.file}: from ${e.from}${e.resumedAt ? ` (resuming at ${mb(e.resumedAt)} MB)` : ''}`);
    }
    const pct = e.total ? Math.floor((e.got / e.total) * 100) : undefined;
    if (tty) {
      const width = 30;
      const fill = pct === undefined ? 0 : Math.round((pct / 100) * width);
      process.stderr.write(`\r${e.file.padEnd(36).slice(0, 36)} [${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${pct ?? '?'}% ${mb(e.got)}${e.total ? `/${mb(e.total)}` : ''} MB`);
    } else if (pct !== undefined && Math.floor(pct / 25) > lastQuarter) {
      lastQuarter = Math.floor(pct / 25);
      log(`  ${pct}% ${mb(e.got)}/${mb(e.total!)} MB`);
    }
  }) as Progress & { done(): void };
  fn.done = () => {
    if (tty && current) process.stderr.write('\n');
  };
  return fn;
}

export const modelsList: Command = {
  words: ['models', 'list'],
  summary: 'the models of this box: feature, state (ok, missing, corrupt), file, sha256, source, licence',
  usage: `canteen-edge models list [--models-dir DIR] [--config FILE]
  prints {"models": [{"name", "family", "feature", "feature_zh", "state": "ok"|"missing"|"corrupt", "detail", "file", "sha256", "bytes", "source", "urls", "licence"}], "features_off": [...]}
  re-hashes every installed file (as models verify does)
${DIR_HELP}
  exit 0 (whatever the states), 2 on a usage or config error`,
  options: { 'models-dir': { type: 'string' }, config: { type: 'string' } },
  async run(values) {
    const { ctx } = await setup(values);
    const models = await listModels(ctx);
    const off = featuresOff(models);
    const msg = featuresOffMessage(off);
    if (msg) log(msg);
    printJson({ modelsDir: ctx.modelsDir, models, features_off: off });
    return EXIT_OK;
  },
};

export const modelsVerify: Command = {
  words: ['models', 'verify'],
  summary: 're-hash every installed model file against its manifest',
  usage: `canteen-edge models verify [--models-dir DIR] [--config FILE]
  prints {"ok": bool, "models": [{"name", "state", "detail"}]}; a model not installed is listed as missing
${DIR_HELP}
  exit 0 when no installed file is corrupt, 1 when one is (reinstall it: canteen-edge models pull --only NAME), 2 on a usage or config error`,
  options: { 'models-dir': { type: 'string' }, config: { type: 'string' } },
  async run(values) {
    const { ctx } = await setup(values);
    const models = await listModels(ctx);
    const corrupt = models.filter((m) => m.state === 'corrupt');
    for (const m of corrupt) log(`${m.name}: corrupt — ${m.detail}; reinstall: canteen-edge models pull --only ${m.name}`);
    log(`${models.filter((m) => m.state === 'ok').length} ok, ${models.filter((m) => m.state === 'missing').length} missing, ${corrupt.length} corrupt`);
    printJson({ ok: corrupt.length === 0, models: models.map((m) => ({ name: m.name, state: m.state, detail: m.detail })) });
    return corrupt.length ? EXIT_FAILED : EXIT_OK;
  },
};

export const modelsPull: Command = {
  words: ['models', 'pull'],
  summary: 'download the missing models (mirror, then pinned upstream URLs); resumes, checks sha256 before a file is visible',
  usage: `canteen-edge models pull [--only NAME …] [--mirror URL|DIR …] [--no-upstream] [--models-dir DIR] [--config FILE]
  downloads every model not installed (or only the named ones) with a progress bar on stderr; a partial download is resumed
  (HTTP Range); size and sha256 are checked before the file is renamed into place
  prints {"installed": [names], "already": [names], "failed": [{"name", "reason"}], "sources": {"name": [where from]}}
  --only         a model's manifest name; repeat for several
  --mirror       a directory (USB stick, NFS) or http(s)://host/path holding the files under their names; tried before
                 the upstream URLs; default models.mirror of the config. With models.trust_key set, a mirror must carry a
                 valid signature (canteen-edge models sign) or it is refused
  --no-upstream  only the mirror(s): for a site network without internet
${DIR_HELP}
  exit 0 when every model asked for is installed, 1 naming each model that failed and why, 2 on a usage or config error`,
  options: { only: { type: 'string', multiple: true }, mirror: { type: 'string', multiple: true }, 'no-upstream': { type: 'boolean' }, 'models-dir': { type: 'string' }, config: { type: 'string' } },
  async run(values) {
    const { ctx, mirror } = await setup(values);
    const only = onlyFrom(values);
    checkOnly(ctx, only);
    const raw = ((values.mirror as string[] | undefined) ?? (mirror ? [mirror] : [])).filter((m) => {
      if (!m) throw new UsageError('--mirror: expected a directory or an http(s) URL');
      return true;
    });
    const mirrors = raw.map(parseMirror);
    const upstream = values['no-upstream'] !== true;
    if (!mirrors.length && !upstream) throw new UsageError('--no-upstream needs a --mirror (or models.mirror in the config)');
    const bar = progressBar();
    const r = await pullModels(ctx, { only, mirrors, upstream, progress: bar, log });
    bar.done();
    for (const f of r.failed) log(`${f.name}: FAILED — ${f.reason}`);
    log(`${r.installed.length} installed, ${r.already.length} already there, ${r.failed.length} failed (models dir ${ctx.modelsDir})`);
    if (r.installed.length) log('a running gateway picks them up on reload: systemctl reload canteen-edge (or kill -HUP its pid)');
    printJson({ installed: r.installed.map((i) => i.name), already: r.already, failed: r.failed, sources: Object.fromEntries(r.installed.map((i) => [i.name, i.from])) });
    return r.failed.length ? EXIT_FAILED : EXIT_OK;
  },
};

export const modelsImport: Command = {
  words: ['models', 'import'],
  summary: 'install the models of an offline bundle (FILE.tar from models bundle) or a directory',
  usage: `canteen-edge models import FILE.tar|DIR [--models-dir DIR] [--config FILE]
  installs every model whose files the bundle holds (and a site's own manifests in its manifests/), each checked against
  its manifest and the bundle's index before it is renamed into place. With models.trust_key set, a bundle without a
  valid signature is refused as a whole
  prints {"installed": [names], "already": [names], "failed": [{"name", "reason"}], "ignored": [files], "signed": bool}
${DIR_HELP}
  exit 0, 1 when the bundle is refused or a model failed, 2 on a usage or config error`,
  options: { 'models-dir': { type: 'string' }, config: { type: 'string' } },
  positionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new UsageError('expected one FILE.tar or DIR to import');
    const { ctx } = await setup(values);
    try {
      const r = await importBundle(ctx, positionals[0]!);
      for (const f of r.failed) log(`${f.name}: FAILED — ${f.reason}`);
      if (r.ignored.length) log(`ignored (no manifest claims them): ${r.ignored.join(', ')}`);
      log(`${r.installed.length} installed, ${r.already.length} already there, ${r.failed.length} failed`);
      printJson(r);
      return r.failed.length ? EXIT_FAILED : EXIT_OK;
    } catch (err) {
      if (!(err instanceof TrustError)) throw err;
      log(err.message);
      printJson({ installed: [], already: [], failed: [{ name: '*', reason: err.message }], ignored: [], signed: false });
      return EXIT_FAILED;
    }
  },
};

export const modelsBundle: Command = {
  words: ['models', 'bundle'],
  summary: 'write the installed models (with an index of hashes, optionally signed) to one .tar for the next box',
  usage: `canteen-edge models bundle --out FILE.tar [--only NAME …] [--key PRIVATE.pem] [--models-dir DIR] [--config FILE]
  every installed model that verifies (or only the named ones), its labels file, a site's own manifests, and models-index.json
  (sha256 and size of each file); --key signs the index (Ed25519) for boxes with models.trust_key
  prints {"file", "models": [names], "files": [{"file", "sha256", "bytes"}], "signed": bool}
${DIR_HELP}
  exit 0, 1 when it cannot be written, 2 on a usage or config error`,
  options: { out: { type: 'string' }, only: { type: 'string', multiple: true }, key: { type: 'string' }, 'models-dir': { type: 'string' }, config: { type: 'string' } },
  async run(values) {
    const out = values.out;
    if (typeof out !== 'string' || !out) throw new UsageError('--out FILE.tar is required');
    const { ctx } = await setup(values);
    const only = onlyFrom(values);
    checkOnly(ctx, only);
    let key: KeyObject | undefined;
    try {
      if (typeof values.key === 'string') key = loadPrivateKey(values.key);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    try {
      const r = await makeBundle(ctx, { out, only, key });
      log(`${r.models.length} models, ${r.files.length} files in ${r.file}${r.signed ? ' (signed)' : ''}`);
      printJson(r);
      return EXIT_OK;
    } catch (err) {
      if (!(err as NodeJS.ErrnoException).code) throw err;
      log(`canteen-edge models bundle: ${(err as Error).message}`);
      return EXIT_FAILED;
    }
  },
};

export const modelsSign: Command = {
  words: ['models', 'sign'],
  summary: 'sign a bundle or a mirror directory with an Ed25519 private key (for boxes with models.trust_key)',
  usage: `canteen-edge models sign --key PRIVATE.pem FILE.tar|DIR
  writes models-index.json (sha256 and size of every file) and models-index.json.sig (Ed25519 signature of the index):
  into the directory (a mirror), or into the bundle (rewritten in place)
  make a key pair: openssl genpkey -algorithm ed25519 -out models-signing.pem
                   openssl pkey -in models-signing.pem -pubout -out models-signing.pub   (→ models.trust_key of each box)
  prints {"target", "kind": "directory"|"bundle", "files": [{"file", "sha256", "bytes"}]}
  exit 0, 1 when the target cannot be read or written, 2 on a usage error (no key, not an Ed25519 private key)`,
  options: { key: { type: 'string' } },
  positionals: true,
  async run(values, positionals) {
    if (positionals.length !== 1) throw new UsageError('expected one FILE.tar or DIR to sign');
    if (typeof values.key !== 'string' || !values.key) throw new UsageError('--key PRIVATE.pem is required (an Ed25519 private key in PEM)');
    let key: KeyObject;
    try {
      key = loadPrivateKey(values.key);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    try {
      const r = await signTarget(positionals[0]!, key);
      log(`signed ${r.kind} ${r.target}: ${r.files.length} files`);
      printJson(r);
      return EXIT_OK;
    } catch (err) {
      if (!(err instanceof TrustError) && !(err as NodeJS.ErrnoException).code) throw err;
      log(`canteen-edge models sign: ${(err as Error).message}`);
      return EXIT_FAILED;
    }
  },
};

export const MODELS_COMMANDS = [modelsList, modelsPull, modelsImport, modelsBundle, modelsSign, modelsVerify];
