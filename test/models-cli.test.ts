// `canteen-edge models list|pull|import|bundle|sign|verify`, the real command against a
// models mirror on the "site network": node:http on 127.0.0.1 serving the real weights
// (the test fixtures) with HTTP Range, and its faults — a transfer cut half-way, a
// corrupted file, a short file, a mirror that is not there — plus offline bundles,
// Ed25519 signatures with models.trust_key, and a site's own model with its manifest.
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifestDir, SHIPPED_MANIFESTS_DIR, type ModelManifest } from '../models/manifest.ts';
import { SHARED_MODELS_DIR } from '../bench/recognition/photos.ts';
import { cliAsync } from './helpers/cli.ts';
import { startMirror, type TestMirror } from './helpers/mirror.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-models-cli-'));
let manifests: ModelManifest[];
let mirror: TestMirror;
/** every file the shipped manifests need: weights and labels */
let files: string[];

const fresh = (name: string) => {
  const d = path.join(tmp, name);
  mkdirSync(d, { recursive: true });
  return d;
};
/** a config without trust key (or with one) so the command does not read the checkout's */
function config(name: string, extra = ''): string {
  const f = path.join(tmp, `${name}.yaml`);
  writeFileSync(f, `paths:\n  data_dir: ${JSON.stringify(path.join(tmp, `${name}-data`))}\n${extra}`);
  return f;
}
const cfgPlain = () => config('plain');
const models = (args: string[], dir: string, cfg = cfgPlain()) => cliAsync(['models', ...args, '--models-dir', dir, '--config', cfg]);

