// The model registry: manifests (project data) + weights (files in the models dir).
//
// - `status()` says, for every manifest, whether its file is there and intact
//   (ok | missing | hash-mismatch | error) without loading anything: the box runs
//   without models, /readyz and the admin page show what is available.
// - `load(name)` checks the file exists and its sha256 matches BEFORE any session is
//   created, then creates the session once (in the inference worker) and caches it by
//   name; concurrent callers share the same promise. A failed load is not cached, so a
//   fixed file is picked up by the next call.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { sha256File } from './hash.ts';
import { readLabelsFile } from './labels.ts';
import { ManifestError, readManifestDir, SHIPPED_MANIFESTS_DIR, type ModelFamily, type ModelFeature, type ModelManifest } from './manifest.ts';
import { createRuntime, type InferenceRuntime, type RunOptions, type RuntimeKind, type SessionHandle, type SessionOptions, type TensorData, type TensorInfo } from './runtime/runtime.ts';

export type ModelState = 'ok' | 'missing' | 'hash-mismatch' | 'error';

export interface ModelStatus {
  name: string;
  family: ModelFamily;
  /** the feature it serves (manifest `feature`), null for a site's model that names none */
  feature: ModelFeature | null;
  file: string;
  state: ModelState;
  /** what is wrong, or "sha256 verified" / "loaded" */
  detail: string;
  /** a session exists in this process */
  loaded: boolean;
}

export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    readonly model: string,
    readonly state: Exclude<ModelState, 'ok'>,
    message: string,
  ) {
    super(message);
  }
}

export interface LoadedModel {
  readonly manifest: ModelManifest;
  /** absolute path of the verified weights file */
  readonly path: string;
  readonly labels: string[] | undefined;
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  run(feeds: Record<string, TensorData>, opts?: RunOptions): Promise<Record<string, TensorData>>;
}

export interface RegistryOptions {
  /** where the weights (and label files, and optionally a site's own manifests/) are */
  modelsDir: string;
  /** manifest directories, later ones override earlier ones by name; default the shipped
   * models/manifests, then <modelsDir>/manifests when it exists */
  manifestDirs?: string[];
  /** 'worker' (default): sessions run in a worker thread; 'inline': on the calling thread */
  runtime?: RuntimeKind;
  /** onnxruntime session options, over DEFAULT_SESSION_OPTIONS (a given `extra` replaces the default one) */
  session?: SessionOptions;
}

const HINT = '(set paths.models_dir or CANTEEN_EDGE_MODELS_DIR)';

/**
 * Errors-only logs, and no spin-waiting: onnxruntime's pool threads otherwise spin after
 * every run, burning a core the box shares with sharp, the gateway and the kiosk browser
 * (measured: 50 runs 4 ms apart cost 471 ms of CPU spinning, 175 ms without).
 */
export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  logSeverityLevel: 3,
  extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
};

export async function createModelRegistry(opts: RegistryOptions): Promise<ModelRegistry> {
  const modelsDir = path.resolve(opts.modelsDir);
  const registry = new ModelRegistry({ modelsDir, manifests: await readManifests(modelsDir, opts.manifestDirs), runtime: createRuntime(opts.runtime ?? 'worker'), sessionOptions: opts.session ?? {} });
  registry.manifestDirs = opts.manifestDirs;
  return registry;
}

