// `canteen-edge face detect|compare|liveness|calibrate`: the face-payment models on
// photos, for the installer checking a kiosk's models and calibrating its camera.
// Every model is found by its manifest name in the models directory, its sha256 checked
// before use (models/face/README.md).
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { cosine } from '../../models/face/embed.ts';
import { DEFAULT_MATCH_THRESHOLD } from '../../models/face/gallery.ts';
import { calibrateLiveness, DEFAULT_LIVENESS_THRESHOLD } from '../../models/face/liveness.ts';
import { createFacePipeline, type Face, type FaceAnalysis, type FacePipeline } from '../../models/face/pipeline.ts';
import { calibrateMatch } from '../../models/face/calibrate.ts';
import { ManifestError } from '../../models/manifest.ts';
import { createModelRegistry, ModelError, type ModelRegistry } from '../../models/registry.ts';
import { ConfigError, configFileFrom, loadConfig } from '../config/load.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printJson, UsageError, type Command, type Options } from './command.ts';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

const log = (line: string) => process.stderr.write(`${line}\n`);

const MODELS_DIR_HELP = `  --models-dir  default: paths.models_dir of the config (--config, env CANTEEN_EDGE_CONFIG, config/gateway.yaml), else env CANTEEN_EDGE_MODELS_DIR
  --detector    face-detector manifest, default yunet_n_dynamic (ultraface-RFB-320 gives no landmarks)`;
const EXITS = 'exit 0 with the result, 1 when a model file is missing or wrong, an image cannot be read or has no face, 2 on a usage or config error';

const COMMON: Options = {
  'models-dir': { type: 'string' },
  config: { type: 'string' },
  detector: { type: 'string' },
};

/** A failure of the run (exit 1), reported as one line. */
class Failed extends Error {}

/** --models-dir, else the configured models dir (which honours CANTEEN_EDGE_MODELS_DIR), else CANTEEN_EDGE_MODELS_DIR. */
export function faceModelsDir(values: Values, env: NodeJS.ProcessEnv = process.env): string {
  const flag = values['models-dir'] as string | undefined;
  if (flag !== undefined) {
    if (!flag) throw new UsageError('--models-dir: expected a directory');
    return path.resolve(flag);
  }
  const explicit = values.config as string | undefined;
  const file = configFileFrom(explicit, env);
  try {
    return loadConfig(file, env).paths.models_dir;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (explicit !== undefined) throw new UsageError(`--config ${file}: ${err.issues.map((i) => `${i.path || '(top level)'}: ${i.message}`).join('; ')}`);
    if (env.CANTEEN_EDGE_MODELS_DIR) return path.resolve(env.CANTEEN_EDGE_MODELS_DIR);
    throw new UsageError(`--models-dir is required: the config ${file} cannot be used (${err.issues[0]?.message ?? err.message}) and CANTEEN_EDGE_MODELS_DIR is not set`);
  }
}

function images(values: Values, name = 'image'): string[] {
  const raw = values[name];
  const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String);
  for (const f of list) if (!f) throw new UsageError(`--${name}: expected a file`);
  return list;
}

