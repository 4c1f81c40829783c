// `canteen-edge detect`: one detector model on one photo, for the installer checking a
// box's models (and a site checking its own YOLO model's manifest) before the service runs.
import { access } from 'node:fs/promises';
import { Detector } from '../../models/detector/detector.ts';
import { detectorParams } from '../../models/detector/params.ts';
import { ManifestError } from '../../models/manifest.ts';
import { createModelRegistry, ModelError, type ModelRegistry } from '../../models/registry.ts';
import { ConfigError, configFileFrom, loadConfig } from '../config/load.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printJson, UsageError, type Command } from './command.ts';

export const DEFAULT_DETECT_MODEL = 'yolox_nano';

const USAGE = `canteen-edge detect --image FILE [--model NAME] [--models-dir DIR] [--min-score S] [--config FILE]
  runs a detector model (family detector, or a face-detector such as ultraface-RFB-640-masked_face-v2) on one photo
  prints {"model", "detections": [{"label": "person", "score": 0.91, "box": [x1, y1, x2, y2]}]}, boxes in pixels of the original image
  --model       manifest name, default ${DEFAULT_DETECT_MODEL}
  --models-dir  default: paths.models_dir of the config (--config, env CANTEEN_EDGE_CONFIG, config/gateway.yaml), else env CANTEEN_EDGE_MODELS_DIR
  --min-score   0–1, default the model's (manifest params.min_score, else 0.3; UltraFace 0.7)
  exit 0 with the detections (possibly none), 1 when the model file is missing or wrong or the image cannot be read, 2 on a usage or config error`;

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** --models-dir, else the configured models dir, else CANTEEN_EDGE_MODELS_DIR. */
export function modelsDirFrom(values: Values, env: NodeJS.ProcessEnv = process.env): string {
  const flag = values['models-dir'] as string | undefined;
  if (flag !== undefined) {
    if (!flag) throw new UsageError('--models-dir: expected a directory');
    return flag;
  }
  const explicit = values.config as string | undefined;
  const file = configFileFrom(explicit, env);
  try {
    return loadConfig(file, env).paths.models_dir;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (explicit !== undefined) throw new UsageError(`--config ${file}: ${err.issues.map((i) => `${i.path || '(top level)'}: ${i.message}`).join('; ')}`);
    if (env.CANTEEN_EDGE_MODELS_DIR) return env.CANTEEN_EDGE_MODELS_DIR;
    throw new UsageError(`--models-dir is required: the config ${file} cannot be used (${err.issues[0]?.message ?? err.message}) and CANTEEN_EDGE_MODELS_DIR is not set`);
  }
}

function minScoreFrom(values: Values): number | undefined {
  const raw = values['min-score'];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UsageError(`--min-score "${String(raw)}": expected a number from 0 to 1, e.g. 0.3`);
  }
  return n;
}

function detectorFor(registry: ModelRegistry, name: string): Detector {
  const candidates = () =>
    registry
      .manifests()
      .filter((m) => {
        try {
          detectorParams(m);
          return true;
        } catch {
          return false;
        }
      })
      .map((m) => m.name)
      .sort()
      .join(', ');
  try {
    registry.manifest(name);
  } catch {
    throw new UsageError(`--model "${name}": no such model; detectors: ${candidates()}`);
  }
  try {
    return new Detector(registry, name);
  } catch (err) {
    throw new UsageError(`--model "${name}": ${(err as Error).message}`);
  }
}

const round = (v: number, k: number) => Math.round(v * k) / k;

export const detect: Command = {
  words: ['detect'],
  summary: 'run a detector model on one photo',
  usage: USAGE,
  options: {
    image: { type: 'string' },
    model: { type: 'string' },
    'models-dir': { type: 'string' },
    'min-score': { type: 'string' },
    config: { type: 'string' },
  },
  async run(values) {
    const image = values.image as string | undefined;
    if (image === undefined || image === '') throw new UsageError('--image is required: the photo to run the model on (JPEG, PNG, WebP…)');
    const minScore = minScoreFrom(values);
    const modelName = (values.model as string | undefined) ?? DEFAULT_DETECT_MODEL;
    const modelsDir = modelsDirFrom(values);

    let registry: ModelRegistry;
    try {
      registry = await createModelRegistry({ modelsDir, runtime: 'inline' });
    } catch (err) {
      if (err instanceof ManifestError) {
        log(`canteen-edge detect: ${err.message}`);
        return EXIT_USAGE;
      }
      throw err;
    }
    try {
      const detector = detectorFor(registry, modelName);
      try {
        await access(image);
      } catch {
        log(`canteen-edge detect: --image ${image}: file not found or not readable`);
        return EXIT_FAILED;
      }
      try {
        await detector.load();
      } catch (err) {
        if (err instanceof ModelError) {
          log(`canteen-edge detect: ${err.message}`);
          return EXIT_FAILED;
        }
        throw err;
      }
      const t0 = performance.now();
      let detections;
      try {
        detections = await detector.detect(image, { minScore });
      } catch (err) {
        log(`canteen-edge detect: ${image}: ${(err as Error).message}`);
        return EXIT_FAILED;
      }
      const ms = performance.now() - t0;
      log(`${modelName} on ${image}: ${detections.length} detection(s) in ${ms.toFixed(0)} ms (model call ${detector.lastTimings.run.toFixed(0)} ms)`);
      for (const d of detections) log(`  ${d.label.padEnd(14)} ${d.score.toFixed(2)}  [${d.box.map((v) => v.toFixed(0)).join(', ')}]`);
      printJson({
        model: modelName,
        detections: detections.map((d) => ({ label: d.label, score: round(d.score, 1000), box: d.box.map((v) => round(v, 10)) })),
      });
      return EXIT_OK;
    } finally {
      await registry.close();
    }
  },
};
