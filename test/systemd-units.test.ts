// The systemd units, checked by systemd itself: `systemd-analyze verify` on copies in a
// temporary directory (programs that are not installed on a test machine, cage and
// xinit, are replaced by stubs there; node by the one running this test), plus the
// settings the gateway's design depends on. verify only warns about a misspelt key or
// a bad value and still exits 0, so any output at all counts as a failure: the broken
// copies below show that such a failure is caught.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SHUTDOWN_DEADLINE_MS } from '../gateway/cli/start.ts';
import { ROOT } from './helpers/gateway.ts';

const SYSTEMD = path.join(ROOT, 'systemd');
const EDGE = 'canteen-edge.service';
const KIOSK = 'canteen-kiosk.service';
const STUBBED = ['/usr/bin/cage', '/usr/bin/chromium', '/usr/bin/xinit'];

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** Copies the units (and optional drop-ins) into a temp dir with stubbed programs; `edit` may break one. */
function prepare(opts: { dropIns?: Record<string, string>; edit?: (unit: string, text: string) => string } = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-units-'));
  temps.push(dir);
  mkdirSync(path.join(dir, 'bin'));
  const rewrite = (text: string) => {
    let out = text.replaceAll('/usr/bin/node ', `${process.execPath} `);
    for (const p of STUBBED) out = out.replaceAll(p, path.join(dir, 'bin', path.basename(p)));
    return out;
  };
  for (const p of STUBBED) {
    const stub = path.join(dir, 'bin', path.basename(p));
    writeFileSync(stub, '#!/bin/sh\nexit 0\n');
    chmodSync(stub, 0o755);
  }
  for (const unit of [EDGE, KIOSK]) {
    const text = rewrite(readFileSync(path.join(SYSTEMD, unit), 'utf8'));
    writeFileSync(path.join(dir, unit), opts.edit ? opts.edit(unit, text) : text);
  }
  for (const [target, source] of Object.entries(opts.dropIns ?? {})) {
    const [unit, name] = target.split('/') as [string, string];
    mkdirSync(path.join(dir, `${unit}.d`), { recursive: true });
    writeFileSync(path.join(dir, `${unit}.d`, name), rewrite(readFileSync(path.join(SYSTEMD, source), 'utf8')));
  }
  return dir;
}

function verify(dir: string) {
  const r = spawnSync('/usr/bin/systemd-analyze', ['verify', '--man=no', path.join(dir, EDGE), path.join(dir, KIOSK)], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

/** `Key=value` lines of a unit (continuations joined); a key set twice keeps every value. */
function settings(unit: string): Map<string, string[]> {
  const text = readFileSync(path.join(SYSTEMD, unit), 'utf8').replace(/\\\n\s*/g, ' ');
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) map.set(m[1]!, [...(map.get(m[1]!) ?? []), m[2]!.trim()]);
  }
  return map;
}
const one = (s: Map<string, string[]>, key: string) => {
  const v = s.get(key);
  expect(v, key).toHaveLength(1);
  return v![0]!;
};

describe('systemd-analyze verify', () => {
  it('finds nothing to say about either unit', () => {
    expect(verify(prepare())).toEqual({ code: 0, output: '' });
  });

  it('accepts the documented drop-ins (X11 kiosk, HX711 on sysfs GPIO)', () => {
    const dir = prepare({ dropIns: { [`${KIOSK}/x11.conf`]: 'kiosk-x11.conf.example', [`${EDGE}/hx711-gpio.conf`]: 'hx711-gpio.conf.example' } });
    expect(verify(dir)).toEqual({ code: 0, output: '' });
  });

  it('catches a misspelt key, a bad value and a missing program (broken copies)', () => {
    const typo = verify(prepare({ edit: (u, t) => (u === EDGE ? t.replace('WatchdogSec=', 'WatchdogSex=') : t) }));
    expect(typo.output).toMatch(/Unknown key 'WatchdogSex'/);
    const badValue = verify(prepare({ edit: (u, t) => (u === EDGE ? t.replace('Type=notify', 'Type=notfy') : t) }));
    expect(badValue.output).toMatch(/Failed to parse service type/);
    const missing = verify(prepare({ edit: (u, t) => (u === KIOSK ? t.replace(/^ExecStart=\S+/m, 'ExecStart=/nonexistent/cage') : t) }));
    expect(missing.code).not.toBe(0);
    expect(missing.output).toMatch(/\/nonexistent\/cage is not executable/);
  });
});