function numberFlag(values: Values, name: string, min: number, max: number, example: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} "${String(raw)}": expected a number from ${min} to ${max}, e.g. ${example}`);
  }
  return n;
}

/** Opens the registry and the pipeline, loads `models` (verified), runs `fn`; maps failures to exit codes. */
async function withPipeline(values: Values, what: 'detect' | 'embed' | 'liveness' | 'all', fn: (p: FacePipeline) => Promise<number>): Promise<number> {
  const modelsDir = faceModelsDir(values);
  const detectorName = values.detector as string | undefined;
  let registry: ModelRegistry;
  try {
    registry = await createModelRegistry({ modelsDir, runtime: 'inline' });
  } catch (err) {
    if (err instanceof ManifestError) {
      log(`canteen-edge face: ${err.message}`);
      return EXIT_USAGE;
    }
    throw err;
  }
  try {
    let pipeline: FacePipeline;
    try {
      if (detectorName !== undefined) registry.manifest(detectorName);
      pipeline = createFacePipeline(registry, detectorName ? { detector: { model: detectorName } } : {});
    } catch (err) {
      throw new UsageError(`${detectorName ? `--detector "${detectorName}": ` : ''}${(err as Error).message}`);
    }
    const names = [pipeline.detector.model];
    if (what === 'embed' || what === 'all') names.push(pipeline.embedder.model);
    if (what === 'liveness' || what === 'all') names.push(...pipeline.livenessModel.models);
    try {
      for (const n of names) await registry.load(n);
    } catch (err) {
      if (err instanceof ModelError) {
        log(`canteen-edge face: ${err.message}`);
        return EXIT_FAILED;
      }
      throw err;
    }
    return await fn(pipeline);
  } catch (err) {
    if (err instanceof Failed) {
      log(`canteen-edge face: ${err.message}`);
      return EXIT_FAILED;
    }
    throw err;
  } finally {
    await registry.close();
  }
}

async function analyse(p: FacePipeline, file: string): Promise<FaceAnalysis> {
  try {
    await stat(file);
  } catch {
    throw new Failed(`${file}: file not found or not readable`);
  }
  try {
    return await p.analyse(file);
  } catch (err) {
    throw new Failed(`${file}: ${(err as Error).message}`);
  }
}

async function primaryFace(p: FacePipeline, file: string): Promise<{ analysis: FaceAnalysis; face: Face }> {
  const analysis = await analyse(p, file);
  if (!analysis.primary) throw new Failed(`${file}: no face found`);
  const f = analysis.primary;
  log(`${file}: ${analysis.faces.length} face(s); using [${f.box.map((v) => v.toFixed(0)).join(', ')}] score ${f.score.toFixed(3)}${f.quality.ok ? '' : ` — quality: ${f.quality.reasons.join('; ')}`}`);
  return { analysis, face: f };
}

const r = (v: number, k: number) => Math.round(v * k) / k;

// ------------------------------------------------------------------ detect

export const faceDetect: Command = {
  words: ['face', 'detect'],
  summary: 'faces and their 5 landmarks in a photo',
  usage: `canteen-edge face detect --image FILE [--models-dir DIR] [--detector NAME] [--config FILE]
  prints {"faces": [{"box": [x1, y1, x2, y2], "score": s, "landmarks": [[x, y] × 5]}]} in pixels of the
  original image (EXIF-rotated), the face the kiosk would pick (largest, most central) first;
  landmarks: eyes, nose tip, mouth corners, image-left first (none with UltraFace)
${MODELS_DIR_HELP}
  ${EXITS.replace(' or has no face', '')} (no face is exit 0 with "faces": [])`,
  options: { image: { type: 'string' }, ...COMMON },
  async run(values) {
    const [image, extra] = images(values);
    if (image === undefined) throw new UsageError('--image is required: the photo to look for faces in (JPEG, PNG, WebP…)');
    if (extra !== undefined) throw new UsageError('--image: one photo');
    return withPipeline(values, 'detect', async (p) => {
      const a = await analyse(p, image);
      log(`${image} (${a.width}×${a.height}): ${a.faces.length} face(s) with ${p.detector.model} (min score ${p.detector.minScore})`);
      printJson({
        faces: a.faces.map((f) => ({
          box: f.box.map((v) => r(v, 10)),
          score: r(f.score, 10000),
          ...(f.landmarksEstimated ? {} : { landmarks: f.landmarks.map(([x, y]) => [r(x, 10), r(y, 10)]) }),
        })),
      });
      return EXIT_OK;
    });
  },
};

// ------------------------------------------------------------------ compare

export const faceCompare: Command = {
  words: ['face', 'compare'],
  summary: 'cosine similarity of the main faces of two photos',
  usage: `canteen-edge face compare --image A --image B [--threshold T] [--models-dir DIR] [--detector NAME] [--config FILE]
  prints {"similarity": s, "threshold": t, "match": true|false}: MobileFaceNet cosine of the largest,
  most central face of each photo, aligned on its 5 landmarks; match = similarity ≥ threshold
  --threshold   −1–1, default ${DEFAULT_MATCH_THRESHOLD} (models/face/README.md; calibrate with face calibrate --people)
