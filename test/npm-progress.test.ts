// Issue 16, first run: `npm start` on a fresh clone runs `npm ci` (scripts/ensure-node-modules.sh),
// which used to be silent for ~3 minutes. The script is run here as `npm start` runs it, with a
// stand-in `npm` on PATH that replays the output the real `npm ci --loglevel info` printed on
// this machine (test/fixtures/npm-ci-info.txt, npm 11.19.1): installing for real would touch
// the shared node modules.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/gateway.ts';

function fakeCheckout(npmExit: number): { dir: string; run: () => ReturnType<typeof spawnSync> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-npm-'));
  mkdirSync(path.join(dir, 'scripts'));
  mkdirSync(path.join(dir, 'bin'));
  for (const f of ['scripts/ensure-node-modules.sh', 'scripts/npm-progress.mjs', 'package-lock.json']) copyFileSync(path.join(ROOT, f), path.join(dir, f));
  const npm = path.join(dir, 'bin/npm');
  writeFileSync(
    npm,
    `#!/bin/sh\necho "$*" > "${dir}/npm-args"\necho "ONNXRUNTIME_NODE_INSTALL=$ONNXRUNTIME_NODE_INSTALL" > "${dir}/npm-env"\ncat "${path.join(ROOT, 'test/fixtures/npm-ci-info.txt')}"\nexit ${npmExit}\n`,
  );
  chmodSync(npm, 0o755);
  const run = () =>
    spawnSync('bash', [path.join(dir, 'scripts/ensure-node-modules.sh')], {
      cwd: dir,
      env: { ...process.env, PATH: `${path.join(dir, 'bin')}:${path.dirname(process.execPath)}:/usr/bin:/bin` },
      encoding: 'utf8',
      timeout: 60_000,
    });
  return { dir, run };
}

describe('scripts/ensure-node-modules.sh (the prestart of npm start)', () => {
  it('shows progress of npm ci: what it does, packages fetched, native builds, npm warnings, the end', () => {
    const { dir, run } = fakeCheckout(0);
    const r = run();
    expect(r.status).toBe(0);
    const err = String(r.stderr);
    expect(err).toContain('installing node modules (npm ci');
    // a pipe (not a terminal): one progress line per tenth of the expected packages
    expect(err).toMatch(/^ {2}fetched \d+ of about \d+ packages$/m);
    expect(err).toContain('  fetched 40 of about');
    expect(err).toContain('running better-sqlite3@12.11.1 install');
    expect(err).toContain('npm warn EBADENGINE'); // npm's warnings still reach the person
    expect(err).toContain('added 251 packages in 3m');
    expect(err).not.toContain('http fetch'); // not npm's raw log
    expect(readFileSync(path.join(dir, 'npm-args'), 'utf8')).toContain('ci');
    // onnxruntime-node's CUDA download stays skipped, whatever npm version runs it
    expect(readFileSync(path.join(dir, 'npm-env'), 'utf8').trim()).toBe('ONNXRUNTIME_NODE_INSTALL=skip');
  });

  it('a failing npm ci fails the start', () => {
    const { run } = fakeCheckout(1);
    expect(run().status).not.toBe(0);
  });
});

describe('package.json', () => {
  it('needs nothing that refuses Node 20 (the README says Node 20): cookie for light-my-request is overridden to 1.x', () => {
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } }> };
    const node22Only = Object.entries(lock.packages).filter(([, p]) => /^>=\s*2[2-9]/.test(p.engines?.node ?? ''));
    expect(node22Only).toEqual([]);
  });
});