beforeAll(async () => {
  manifests = await readManifestDir(SHIPPED_MANIFESTS_DIR);
  files = [...new Set(manifests.flatMap((m) => [m.file, ...(m.labels && !Array.isArray(m.labels) ? [m.labels.file] : [])]))];
  const served = fresh('mirror');
  for (const f of files) copyFileSync(path.join(SHARED_MODELS_DIR, f), path.join(served, f));
  mirror = await startMirror(served);
});
afterAll(async () => {
  await mirror?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('models list and pull', () => {
  it('a fresh box: every model missing, with its feature, source and licence; exit 0', { timeout: 240_000 }, async () => {
    const r = await models(['list'], fresh('empty'));
    expect(r.code).toBe(0);
    const doc = r.json();
    expect(doc.models).toHaveLength(manifests.length);
    for (const m of doc.models) {
      expect(m.state).toBe('missing');
      expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(m.bytes).toBeGreaterThan(0);
      expect(m.source).not.toBe('');
      expect(m.licence).not.toBe('');
      expect(m.urls.length, m.name).toBeGreaterThan(0);
      for (const u of m.urls) expect(u, m.name).toMatch(/^https:\/\/github\.com\/[^/]+\/[^/]+\/raw\/[0-9a-f]{8,40}\//); // pinned to a commit
    }
    expect(doc.models.find((m: { name: string }) => m.name === 'MobileFaceNet').feature_zh).toBe('刷脸支付');
    expect(doc.models.find((m: { name: string }) => m.name === 'MiniFASNetV2_2.7_80x80').feature_zh).toBe('活体检测');
    expect(doc.models.find((m: { name: string }) => m.name === 'mobilenetv2-12-int8').feature_zh).toBe('菜品识别');
    expect(doc.models.find((m: { name: string }) => m.name === 'yolox_nano').feature_zh).toBe('后厨识别');
    expect(r.stderr).toContain('刷脸支付');
    expect(r.stderr).toContain('canteen-edge models pull');
  });

  it('pull --mirror http://…: a fresh box gets every model, verified; a second pull has nothing to do', { timeout: 240_000 }, async () => {
    const dir = fresh('pulled');
    const r = await models(['pull', '--mirror', mirror.url, '--no-upstream'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().installed.sort()).toEqual(manifests.map((m) => m.name).sort());
    expect(r.json().failed).toEqual([]);
    expect(r.stderr).toMatch(/100%/); // progress on stderr
    const list = (await models(['list'], dir)).json();
    expect(list.models.map((m: { state: string }) => m.state)).toEqual(manifests.map(() => 'ok'));
    expect(list.features_off).toEqual([]);
    const v = await models(['verify'], dir);
    expect(v.code).toBe(0);
    expect(v.json().ok).toBe(true);
    const again = await models(['pull', '--mirror', mirror.url, '--no-upstream'], dir);
    expect(again.code).toBe(0);
    expect(again.json().installed).toEqual([]);
    expect(again.json().already).toHaveLength(manifests.length);
    expect(readdirSync(dir).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('a transfer cut half-way is resumed with an HTTP Range from where it stopped', { timeout: 240_000 }, async () => {
    const dir = fresh('resume');
    const size = statSync(path.join(SHARED_MODELS_DIR, 'yolox_nano.onnx')).size;
    const cut = 1_000_000;
    mirror.faults.cutAfter = { 'yolox_nano.onnx': cut };
    const before = mirror.served.length;
    const first = await models(['pull', '--only', 'yolox_nano', '--mirror', mirror.url, '--no-upstream'], dir);
    expect(first.code).toBe(1);
    expect(first.json().failed).toEqual([{ name: 'yolox_nano', reason: expect.stringMatching(/run again to resume/) }]);
    expect(existsSync(path.join(dir, 'yolox_nano.onnx'))).toBe(false); // never visible half-written
    const part = path.join(dir, '.yolox_nano.onnx.part');
    // what reached the disk before the cut: at most the bytes sent (a web stream that errors drops
    // the chunks still queued in it, so on a loaded box a few may be missing and are fetched again)
    const kept = statSync(part).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(cut);
    const second = await models(['pull', '--only', 'yolox_nano', '--mirror', mirror.url, '--no-upstream'], dir);
    expect(second.code, second.stderr).toBe(0);
    const requests = mirror.served.slice(before).filter((s) => s.file === 'yolox_nano.onnx');
    expect(requests.map((s) => [s.range, s.status, s.bytes])).toEqual([
      [null, 200, cut],
      [`bytes=${kept}-`, 206, size - kept],
    ]);
    expect(second.stderr).toContain('resuming at');
    expect((await models(['verify'], dir)).json().models.find((m: { name: string }) => m.name === 'yolox_nano').state).toBe('ok');
    expect(existsSync(part)).toBe(false);
  });

  it('a corrupted file on the mirror is refused, named, and never becomes visible', { timeout: 240_000 }, async () => {
    const dir = fresh('corrupt');
    const good = readFileSync(path.join(SHARED_MODELS_DIR, 'MobileFaceNet.onnx'));
    const bad = Buffer.from(good);
    bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0xff;
    mirror.faults.replace = { 'MobileFaceNet.onnx': bad, 'yunet_n_dynamic.onnx': good.subarray(0, 1000) };
    try {
      const r = await models(['pull', '--only', 'MobileFaceNet', '--only', 'yunet_n_dynamic', '--only', 'yolox_nano', '--mirror', mirror.url, '--no-upstream'], dir);
      expect(r.code).toBe(1);
      const failed = Object.fromEntries(r.json().failed.map((f: { name: string; reason: string }) => [f.name, f.reason]));
      expect(failed.MobileFaceNet).toMatch(/wrong hash/);
      expect(failed.yunet_n_dynamic).toMatch(/wrong size/);
      expect(r.json().installed).toEqual(['yolox_nano']); // the others still install
      expect(r.stderr).toMatch(/MobileFaceNet: FAILED — .*wrong hash/);
      expect(readdirSync(dir).sort()).toEqual(['coco.names', 'yolox_nano.onnx']); // no bad file, no leftover part
    } finally {
      mirror.faults.replace = {};
    }
  });

  it('an unreachable mirror: exit 1 naming each model and why', { timeout: 240_000 }, async () => {
    const dead = await startMirror(fresh('dead'));
    const url = dead.url;
    await dead.close();
    const r = await models(['pull', '--only', 'yolox_nano', '--mirror', url, '--no-upstream'], fresh('unreachable'));
    expect(r.code).toBe(1);
    expect(r.json().failed).toEqual([{ name: 'yolox_nano', reason: expect.stringMatching(/unreachable \(ECONNREFUSED\)/) }]);
  });

  it('a mirror directory (a USB stick) works the same way', { timeout: 240_000 }, async () => {
    const dir = fresh('from-dir');
    const r = await models(['pull', '--only', 'mobilenetv2-12-int8', '--mirror', SHARED_MODELS_DIR, '--no-upstream'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['imagenet1k_labels.tsv', 'mobilenetv2-12-int8.onnx']);
  });
});

describe('bundles, signatures and a site model', () => {
  const full = () => path.join(tmp, 'pulled');
  const keys = () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    return { pub: publicKey.export({ type: 'spki', format: 'pem' }) as string, priv: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
  };

  it('bundle → import on the next box: every model ok, hashes from the bundle index', { timeout: 240_000 }, async () => {
    const out = path.join(tmp, 'box.tar');
    const b = await models(['bundle', '--out', out], full());
    expect(b.code, b.stderr).toBe(0);
    expect(b.json().models.sort()).toEqual(manifests.map((m) => m.name).sort());
    expect(b.json().signed).toBe(false);
    const dir = fresh('imported');
    const r = await models(['import', out], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().installed.sort()).toEqual(manifests.map((m) => m.name).sort());
    expect((await models(['verify'], dir)).code).toBe(0);
  });

  it('a damaged bundle installs nothing of the damaged model', { timeout: 240_000 }, async () => {
    const out = path.join(tmp, 'box.tar');
    const tar = readFileSync(out);
    let at = -1;
    for (let i = 0; i < tar.length; i += 512) if (tar.subarray(i, i + 19).toString('latin1') === 'MobileFaceNet.onnx\0') at = i; // its tar header
    expect(at).toBeGreaterThan(0);
    const bad = Buffer.from(tar);
    bad[at + 512 + 100_000] = bad[at + 512 + 100_000]! ^ 0xff; // inside the model's bytes, after its header
    const badFile = path.join(tmp, 'bad.tar');
    writeFileSync(badFile, bad);
    const dir = fresh('imported-bad');
    const r = await models(['import', badFile], dir);
    expect(r.code).toBe(1);
    expect(r.json().failed.map((f: { name: string }) => f.name)).toEqual(['MobileFaceNet']);
    expect(existsSync(path.join(dir, 'MobileFaceNet.onnx'))).toBe(false);
    expect(existsSync(path.join(dir, 'yolox_nano.onnx'))).toBe(true);
  });

  it('with models.trust_key: an unsigned or wrongly signed bundle is refused whole; a signed one installs', { timeout: 240_000 }, async () => {
    const good = keys();
    const other = keys();
    writeFileSync(path.join(tmp, 'trust.pub'), good.pub);
    writeFileSync(path.join(tmp, 'signing.pem'), good.priv);
    writeFileSync(path.join(tmp, 'other.pem'), other.priv);
    const cfg = config('trusted', 'models:\n  trust_key: trust.pub\n');
    const unsigned = path.join(tmp, 'box.tar');
    const dir = fresh('trusted');
    const r1 = await models(['import', unsigned], dir, cfg);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/refused: it carries no signature/);
    expect(readdirSync(dir)).toEqual([]);

    const wrong = path.join(tmp, 'wrong.tar');
    copyFileSync(unsigned, wrong);
    const s1 = await cliAsync(['models', 'sign', '--key', path.join(tmp, 'other.pem'), wrong]);
    expect(s1.code, s1.stderr).toBe(0);
    const r2 = await models(['import', wrong], dir, cfg);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/signature does not match models\.trust_key/);
    expect(readdirSync(dir)).toEqual([]);

    const signed = path.join(tmp, 'signed.tar');
    const b = await models(['bundle', '--out', signed, '--only', 'yolox_nano', '--key', path.join(tmp, 'signing.pem')], full());
    expect(b.json().signed).toBe(true);
    const r3 = await models(['import', signed], dir, cfg);
    expect(r3.code, r3.stderr).toBe(0);
    expect(r3.json()).toMatchObject({ installed: ['yolox_nano'], signed: true });
  });

  it('with models.trust_key: an unsigned mirror is refused; once signed (models sign DIR) it is used', { timeout: 240_000 }, async () => {
    const cfg = config('trusted-mirror', `models:\n  trust_key: trust.pub\n`);
    const served = path.join(tmp, 'mirror');
    const dir = fresh('trusted-pull');
    const r1 = await models(['pull', '--only', 'yolox_nano', '--mirror', mirror.url, '--no-upstream'], dir, cfg);
    expect(r1.code).toBe(1);
    expect(r1.json().failed[0].reason).toMatch(/has no models-index\.json and models\.trust_key is set/);
    expect(readdirSync(dir)).toEqual([]);
    const s = await cliAsync(['models', 'sign', '--key', path.join(tmp, 'signing.pem'), served]);
    expect(s.code, s.stderr).toBe(0);
    const r2 = await models(['pull', '--only', 'yolox_nano', '--mirror', mirror.url, '--no-upstream'], dir, cfg);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.json().installed).toEqual(['yolox_nano']);
    // a file changed on the mirror after signing does not pass: the hashes stay those signed
    mirror.faults.replace = { 'MobileFaceNet.onnx': Buffer.from('not the model') };
    try {
      const r3 = await models(['pull', '--only', 'MobileFaceNet', '--mirror', mirror.url, '--no-upstream'], dir, cfg);
      expect(r3.code).toBe(1);
      expect(existsSync(path.join(dir, 'MobileFaceNet.onnx'))).toBe(false);
    } finally {
      mirror.faults.replace = {};
      rmSync(path.join(served, 'models-index.json'));
      rmSync(path.join(served, 'models-index.json.sig'));
    }
  });

  it("a site's own model comes with its own manifest in a bundle, and is then listed like the others", { timeout: 240_000 }, async () => {
    const site = fresh('site-bundle');
    copyFileSync(path.join(SHARED_MODELS_DIR, 'yolox_nano.onnx'), path.join(site, 'kitchen_hats.onnx'));
    const base = manifests.find((m) => m.name === 'yolox_nano')!;
    mkdirSync(path.join(site, 'manifests'));
    const own = { ...JSON.parse(readFileSync(path.join(SHIPPED_MANIFESTS_DIR, 'yolox_nano.json'), 'utf8')), name: 'kitchen_hats', file: 'kitchen_hats.onnx', labels: ['hat', 'no_hat'], urls: [], source: 'trained by the site on its own kitchen photos', description: 'hats' };
    delete own.bytes;
    expect(own.sha256).toBe(base.sha256);
    writeFileSync(path.join(site, 'manifests', 'kitchen_hats.json'), JSON.stringify(own));
    const dir = fresh('site-box');
    const r = await models(['import', site], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().installed).toEqual(['kitchen_hats']);
    expect(existsSync(path.join(dir, 'manifests', 'kitchen_hats.json'))).toBe(true);
    const row = (await models(['list'], dir)).json().models.find((m: { name: string }) => m.name === 'kitchen_hats');
    expect(row).toMatchObject({ state: 'ok', feature: 'kitchen-detection', feature_zh: '后厨识别' });
  });
});

describe('usage', () => {
  it('--help on each; exit 2 naming the flag on a usage error', { timeout: 240_000 }, async () => {
    for (const sub of ['list', 'pull', 'import', 'bundle', 'sign', 'verify']) {
      const h = await cliAsync(['models', sub, '--help']);
      expect(h.code, sub).toBe(0);
      expect(h.stdout).toContain(`canteen-edge models ${sub}`);
    }
    const dir = fresh('usage');
    const cases: [string[], RegExp][] = [
      [['models', 'pull', '--only', 'yolo_huge', '--models-dir', dir], /--only "yolo_huge": no such model/],
      [['models', 'pull', '--no-upstream', '--models-dir', dir, '--config', cfgPlain()], /--no-upstream needs a --mirror/],
      [['models', 'import', '--models-dir', dir], /expected one FILE\.tar or DIR/],
      [['models', 'bundle', '--models-dir', dir], /--out FILE\.tar is required/],
      [['models', 'sign', dir], /--key PRIVATE\.pem is required/],
      [['models', 'sign', '--key', path.join(tmp, 'nope.pem'), dir], /--key: cannot read/],
      [['models', 'list', '--models-dir', dir, '--config', config('badtrust', 'models:\n  trust_key: nope.pub\n')], /models\.trust_key: cannot read/],
    ];
    for (const [args, re] of cases) {
      const r = await cliAsync(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
  });
});