${MODELS_DIR_HELP}
  ${EXITS}`,
  options: { image: { type: 'string', multiple: true }, threshold: { type: 'string' }, ...COMMON },
  async run(values) {
    const list = images(values);
    if (list.length !== 2) throw new UsageError(`--image twice: the two photos to compare (got ${list.length})`);
    const threshold = numberFlag(values, 'threshold', -1, 1, '0.5') ?? DEFAULT_MATCH_THRESHOLD;
    return withPipeline(values, 'embed', async (p) => {
      const emb: Float32Array[] = [];
      for (const file of list) {
        const { face } = await primaryFace(p, file);
        if (face.landmarksEstimated) log(`${file}: the detector gave no landmarks; the similarity is unreliable`);
        emb.push(await p.embed(face));
      }
      const similarity = cosine(emb[0]!, emb[1]!);
      printJson({ similarity: r(similarity, 10000), threshold, match: similarity >= threshold });
      return EXIT_OK;
    });
  },
};

// ------------------------------------------------------------------ liveness

export const faceLiveness: Command = {
  words: ['face', 'liveness'],
  summary: 'is the main face of a photo a live one (MiniFASNet V2 + V1SE)',
  usage: `canteen-edge face liveness --image FILE [--threshold T] [--models-dir DIR] [--detector NAME] [--config FILE]
  prints {"live": true|false, "score": s, "threshold": t}: P(real), the mean of MiniFASNet V2 (face ×2.7)
  and V1SE (×4.0) on the largest, most central face; live = score ≥ threshold
  --threshold   0–1, default ${DEFAULT_LIVENESS_THRESHOLD}: a placeholder — calibrate on the kiosk camera (face calibrate)
${MODELS_DIR_HELP}
  ${EXITS}`,
  options: { image: { type: 'string' }, threshold: { type: 'string' }, ...COMMON },
  async run(values) {
    const [image, extra] = images(values);
    if (image === undefined) throw new UsageError('--image is required: the photo of the face');
    if (extra !== undefined) throw new UsageError('--image: one photo');
    const threshold = numberFlag(values, 'threshold', 0, 1, '0.8') ?? DEFAULT_LIVENESS_THRESHOLD;
    return withPipeline(values, 'liveness', async (p) => {
      const { analysis, face } = await primaryFace(p, image);
      const res = await p.liveness(analysis.image, face);
      log(`liveness: ${res.models.map((m) => `${m.model} ${m.score.toFixed(3)}`).join(', ')}`);
      printJson({ live: res.score >= threshold, score: r(res.score, 10000), threshold });
      return EXIT_OK;
    });
  },
};

// ------------------------------------------------------------------ calibrate

const IMAGE_EXT = /\.(jpe?g|png|webp|tiff?|avif|heic|bmp)$/i;

/** Files named, and the images directly inside directories named. */
async function expand(list: string[], flag: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of list) {
    const st = await stat(p).catch(() => undefined);
    if (!st) throw new UsageError(`--${flag} ${p}: no such file or directory`);
    if (st.isDirectory()) {
      const files = (await readdir(p)).filter((f) => IMAGE_EXT.test(f)).sort();
      if (!files.length) throw new UsageError(`--${flag} ${p}: no images (JPEG, PNG, WebP…) in the directory`);
      out.push(...files.map((f) => path.join(p, f)));
    } else out.push(p);
  }
  return out;
}

const summary = (s: { n: number; min: number; median: number; max: number }) =>
  s.n ? { n: s.n, min: r(s.min, 10000), median: r(s.median, 10000), max: r(s.max, 10000) } : { n: 0, min: null, median: null, max: null };

export const faceCalibrate: Command = {
  words: ['face', 'calibrate'],
  summary: 'liveness and match thresholds from a kiosk camera\'s own captures',
  usage: `canteen-edge face calibrate --live DIR|FILE [--live …] --spoof DIR|FILE [--spoof …] [--far F] [--models-dir DIR] [--config FILE]