/** `systemd-analyze security --offline` exposure of the gateway unit, 0 (locked down) to 10 */
function exposure(dir: string) {
  const r = spawnSync('/usr/bin/systemd-analyze', ['security', '--offline=yes', '--no-pager', path.join(dir, EDGE)], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  const m = /Overall exposure level for canteen-edge\.service: (\d+\.\d)/.exec(r.stdout);
  if (!m) throw new Error(`no exposure level in:\n${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

describe('canteen-edge.service', () => {
  const s = settings(EDGE);

  it('keeps systemd-analyze security exposure at or below 4.0 (a unit without the hardening block is far above)', () => {
    expect(exposure(prepare())).toBeLessThanOrEqual(4.0);
    const bare = prepare({ edit: (u, t) => (u === EDGE ? t.slice(0, t.indexOf('# Hardening.')) + t.slice(t.indexOf('[Install]')) : t) });
    expect(exposure(bare)).toBeGreaterThan(4.0);
  });

  it('runs the installed command through node, not npm, as its own user', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(one(s, 'ExecStart')).toBe(`/usr/bin/node /opt/canteen-edge/${pkg.bin['canteen-edge']} start --config /etc/canteen-edge/gateway.yaml`);
    expect(one(s, 'User')).toBe('canteen-edge');
    expect(one(s, 'SupplementaryGroups').split(/\s+/).sort()).toEqual(['dialout', 'gpio', 'video']);
    expect(s.get('Environment')).toContain('CANTEEN_EDGE_DATA_DIR=/var/lib/canteen-edge');
  });

  it('is Type=notify with a watchdog the notifier can feed, restarted on failure', () => {
    expect(one(s, 'Type')).toBe('notify');
    // the pings come from a systemd-notify child (gateway/systemd/notify.ts), not the main PID
    expect(one(s, 'NotifyAccess')).toBe('all');
    expect(one(s, 'WatchdogSec')).toMatch(/^\d+s$/);
    expect(one(s, 'Restart')).toBe('on-failure');
    // systemd waits longer than the gateway's own shutdown deadline before SIGKILL
    expect(parseInt(one(s, 'TimeoutStopSec'), 10) * 1000).toBeGreaterThan(SHUTDOWN_DEADLINE_MS);
  });

  it('is hardened, writes only to its data directory, and lets V8 JIT', () => {
    for (const key of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'ProtectKernelTunables', 'ProtectKernelModules', 'LockPersonality']) expect(one(s, key), key).toBe('yes');
    expect(one(s, 'ProtectSystem')).toBe('strict');
    expect(s.get('ReadWritePaths')).toEqual(['/var/lib/canteen-edge']);
    expect(one(s, 'RestrictAddressFamilies').split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX']);
    expect(s.has('MemoryDenyWriteExecute')).toBe(false);
    expect(s.has('PrivateDevices')).toBe(false);
  });
});

describe('canteen-kiosk.service', () => {
  const s = settings(KIOSK);

  it('shows KIOSK_URL in Chromium kiosk mode under cage, restarted always, after the gateway', () => {
    const exec = one(s, 'ExecStart').split(/\s+/);
    expect(exec.slice(0, 4)).toEqual(['/usr/bin/cage', '-s', '--', '/usr/bin/chromium']);
    for (const flag of ['--kiosk', '--noerrdialogs', '--disable-infobars', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-translate']) expect(exec).toContain(flag);
    expect(exec.at(-1)).toBe('${KIOSK_URL}');
    expect(s.get('EnvironmentFile')).toEqual(['-/etc/canteen-edge/kiosk.env']);
    expect(one(s, 'Restart')).toBe('always');
    expect(one(s, 'User')).toBe('kiosk');
    expect(s.get('After')!.join(' ').split(/\s+/)).toContain(EDGE);
    expect(one(s, 'Wants')).toBe(EDGE);
  });

  it('the X11 drop-in replaces ExecStart with the same Chromium flags under xinit', () => {
    const x11 = readFileSync(path.join(SYSTEMD, 'kiosk-x11.conf.example'), 'utf8').replace(/\\\n\s*/g, ' ');
    const cage = one(s, 'ExecStart').split(/\s+/).filter((a) => a.startsWith('--') && a !== '--ozone-platform=wayland' && a !== '--');
    const lines = x11.split('\n').filter((l) => l.startsWith('ExecStart='));
    expect(lines[0]).toBe('ExecStart='); // resets the unit's command first
    const xinit = lines[1]!.slice('ExecStart='.length).split(/\s+/);
    expect(xinit[0]).toBe('/usr/bin/xinit');
    for (const flag of cage.filter((f) => !f.startsWith('--check-for-update') && !f.startsWith('--overscroll'))) expect(xinit).toContain(flag);
  });
});

// keep the copy helper honest: the rewritten unit must still be the shipped one apart from paths
it('prepare() only rewrites program paths', () => {
  const dir = prepare();
  const copied = readFileSync(path.join(dir, KIOSK), 'utf8');
  const shipped = readFileSync(path.join(SYSTEMD, KIOSK), 'utf8');
  expect(copied.replaceAll(path.join(dir, 'bin') + '/', '/usr/bin/')).toBe(shipped);
});
