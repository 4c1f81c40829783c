// The built kiosk pages on disk: kiosk/dist/<key>/ holds one build, keyed by a hash
// of the sources it was made from (manifest.json lists each input and its sha256).
// `npm run build` (scripts/build-kiosk.ts) writes it; the gateway reads it at start.
// The gateway never bundles in its own process: when no build matches the sources,
// a checkout runs the build script once as a child; an installed box refuses to start.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** URL path → file: what gateway/server/kiosk.ts serves. */
export type KioskFiles = Map<string, { body: Buffer; contentType: string }>;

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_KIOSK_DIST = path.join(REPO_ROOT, 'kiosk/dist');
const BUILD_SCRIPT = path.join(REPO_ROOT, 'scripts/build-kiosk.ts');

interface Manifest {
  key: string;
  /** repo-relative path → sha256 of the content the build read */
  inputs: Record<string, string>;
  files: { url: string; file: string; contentType: string }[];
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const hashOf = (rel: string): string | undefined => {
  try {
    return sha256(readFileSync(path.join(REPO_ROOT, rel)));
  } catch {
    return undefined;
  }
};

/** The hash of each input, read now; the key names the build made from exactly these. */
export function hashInputs(relPaths: Iterable<string>): { key: string; inputs: Record<string, string> } {
  const inputs: Record<string, string> = {};
  for (const rel of [...new Set(relPaths)].sort()) inputs[rel] = hashOf(rel) ?? 'missing';
  const key = sha256(Object.entries(inputs).map(([p, h]) => `${p}\0${h}\n`).join('')).slice(0, 16);
  return { key, inputs };
}

function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

const isFresh = (m: Manifest) => Object.entries(m.inputs).every(([rel, h]) => hashOf(rel) === h);

/** The build in distDir whose inputs all still hash the same, if any. */
export function findFreshBuild(distDir: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(distDir).filter((n) => !n.startsWith('.'));
  } catch {
    return undefined;
  }
  for (const name of names) {
    const m = readManifest(path.join(distDir, name));
    if (m && m.key === name && isFresh(m)) return path.join(distDir, name);
  }
  return undefined;
}

const fileNameOf = (url: string) => (url.startsWith('/assets/') ? url.slice(1) : `pages/${url === '/' ? 'index' : url.slice(1)}.html`);

/**
 * Writes one build as distDir/<key>/ (made aside, then renamed, so a reader never sees
 * half a build) and removes older builds, keeping the two most recent besides this one.
 */
export function writeKioskDist(distDir: string, files: KioskFiles, input: { key: string; inputs: Record<string, string> }): string {
  mkdirSync(distDir, { recursive: true });
  const target = path.join(distDir, input.key);
  const tmp = path.join(distDir, `.tmp-${process.pid}-${input.key}`);
  rmSync(tmp, { recursive: true, force: true });
  const manifest: Manifest = { ...input, files: [] };
  for (const [url, f] of files) {
    const file = fileNameOf(url);
    mkdirSync(path.dirname(path.join(tmp, file)), { recursive: true });
    writeFileSync(path.join(tmp, file), f.body);
    manifest.files.push({ url, file, contentType: f.contentType });
  }
  writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 1));
  // a build of the same sources made meanwhile (two starts at once) is kept, not replaced under its reader
  if (existsSync(target) && readManifest(target)) rmSync(tmp, { recursive: true, force: true });
  else {
    rmSync(target, { recursive: true, force: true });
    renameSync(tmp, target);
  }
  const older = readdirSync(distDir)
    .filter((n) => n !== input.key && !n.startsWith('.'))
    .map((n) => ({ n, t: statSync(path.join(distDir, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { n } of older.slice(2)) rmSync(path.join(distDir, n), { recursive: true, force: true });
  return target;
}

export function readKioskDist(dir: string): KioskFiles {
  const m = readManifest(dir);
  if (!m) throw new Error(`kiosk build ${dir}: no readable manifest.json`);
  return new Map(m.files.map((f) => [f.url, { body: readFileSync(path.join(dir, f.file)), contentType: f.contentType }]));
}

/**
 * The kiosk files for the gateway: the build that matches the sources; in a checkout
 * (development) a missing or stale build is made once by the build script run as a
 * child process, which exits when done (no esbuild stays resident in the gateway).
 */
export async function loadKioskPages(log: { info: (msg: string) => void }, distDir = process.env.CANTEEN_EDGE_KIOSK_DIST || DEFAULT_KIOSK_DIST): Promise<KioskFiles> {
  const fresh = findFreshBuild(distDir);
  if (fresh) return readKioskDist(fresh);
  if (!existsSync(path.join(REPO_ROOT, '.git'))) {
    throw new Error(`the kiosk pages are not built for these sources (${distDir}): run \`npm run build\` in ${REPO_ROOT} (scripts/install.sh does it)`);
  }
  log.info(`kiosk pages missing or out of date: building them once (npm run build) into ${distDir}`);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), BUILD_SCRIPT, '--out', distDir], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`kiosk build failed (exit ${code}): ${err.trim()}`))));
  });
  const built = findFreshBuild(distDir);
  if (!built) throw new Error(`kiosk build finished but ${distDir} holds no build matching the sources`);
  return readKioskDist(built);
}