canteen-edge face calibrate --people DIR [--far F] [--models-dir DIR] [--config FILE]
  liveness: P(real) of the main face of every live capture and every spoof (prints, screens held up to the
  kiosk camera), their distributions (n, min, median, max), the threshold that separates them — or that none
  does — and the lowest threshold letting at most --far of the spoofs through, with the live captures it refuses:
    {"live": {n, min, median, max}, "spoof": {…}, "separable", "threshold", "far_threshold": {far, threshold,
     spoof_accepted, live_rejected, resolvable}, "advice", "scores": [{file, kind, score}], "skipped": [{file, reason}]}
  people: DIR holds one sub-directory of photos per person (the site's enrolment photos); prints the genuine
  and impostor similarity distributions and the match threshold for --far (empirical: needs ≥ 1/far impostor pairs)
  --far         target false-accept rate, default 0.01
  a directory means the images directly inside it; the photos must come from the kiosk camera, in its light
${MODELS_DIR_HELP}
  exit 0 with the result, 1 when a model file is missing or no usable face was found, 2 on a usage or config error`,
  options: { live: { type: 'string', multiple: true }, spoof: { type: 'string', multiple: true }, people: { type: 'string' }, far: { type: 'string' }, ...COMMON },
  async run(values) {
    const live = images(values, 'live');
    const spoof = images(values, 'spoof');
    const people = values.people as string | undefined;
    const far = numberFlag(values, 'far', 0, 0.5, '0.01') ?? 0.01;
    if (people !== undefined) {
      if (live.length || spoof.length) throw new UsageError('--people calibrates the match threshold; --live/--spoof the liveness threshold: one at a time');
      return calibratePeople(values, people, far);
    }
    if (!live.length || !spoof.length) throw new UsageError('--live and --spoof are required (or --people DIR): directories or files of captures from the kiosk camera');
    const liveFiles = await expand(live, 'live');
    const spoofFiles = await expand(spoof, 'spoof');
    return withPipeline(values, 'liveness', async (p) => {
      const scores: { file: string; kind: 'live' | 'spoof'; score: number }[] = [];
      const skipped: { file: string; reason: string }[] = [];
      for (const [kind, files] of [['live', liveFiles], ['spoof', spoofFiles]] as const) {
        for (const file of files) {
          try {
            const a = await p.analyse(file);
            if (!a.primary) {
              skipped.push({ file, reason: 'no face' });
              continue;
            }
            const res = await p.liveness(a.image, a.primary);
            scores.push({ file, kind, score: r(res.score, 10000) });
            log(`  ${kind.padEnd(5)} ${res.score.toFixed(4)}  ${file}`);
          } catch (err) {
            skipped.push({ file, reason: (err as Error).message });
          }
        }
      }
      for (const s of skipped) log(`  skipped ${s.file}: ${s.reason}`);
      const l = scores.filter((s) => s.kind === 'live').map((s) => s.score);
      const sp = scores.filter((s) => s.kind === 'spoof').map((s) => s.score);
      if (!l.length || !sp.length) throw new Failed(`no face found in any ${!l.length ? 'live' : 'spoof'} capture`);
      const c = calibrateLiveness(l, sp, far);
      log(c.advice);
      printJson({
        live: summary(c.live),
        spoof: summary(c.spoof),
        separable: c.separable,
        threshold: c.separatingThreshold === null ? null : r(c.separatingThreshold, 10000),
        far_threshold: c.farThreshold && {
          far,
          threshold: r(c.farThreshold.threshold, 10000),
          spoof_accepted: r(c.farThreshold.spoofAccepted, 10000),
          live_rejected: r(c.farThreshold.liveRejected, 10000),
          resolvable: c.farThreshold.resolvable,
        },
        advice: c.advice,
        scores,
        skipped,
      });
      return EXIT_OK;
    });
  },
};

async function calibratePeople(values: Values, dir: string, far: number): Promise<number> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`--people ${dir}: not a directory (expected one sub-directory of photos per person)`);
  const persons = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  if (persons.length < 2) throw new UsageError(`--people ${dir}: ${persons.length} sub-director${persons.length === 1 ? 'y' : 'ies'}; need one per person, at least 2 people`);
  return withPipeline(values, 'embed', async (p) => {
    const embeddings: { person: string; file: string; embedding: Float32Array }[] = [];
    const skipped: { file: string; reason: string }[] = [];
    for (const person of persons) {
      const files = (await readdir(path.join(dir, person))).filter((f) => IMAGE_EXT.test(f)).sort();
      for (const f of files) {
        const file = path.join(dir, person, f);
        try {
          const a = await p.analyse(file);
          if (!a.primary) skipped.push({ file, reason: 'no face' });
          else if (!a.primary.quality.ok) skipped.push({ file, reason: a.primary.quality.reasons.join('; ') });
          else embeddings.push({ person, file, embedding: await p.embed(a.primary) });
        } catch (err) {
          skipped.push({ file, reason: (err as Error).message });
        }
      }
    }
    for (const s of skipped) log(`  skipped ${s.file}: ${s.reason}`);
    if (new Set(embeddings.map((e) => e.person)).size < 2) throw new Failed('fewer than 2 people with a usable face');
    const c = calibrateMatch(embeddings, far);
    log(c.advice);
    printJson({
      people: c.people,
      photos: embeddings.length,
      genuine: summary(c.genuine),
      impostor: summary(c.impostor),
      far,
      threshold: r(c.threshold, 10000),
      far_at_threshold: r(c.farAtThreshold, 10000),
      frr_at_threshold: c.frrAtThreshold === null ? null : r(c.frrAtThreshold, 10000),
      resolvable: c.resolvable,
      advice: c.advice,
      skipped,
    });
    return EXIT_OK;
  });
}

export const FACE_COMMANDS: Command[] = [faceDetect, faceCompare, faceLiveness, faceCalibrate];
