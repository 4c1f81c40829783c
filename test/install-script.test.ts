// scripts/install.sh in prefix mode (--root DIR): the files it lays out and their modes,
// a second run that changes nothing, a site's own config and key left alone, a dry run
// that touches nothing, and an uninstall that keeps config and data unless --purge.
// Users, ownership, npm and systemctl are only printed under --root (checked as such);
// the last block runs the real-root path in a private mount namespace instead.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEY_BYTES, loadOrCreateKey } from '../gateway/biometrics/key.ts';
import { ROOT } from './helpers/gateway.ts';
import { SHARED_MODELS_DIR } from '../bench/recognition/photos.ts';

const temps: string[] = [];
const tempRoot = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-install-'));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

// The installer copies the checkout it lives in: run it from a snapshot, so edits made to
// the working tree while the tests run cannot show up as changes between two runs.
const SRC = tempRoot();
for (const part of ['bin', 'config', 'drivers', 'gateway', 'kiosk', 'models', 'scripts', 'systemd', 'package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'README.md'])
  if (existsSync(path.join(ROOT, part))) cpSync(path.join(ROOT, part), path.join(SRC, part), { recursive: true });
const INSTALL = path.join(SRC, 'scripts/install.sh');

function install(...args: string[]) {
  const r = spawnSync('bash', [INSTALL, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`install.sh ${args.join(' ')} exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
  return { out: r.stdout, lines: r.stdout.split('\n').filter(Boolean), changes: r.stdout.split('\n').filter((l) => /^(changed|would): /.test(l)) };
}
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('install.sh --root', () => {
  const root = tempRoot();
  let first: ReturnType<typeof install>;
  beforeAll(() => {
    first = install('--root', root);
  });
  const at = (p: string) => path.join(root, p);

  it('lays out config, data, key, app, units and the command', () => {
    expect(mode(at('etc/canteen-edge'))).toBe('750');
    expect(mode(at('etc/canteen-edge/gateway.yaml'))).toBe('640');
    expect(readFileSync(at('etc/canteen-edge/gateway.yaml'), 'utf8')).toBe(readFileSync(path.join(SRC, 'config/gateway.yaml'), 'utf8'));
    expect(readFileSync(at('etc/canteen-edge/kiosk.env'), 'utf8')).toMatch(/^KIOSK_URL=http:\/\/localhost:8080\/$/m);
    expect(mode(at('var/lib/canteen-edge'))).toBe('750');
    expect(mode(at('var/lib/canteen-edge/biometric.key'))).toBe('600');
    expect(statSync(at('var/lib/canteen-edge/biometric.key')).size).toBe(KEY_BYTES);
    for (const unit of ['canteen-edge.service', 'canteen-kiosk.service']) {
      expect(readFileSync(at(`etc/systemd/system/${unit}`), 'utf8')).toBe(readFileSync(path.join(SRC, 'systemd', unit), 'utf8'));
      expect(mode(at(`etc/systemd/system/${unit}`))).toBe('644');
    }
    expect(mode(at('opt/canteen-edge/bin/canteen-edge.js'))).toBe('755');
    expect(readFileSync(at('opt/canteen-edge/gateway/cli/start.ts'), 'utf8')).toBe(readFileSync(path.join(SRC, 'gateway/cli/start.ts'), 'utf8'));
    expect(existsSync(at('opt/canteen-edge/test'))).toBe(false); // the app, not the test suite
    expect(mode(at('usr/local/bin/canteen-edge'))).toBe('755');
    expect(first.changes.length).toBeGreaterThan(10);
    expect(first.lines.at(-1)).toBe(`install: ${first.changes.length} changes made`);
  });

  it('only prints what needs the real root: accounts, npm, systemctl', () => {
    for (const what of [/useradd --system .* canteen-edge/, /useradd --system .* kiosk/, /groupadd --system gpio/, /npm ci --omit=dev/, /npm run build/, /systemctl daemon-reload/, /systemctl enable --now canteen-edge.service/, /systemctl enable --now canteen-kiosk.service/])
      expect(first.lines.filter((l) => l.startsWith('skipped (--root): ')).some((l) => what.test(l)), String(what)).toBe(true);
  });

  it('the key is one the gateway accepts, and the installed config passes config check', () => {
    const key = at('var/lib/canteen-edge/biometric.key');
    expect(loadOrCreateKey(key)).toEqual(readFileSync(key));
    // the installed app with this checkout's node modules (npm ci is skipped under --root)
    symlinkSync(path.join(ROOT, 'node_modules'), at('opt/canteen-edge/node_modules'));
    const installed = spawnSync(process.execPath, [at('opt/canteen-edge/bin/canteen-edge.js'), 'config', 'check', '--config', at('etc/canteen-edge/gateway.yaml')], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, CANTEEN_EDGE_DATA_DIR: at('var/lib/canteen-edge') },
    });
    expect(installed.stderr).toBe('');
    expect(installed.status).toBe(0);
    expect(JSON.parse(installed.stdout)).toMatchObject({ ok: true });
  });

  it('a second run changes nothing and says so', () => {
    const key = readFileSync(at('var/lib/canteen-edge/biometric.key'));
    const again = install('--root', root);
    expect(again.changes).toEqual([]);
    expect(again.lines.at(-1)).toBe('install: nothing to change');
    expect(readFileSync(at('var/lib/canteen-edge/biometric.key'))).toEqual(key);
  });

  it("keeps the site's config and key, repairs modes, and updates only what changed", () => {
    const key = readFileSync(at('var/lib/canteen-edge/biometric.key'));
    writeFileSync(at('etc/canteen-edge/gateway.yaml'), 'site: { name: 本地 }\n');
    chmodSync(at('var/lib/canteen-edge/biometric.key'), 0o644);
    writeFileSync(at('opt/canteen-edge/gateway/cli/start.ts'), '// tampered\n');
    const run = install('--root', root);
    expect(run.changes).toEqual(['changed: update /opt/canteen-edge/gateway/cli/start.ts', 'changed: mode of /var/lib/canteen-edge/biometric.key → 600']);
    expect(readFileSync(at('etc/canteen-edge/gateway.yaml'), 'utf8')).toBe('site: { name: 本地 }\n');
    expect(readFileSync(at('var/lib/canteen-edge/biometric.key'))).toEqual(key);
    expect(mode(at('var/lib/canteen-edge/biometric.key'))).toBe('600');
  });

  it('uninstall keeps config and data; a second uninstall changes nothing; --purge removes them', () => {
    const un = install('--uninstall', '--root', root);
    expect(un.lines).toContain('kept: /etc/canteen-edge (remove with --uninstall --purge)');
    expect(un.lines).toContain('kept: /var/lib/canteen-edge (remove with --uninstall --purge)');
    for (const gone of ['opt/canteen-edge', 'etc/systemd/system/canteen-edge.service', 'etc/systemd/system/canteen-kiosk.service', 'usr/local/bin/canteen-edge']) expect(existsSync(at(gone)), gone).toBe(false);
    expect(existsSync(at('var/lib/canteen-edge/biometric.key'))).toBe(true);
    expect(existsSync(at('etc/canteen-edge/gateway.yaml'))).toBe(true);

    const again = install('--uninstall', '--root', root);
    expect(again.changes).toEqual([]);
    expect(again.lines.at(-1)).toBe('uninstall: nothing to change');

    const purge = spawnSync('bash', [path.join(SRC, 'scripts/uninstall.sh'), '--purge', '--root', root], { encoding: 'utf8' });
    expect(purge.status).toBe(0);
    expect(purge.stdout).toMatch(/changed: remove \/var\/lib\/canteen-edge/);
    expect(existsSync(at('var/lib/canteen-edge'))).toBe(false);
    expect(existsSync(at('etc/canteen-edge'))).toBe(false);
  });
});

describe('install.sh --dry-run', () => {
  it('says what it would do and touches nothing', () => {
    const root = tempRoot();
    const dry = install('--dry-run', '--root', root);
    expect(dry.changes.length).toBeGreaterThan(10);
    expect(dry.changes.every((l) => l.startsWith('would: '))).toBe(true);
    expect(dry.changes).toContain('would: create biometric key /var/lib/canteen-edge/biometric.key (32 random bytes, 600 canteen-edge:canteen-edge)');
    expect(dry.lines.at(-1)).toBe(`install: dry run, ${dry.changes.length} changes would be made`);
    expect(readdirSync(root)).toEqual([]);
  });

  it('refuses unknown options and a kiosk URL that is not http(s)', () => {
    const r = spawnSync('bash', [INSTALL, '--root', tempRoot(), '--kiosk-url', 'localhost:8080'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--kiosk-url localhost:8080: expected an http/);
    const u = spawnSync('bash', [INSTALL, '--rot', '/tmp/x'], { encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/unknown option --rot/);
  });
});

// The real-root path (accounts, ownership, systemctl, npm, apt) without touching this
// machine: a private mount namespace with overlays over /etc, /opt, /usr and /var, so
// useradd, chown and the files land in throw-away upper directories. systemctl, npm and
// apt-get are stubs that record their calls and remember enabled/active units.
describe('install.sh and the models', () => {
  it('without a bundle under --root it only prints the models pull (network); the gateway says what is off', { timeout: 240_000 }, () => {
    const r = install('--root', tempRoot());
    expect(r.lines).toContain('skipped (--root): canteen-edge models pull --models-dir /var/lib/canteen-edge/models');
  });

  it('--models-bundle FILE installs the models offline, checked; a second run changes nothing', { timeout: 240_000 }, () => {
    // a bundle made on another box (the test fixtures' models), and this checkout's node modules for the command
    if (!existsSync(path.join(SRC, 'node_modules'))) symlinkSync(path.join(ROOT, 'node_modules'), path.join(SRC, 'node_modules'));
    const bundle = path.join(tempRoot(), 'models.tar');
    const made = spawnSync(process.execPath, [path.join(ROOT, 'bin/canteen-edge.js'), 'models', 'bundle', '--out', bundle, '--only', 'yolox_nano', '--only', 'MobileFaceNet', '--models-dir', SHARED_MODELS_DIR], { encoding: 'utf8', timeout: 60_000 });
    expect(made.status, made.stderr).toBe(0);
    const root = tempRoot();
    const first = install('--root', root, '--models-bundle', bundle);
    expect(first.changes).toContain('changed: models installed: MobileFaceNet yolox_nano');
    expect(readdirSync(path.join(root, 'var/lib/canteen-edge/models')).sort()).toEqual(['MobileFaceNet.onnx', 'coco.names', 'yolox_nano.onnx']);
    const again = install('--root', root, '--models-bundle', bundle);
    expect(again.lines.at(-1)).toBe('install: nothing to change');
  });

  it('an unreadable bundle is a usage error; a damaged one leaves the install going, saying what stays off', { timeout: 240_000 }, () => {
    const r = spawnSync('bash', [INSTALL, '--root', tempRoot(), '--models-bundle', '/nonexistent/models.tar'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--models-bundle \/nonexistent\/models\.tar: no such readable file/);
    const junk = path.join(tempRoot(), 'junk.tar');
    writeFileSync(junk, 'not a tar at all'.repeat(100));
    const ok = spawnSync('bash', [INSTALL, '--root', tempRoot(), '--models-bundle', junk], { encoding: 'utf8', timeout: 120_000 });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/models not installed .*face pay, dish recognition and kitchen detection stay off until: sudo canteen-edge models pull/);
  });
});

describe('install.sh on the real root, inside a private mount namespace', () => {
  const STUBS: Record<string, string> = {
    systemctl: `echo "systemctl $*" >>"$STUB_DIR/calls"
cmd=$1; shift
unit=; now=0
for a in "$@"; do case "$a" in --now) now=1 ;; -*) ;; *) unit=$a ;; esac; done
case "$cmd" in
  is-enabled) [ -e "$STUB_DIR/$unit.enabled" ] ;;
  is-active) [ -e "$STUB_DIR/$unit.active" ] ;;
  enable) touch "$STUB_DIR/$unit.enabled" ;;
  start|restart) touch "$STUB_DIR/$unit.active" ;;
  disable) rm -f "$STUB_DIR/$unit.enabled"; [ $now = 0 ] || rm -f "$STUB_DIR/$unit.active" ;;
