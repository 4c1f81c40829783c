// The model registry against the real weights in ../shared/models (never copied: temp
// models dirs hold symlinks to them).
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashCacheSize, sha256File } from '../models/hash.ts';
import { readManifestDir, SHIPPED_MANIFESTS_DIR } from '../models/manifest.ts';
import { createModelRegistry, ModelError, type ModelRegistry } from '../models/registry.ts';
import { requireShared, SHARED_MODELS_DIR } from '../bench/recognition/photos.ts';
import { ROOT } from './helpers/gateway.ts';

const MNV2 = 'mobilenetv2-12-int8';
const tmpDirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'ce-models-'));
  tmpDirs.push(d);
  return d;
};
const registries: ModelRegistry[] = [];
const open = async (modelsDir: string) => {
  const r = await createModelRegistry({ modelsDir });
  registries.push(r);
  return r;
};

beforeAll(() => requireShared());
afterAll(async () => {
  for (const r of registries) await r.close();
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

describe('shipped manifests', () => {
  it('cover every model of models/README.md, with the full sha256 of each file', async () => {
    const manifests = await readManifestDir(SHIPPED_MANIFESTS_DIR);
    const readme = readFileSync(path.join(ROOT, 'models/README.md'), 'utf8');
    const listed = [...readme.matchAll(/^\| `([^`]+\.onnx)` \|.*\| ([0-9a-f]{12}) \|$/gm)].map((m) => ({ file: m[1]!, prefix: m[2]! }));
    expect(listed.length).toBe(9);
    for (const { file, prefix } of listed) {
      const m = manifests.find((x) => x.file === file);
      expect(m, file).toBeDefined();
      expect(m!.sha256.startsWith(prefix)).toBe(true);
      expect(await sha256File(path.join(SHARED_MODELS_DIR, file))).toBe(m!.sha256);
    }
    expect(new Set(manifests.map((m) => m.family))).toEqual(new Set(['classifier', 'detector', 'face-detector', 'face-embedder', 'liveness']));
  });

  it('status(): every model ok in the shared dir, without loading any', async () => {
    const reg = await open(SHARED_MODELS_DIR);
    const st = await reg.status();
    expect(st).toHaveLength(9);
    for (const s of st) expect(s, s.name).toMatchObject({ state: 'ok', loaded: false });
  });

  it('status() of an empty models dir: every model missing, with the hint', async () => {
    const dir = tmp();
    const reg = await open(dir);
    const st = await reg.status();
    expect(st.every((s) => s.state === 'missing')).toBe(true);
    const s = st.find((x) => x.name === MNV2)!;
    expect(s.detail).toBe(
      `model ${MNV2}: file ${path.join(dir, `${MNV2}.onnx`)} not found in models dir ${dir} (set paths.models_dir or CANTEEN_EDGE_MODELS_DIR)`,
    );
  });
});

describe('loading', () => {
  it('loads mobilenetv2 once: the manifest hash matches, the session is created once and reused', async () => {
    const reg = await open(SHARED_MODELS_DIR);
    const [a, b] = await Promise.all([reg.load(MNV2), reg.load(MNV2)]);
    expect(a).toBe(b);
    expect(await reg.load(MNV2)).toBe(a);
    expect(a.manifest.sha256).toBe(await sha256File(path.join(SHARED_MODELS_DIR, `${MNV2}.onnx`)));
    expect(a.inputs[0]).toMatchObject({ name: 'input', shape: ['batch_size', 3, 224, 224] });
    expect(a.labels).toHaveLength(1000);
    expect(a.labels![967]).toBe('espresso');
    const st = (await reg.status()).find((s) => s.name === MNV2)!;
    expect(st).toMatchObject({ state: 'ok', loaded: true });
  });

  it('hashes each file once per process', async () => {
    const reg = await open(SHARED_MODELS_DIR);
    await reg.status();
    const n = hashCacheSize();
    await reg.status();
    await reg.load(MNV2);
    expect(hashCacheSize()).toBe(n);
  });

  it('a missing file: a clear error naming the file, the dir and how to set it', async () => {
    const dir = tmp();
    const reg = await open(dir);
    const err = await reg.load(MNV2).catch((e) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err.state).toBe('missing');
    expect(err.message).toBe(
      `model ${MNV2}: file ${path.join(dir, `${MNV2}.onnx`)} not found in models dir ${dir} (set paths.models_dir or CANTEEN_EDGE_MODELS_DIR)`,
    );
  });

  it('reload(): a replaced model gets a new session only once it is verified and warm; until then, and when it fails, the old one serves', async () => {
    const dir = tmp();
    symlinkSync(path.join(SHARED_MODELS_DIR, `${MNV2}.onnx`), path.join(dir, `${MNV2}.onnx`));
    symlinkSync(path.join(SHARED_MODELS_DIR, 'imagenet1k_labels.tsv'), path.join(dir, 'imagenet1k_labels.tsv'));
    mkdirSync(path.join(dir, 'manifests'));
    const reg = await open(dir);
    const input = { input: { data: new Float32Array(3 * 224 * 224), dims: [1, 3, 224, 224] } };
    const old = await reg.load(MNV2);
    const expected = (await old.run(input)).output!.data;
    // a new version announced by its manifest, its file not (yet) there: refused, the old session stays
    const manifest = JSON.parse(readFileSync(path.join(SHIPPED_MANIFESTS_DIR, `${MNV2}.json`), 'utf8'));
    writeFileSync(path.join(dir, 'manifests', `${MNV2}.json`), JSON.stringify({ ...manifest, file: 'mnv2-v2.onnx' }));
    const r1 = await reg.reload();
    expect(r1.replaced).toEqual([]);
    expect(r1.failed).toEqual([{ name: MNV2, reason: expect.stringContaining('mnv2-v2.onnx not found') }]);
    expect(await reg.load(MNV2)).toBe(old);
    expect((await old.run(input)).output!.data).toEqual(expected);
    // the file arrives (models pull): the next reload swaps in a new, verified, warmed session
    symlinkSync(path.join(SHARED_MODELS_DIR, `${MNV2}.onnx`), path.join(dir, 'mnv2-v2.onnx'));
    const r2 = await reg.reload();
    expect(r2).toEqual({ replaced: [MNV2], failed: [] });
    const next = await reg.load(MNV2);
    expect(next).not.toBe(old);
    expect(next.path).toBe(path.join(dir, 'mnv2-v2.onnx'));
    expect((await next.run(input)).output!.data).toEqual(expected);
    expect((await reg.status()).find((s) => s.name === MNV2)).toMatchObject({ state: 'ok', loaded: true });
  });

  it('a wrong hash in a (site) manifest: "sha256 mismatch: expected …, got …", no session', async () => {
    const dir = tmp();
    symlinkSync(path.join(SHARED_MODELS_DIR, `${MNV2}.onnx`), path.join(dir, `${MNV2}.onnx`));
    symlinkSync(path.join(SHARED_MODELS_DIR, 'imagenet1k_labels.tsv'), path.join(dir, 'imagenet1k_labels.tsv'));
    mkdirSync(path.join(dir, 'manifests'));
    const manifest = JSON.parse(readFileSync(path.join(SHIPPED_MANIFESTS_DIR, `${MNV2}.json`), 'utf8'));
    const good = manifest.sha256 as string;
    const bad = `${good.slice(0, -4)}0000`;
    writeFileSync(path.join(dir, 'manifests', `${MNV2}.json`), JSON.stringify({ ...manifest, sha256: bad }));
    const reg = await open(dir);
    const err = await reg.load(MNV2).catch((e) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err.state).toBe('hash-mismatch');
    expect(err.message).toContain(`sha256 mismatch: expected ${bad}, got ${good}`);
    const st = (await reg.status()).find((s) => s.name === MNV2)!;
    expect(st).toMatchObject({ state: 'hash-mismatch', loaded: false });
  });

  it('checks the hash BEFORE creating a session: a non-ONNX file fails on its hash, not in onnxruntime', async () => {
    const dir = tmp();
    symlinkSync(path.join(SHARED_MODELS_DIR, 'coco.names'), path.join(dir, `${MNV2}.onnx`));
    const reg = await open(dir);
    const err = await reg.load(MNV2).catch((e) => e);
    expect(err.message).toContain('sha256 mismatch');
    expect(err.message).not.toMatch(/onnxruntime/i);
  });

  it('a missing labels file is reported as missing', async () => {
    const dir = tmp();
    symlinkSync(path.join(SHARED_MODELS_DIR, `${MNV2}.onnx`), path.join(dir, `${MNV2}.onnx`));
    const reg = await open(dir);
    const err = await reg.load(MNV2).catch((e) => e);
    expect(err.state).toBe('missing');
    expect(err.message).toContain(`labels file ${path.join(dir, 'imagenet1k_labels.tsv')} not found`);
  });

  it('a manifest that does not match the model (input name) is an error state after the load', async () => {
    const dir = tmp();
    symlinkSync(path.join(SHARED_MODELS_DIR, `${MNV2}.onnx`), path.join(dir, `${MNV2}.onnx`));
    symlinkSync(path.join(SHARED_MODELS_DIR, 'imagenet1k_labels.tsv'), path.join(dir, 'imagenet1k_labels.tsv'));
    mkdirSync(path.join(dir, 'manifests'));
    const manifest = JSON.parse(readFileSync(path.join(SHIPPED_MANIFESTS_DIR, `${MNV2}.json`), 'utf8'));
    writeFileSync(path.join(dir, 'manifests', `${MNV2}.json`), JSON.stringify({ ...manifest, input: { ...manifest.input, name: 'data' } }));
    const reg = await open(dir);
    await expect(reg.load(MNV2)).rejects.toThrow(`model ${MNV2}: manifest input "data" is not an input of the model (inputs: input)`);
    const st = (await reg.status()).find((s) => s.name === MNV2)!;
    expect(st.state).toBe('error');
  });

  it('an invalid manifest is refused when the registry is created, naming the file and the field', async () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'manifests'));
    const manifest = JSON.parse(readFileSync(path.join(SHIPPED_MANIFESTS_DIR, 'yolox_nano.json'), 'utf8'));
    writeFileSync(path.join(dir, 'manifests', 'yolox_nano.json'), JSON.stringify({ ...manifest, sha256: 'd39bee73564e' }));
    await expect(createModelRegistry({ modelsDir: dir })).rejects.toThrow(
      `invalid model manifest ${path.join(dir, 'manifests', 'yolox_nano.json')}: sha256: the full sha256, 64 lower-case hex digits`,
    );
  });

  it('an unknown model name lists the known ones', async () => {
    const reg = await open(SHARED_MODELS_DIR);
    expect(() => reg.manifest('resnet50')).toThrow(/unknown model "resnet50"; manifests: .*mobilenetv2-12-int8/);
  });
});