/** The shipped manifests, then the site's own in <modelsDir>/manifests (later ones override by name). */
export async function readManifests(modelsDir: string, manifestDirs?: string[]): Promise<ModelManifest[]> {
  let dirs = manifestDirs;
  if (!dirs) {
    dirs = [SHIPPED_MANIFESTS_DIR];
    const site = path.join(modelsDir, 'manifests');
    if (await isDir(site)) dirs.push(site);
  }
  const byName = new Map<string, ModelManifest>();
  for (const d of dirs) {
    let list: ModelManifest[];
    try {
      list = await readManifestDir(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ManifestError(`model manifests directory ${d} not found`);
      throw err;
    }
    for (const m of list) byName.set(m.name, m);
  }
  return [...byName.values()];
}

export class ModelRegistry {
  private readonly manifestsByName: Map<string, ModelManifest>;
  private readonly sessions = new Map<string, Promise<LoadedModel>>();
  private readonly loaded = new Map<string, SessionHandle>();
  private readonly loadErrors = new Map<string, ModelError>();
  /** where reload() reads the manifests again (default: shipped + <modelsDir>/manifests) */
  manifestDirs: string[] | undefined;

  readonly modelsDir: string;
  private readonly runtime: InferenceRuntime;
  private readonly sessionOptions: SessionOptions;

  constructor(opts: { modelsDir: string; manifests: ModelManifest[]; runtime: InferenceRuntime; sessionOptions: SessionOptions }) {
    const { manifests, runtime } = opts;
    this.modelsDir = opts.modelsDir;
    this.runtime = runtime;
    this.sessionOptions = opts.sessionOptions;
    this.manifestsByName = new Map(manifests.map((m) => [m.name, m]));
    runtime.onReset(() => {
      // the worker died with every session in it: the next load() creates them again
      this.sessions.clear();
      this.loaded.clear();
    });
  }

  get runtimeKind(): RuntimeKind {
    return this.runtime.kind;
  }

  manifests(family?: ModelFamily): ModelManifest[] {
    return [...this.manifestsByName.values()].filter((m) => !family || m.family === family);
  }

  manifest(name: string): ModelManifest {
    const m = this.manifestsByName.get(name);
    if (!m) throw new ManifestError(`unknown model "${name}"; manifests: ${[...this.manifestsByName.keys()].sort().join(', ')}`);
    return m;
  }

  filePath(name: string): string {
    return path.join(this.modelsDir, this.manifest(name).file);
  }

  /** Checks the weights (and a labels file) exist and the sha256 matches. Throws ModelError. */
  async verify(name: string, manifest?: ModelManifest): Promise<string> {
    const m = manifest ?? this.manifest(name);
    const file = path.join(this.modelsDir, m.file);
    const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
      throw new ModelError(name, 'error', `model ${name}: cannot read ${file}: ${err.message}`);
    });
    if (!st) throw new ModelError(name, 'missing', `model ${name}: file ${file} not found in models dir ${this.modelsDir} ${HINT}`);
    if (!st.isFile()) throw new ModelError(name, 'error', `model ${name}: ${file} is not a file`);
    let got: string;
    try {
      got = await sha256File(file);
    } catch (err) {
      throw new ModelError(name, 'error', `model ${name}: cannot read ${file}: ${(err as Error).message}`);
    }
    if (got !== m.sha256) {
      throw new ModelError(name, 'hash-mismatch', `model ${name}: sha256 mismatch: expected ${m.sha256}, got ${got} (file ${file}; replace the file or correct the manifest)`);
    }
    if (m.labels && !Array.isArray(m.labels)) {
      const lf = path.join(this.modelsDir, m.labels.file);
      if (!(await stat(lf).catch(() => undefined))?.isFile()) {
        throw new ModelError(name, 'missing', `model ${name}: labels file ${lf} not found in models dir ${this.modelsDir} ${HINT}`);
      }
      if (m.labels.sha256 && (await sha256File(lf)) !== m.labels.sha256) {
        throw new ModelError(name, 'hash-mismatch', `model ${name}: labels file ${lf}: sha256 mismatch (expected ${m.labels.sha256}; replace the file or correct the manifest)`);
      }
    }
    return file;
  }

  /** One line per manifest; never loads a session, never throws for a model's state. */
  async status(): Promise<ModelStatus[]> {
    return Promise.all(
      this.manifests().map(async (m): Promise<ModelStatus> => {
        const base = { name: m.name, family: m.family, feature: m.feature ?? null, file: m.file, loaded: this.loaded.has(m.name) };
        try {
          await this.verify(m.name);
        } catch (err) {
          const e = err instanceof ModelError ? err : new ModelError(m.name, 'error', (err as Error).message);
          return { ...base, state: e.state, detail: e.message };
        }
        const failed = this.loadErrors.get(m.name);
        if (failed && !base.loaded) return { ...base, state: 'error', detail: failed.message };
        return { ...base, state: 'ok', detail: base.loaded ? 'sha256 verified, loaded' : 'sha256 verified' };
      }),
    );
  }

  /** The model's session, created once per registry (verified first). */
  load(name: string): Promise<LoadedModel> {
    let p = this.sessions.get(name);
    if (!p) {
      p = this.create(name);
      this.sessions.set(name, p);
      p.then(
        () => this.loadErrors.delete(name),
        (err) => {
          if (this.sessions.get(name) === p) this.sessions.delete(name);
          this.loadErrors.set(name, err instanceof ModelError ? err : new ModelError(name, 'error', String(err)));
        },
      );
    }
    return p;
  }

  /**
   * Picks up models installed or replaced while the gateway runs (`models pull`, then
   * SIGHUP): the manifests are read again; a model with a session whose manifest changed
   * gets a new session, verified and warmed by one inference, and only then replaces the
   * old one — which serves every call until that moment, and stays if the new one fails.
   * Models without a session simply use the new manifest on their next load().
   */
  async reload(): Promise<{ replaced: string[]; failed: { name: string; reason: string }[] }> {
    const fresh = await readManifests(this.modelsDir, this.manifestDirs);
    const replaced: string[] = [];
    const failed: { name: string; reason: string }[] = [];
    for (const m of fresh) {
      const old = this.manifestsByName.get(m.name);
      const handle = this.loaded.get(m.name);
      if (!handle || !old) {
        this.manifestsByName.set(m.name, m);
        this.loadErrors.delete(m.name);
        continue;
      }
      if (JSON.stringify(old) === JSON.stringify(m)) continue;
      try {
        const next = await this.create(m.name, m);
        await warmUp(next);
        this.manifestsByName.set(m.name, m);
        this.sessions.set(m.name, Promise.resolve(next));
        await handle.release().catch(() => {});
        replaced.push(m.name);
      } catch (err) {
        // the old session keeps serving; a new one that was created but failed to run goes
        const made = this.loaded.get(m.name);
        if (made && made !== handle) await made.release().catch(() => {});
        this.loaded.set(m.name, handle);
        failed.push({ name: m.name, reason: (err as Error).message });
      }
    }
    return { replaced, failed };
  }

  private async create(name: string, manifest?: ModelManifest): Promise<LoadedModel> {
    const m = manifest ?? this.manifest(name);
    const file = await this.verify(name, m);
    const labels = m.labels ? (Array.isArray(m.labels) ? m.labels : await readLabelsFile(path.join(this.modelsDir, m.labels.file))) : undefined;
    let handle: SessionHandle;
    try {
      handle = await this.runtime.load(file, { ...DEFAULT_SESSION_OPTIONS, ...this.sessionOptions });
    } catch (err) {
      throw new ModelError(name, 'error', `model ${name}: onnxruntime could not load ${file}: ${(err as Error).message}`);
    }
    const fail = async (msg: string): Promise<never> => {
      await handle.release().catch(() => {});
      throw new ModelError(name, 'error', `model ${name}: ${msg}`);
    };
    const input = handle.inputs.find((i) => i.name === m.input.name);
    if (!input) await fail(`manifest input "${m.input.name}" is not an input of the model (inputs: ${handle.inputs.map((i) => i.name).join(', ')})`);
    const mismatch = m.input.shape.findIndex((d, i) => typeof d === 'number' && typeof input!.shape[i] === 'number' && input!.shape[i] !== d);
    if (mismatch >= 0 || input!.shape.length !== 4) {
      await fail(`manifest input shape [${m.input.shape.join(',')}] does not match the model's [${input!.shape.join(',')}]`);
    }
    for (const o of m.outputs) {
      if (!handle.outputs.some((x) => x.name === o.name)) {
        await fail(`manifest output "${o.name}" is not an output of the model (outputs: ${handle.outputs.map((x) => x.name).join(', ')})`);
      }
    }
    if (labels && m.family === 'classifier') {
      const n = m.outputs[0]!.shape?.at(-1);
      if (typeof n === 'number' && n !== labels.length) await fail(`${labels.length} labels for ${n} classes`);
    }
    this.loaded.set(name, handle);
    return {
      manifest: m,
      path: file,
      labels,
      inputs: handle.inputs,
      outputs: handle.outputs,
      run: (feeds, opts) => handle.run(feeds, opts),
    };
  }

  /** Releases every session and stops the inference worker. */
  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    this.loaded.clear();
    await Promise.allSettled(all);
    await this.runtime.close();
  }
}

/** One inference on zeros at the model's input size: a session that cannot run is not swapped in. */
async function warmUp(model: LoadedModel): Promise<void> {
  const r = model.manifest.preprocess.resize;
  const fallback = r.mode === 'letterbox-top-left' && r.size ? [r.size[1], r.size[0]] : [320, 320];
  const dims = model.manifest.input.shape.map((d, i) => (typeof d === 'number' ? d : i === 0 ? 1 : i === 1 ? 3 : fallback[i - 2]!));
  await model.run({ [model.manifest.input.name]: { data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims } });
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}