esac`,
    npm: `echo "npm $* (in $PWD)" >>"$STUB_DIR/calls"
mkdir -p node_modules && echo '{}' >node_modules/.package-lock.json`,
    'apt-get': `echo "apt-get $*" >>"$STUB_DIR/calls"
for p in "$@"; do case "$p" in -*|install) ;; *) printf '#!/bin/sh\\n' >"/usr/bin/$p"; chmod 755 "/usr/bin/$p" ;; esac; done`,
  };
  const STEPS = `
set -e
for d in etc opt usr var; do
  mkdir -p "$WORK/upper/$d" "$WORK/work/$d"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$WORK/upper/$d,workdir=$WORK/work/$d" "/$d"
done
export PATH="$STUB_DIR:$PATH"
install=${JSON.stringify(INSTALL)}
show() { stat -c '%a %U:%G %n' /etc/canteen-edge /etc/canteen-edge/gateway.yaml /var/lib/canteen-edge /var/lib/canteen-edge/biometric.key /opt/canteen-edge/bin/canteen-edge.js /etc/systemd/system/canteen-edge.service; }
echo "=== first"; bash "$install"
echo "=== second"; bash "$install"
echo "=== stat"; show
echo "=== users"; id -nG canteen-edge; id -nG kiosk
echo "=== update"; echo '// changed' >>/opt/canteen-edge/gateway/cli/start.ts; bash "$install"
echo "=== uninstall"; bash "$install" --uninstall
echo "=== uninstall again"; bash "$install" --uninstall
echo "=== after uninstall"; id -nG canteen-edge; ls /var/lib/canteen-edge; ls /etc/canteen-edge; ls /opt | grep -c canteen || true
echo "=== purge"; bash "$install" --uninstall --purge
echo "=== after purge"; getent passwd canteen-edge kiosk || echo "no such users"; ls /var/lib | grep -c canteen || true
echo "=== calls"; cat "$STUB_DIR/calls"
`;
  let sections: Record<string, string[]>;

  beforeAll(() => {
    const work = tempRoot();
    const stubs = path.join(work, 'stubs');
    mkdirSync(stubs);
    for (const [name, body] of Object.entries(STUBS)) {
      writeFileSync(path.join(stubs, name), `#!/bin/sh\n${body}\n`);
      chmodSync(path.join(stubs, name), 0o755);
    }
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', STEPS], {
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, WORK: work, STUB_DIR: stubs },
    });
    if (r.status !== 0) throw new Error(`namespace run exited ${r.status}:\n${r.stderr}\n${r.stdout}`);
    sections = {};
    let current = '';
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const m = /^=== (.+)$/.exec(line);
      if (m) sections[(current = m[1]!)] = [];
      else sections[current]!.push(line);
    }
  }, 300_000);

  it('creates the accounts, installs with ownership, runs npm ci and enables and starts both units', () => {
    const first = sections.first!;
    for (const line of [
      'changed: create system user canteen-edge (home /var/lib/canteen-edge)',
      'changed: create system user kiosk (home /var/lib/canteen-kiosk)',
      'changed: npm ci --omit=dev in /opt/canteen-edge',
      'changed: build the kiosk pages in /opt/canteen-edge (npm run build)',
      'changed: systemctl daemon-reload',
      'changed: systemctl enable canteen-edge.service',
      'changed: systemctl start canteen-edge.service',
      'changed: systemctl enable canteen-kiosk.service',
      'changed: systemctl start canteen-kiosk.service',
    ])
      expect(first).toContain(line);
    expect(sections.stat).toEqual([
      '750 root:canteen-edge /etc/canteen-edge',
      '640 root:canteen-edge /etc/canteen-edge/gateway.yaml',
      '750 canteen-edge:canteen-edge /var/lib/canteen-edge',
      '600 canteen-edge:canteen-edge /var/lib/canteen-edge/biometric.key',
      '755 root:root /opt/canteen-edge/bin/canteen-edge.js',
      '644 root:root /etc/systemd/system/canteen-edge.service',
    ]);
    expect(sections.users![0]).toBe('canteen-edge');
    expect(sections.users![1]!.split(' ').sort()).toEqual(['input', 'kiosk', 'render', 'video']);
    expect(sections.calls).toContain(`npm ci --omit=dev --no-fund --no-audit (in /opt/canteen-edge)`);
    expect(sections.calls).toContain(`npm run --silent build (in /opt/canteen-edge)`);
  });

  it('a second run changes nothing; a changed app file restarts the gateway only', () => {
    expect(sections.second).toEqual(['install: nothing to change']);
    expect(sections.update).toEqual(['changed: update /opt/canteen-edge/gateway/cli/start.ts', 'changed: systemctl restart canteen-edge.service (its files changed)', 'install: 2 changes made']);
  });

  it('uninstall stops the units and keeps accounts, config and data; --purge removes them', () => {
    expect(sections.uninstall).toContain('changed: systemctl disable --now canteen-kiosk.service');
    expect(sections.uninstall).toContain('changed: systemctl disable --now canteen-edge.service');
    expect(sections.uninstall).toContain('kept: /var/lib/canteen-edge (remove with --uninstall --purge)');
    expect(sections['uninstall again']!.filter((l) => !l.startsWith('kept: '))).toEqual(['uninstall: nothing to change']);
    expect(sections['after uninstall']).toEqual(['canteen-edge', 'biometric.key', 'gateway.yaml', 'kiosk.env', 'sim-camera', '0']);
    expect(sections.purge).toContain('changed: remove user canteen-edge');
    expect(sections['after purge']).toEqual(['no such users', '0']);
  });
});
