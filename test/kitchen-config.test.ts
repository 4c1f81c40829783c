// The sample kitchen config (config/examples/kitchen.yaml) passes `canteen-edge config check`
// and loads with every camera kind through the camera driver's schema; mistakes in the
// kitchen section are named by key, value and what was expected.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../gateway/config/load.ts';
import { cli } from './helpers/cli.ts';

const EXAMPLE = path.resolve('config/examples/kitchen.yaml');

describe('config/examples/kitchen.yaml', () => {
  it('passes canteen-edge config check', () => {
    const r = cli(['config', 'check', '--config', EXAMPLE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({ ok: true, file: EXAMPLE });
  });

  it('loads: cameras through the driver schema with paths resolved, zones, rules and outputs', () => {
    const c = loadConfig(EXAMPLE, {});
    const cams = Object.fromEntries(c.devices.cameras.map((x) => [x.id, x]));
    expect(cams['prep-line']!.source).toMatchObject({ type: 'ffmpeg', url: 'rtsp://viewer:secret@192.168.1.64:554/Streaming/Channels/102', rtsp_transport: 'tcp' });
    expect(cams['store-room']!.source).toMatchObject({ type: 'ffmpeg', url: path.resolve('config/sim-camera-demo.mp4'), loop: true });
    expect(cams.pass!.source).toEqual({ type: 'files', path: path.resolve('config/sim-camera') });
    expect(cams.wok!.motion).toEqual({ enabled: true, pixel_threshold: 12, min_changed_ratio: 0.01, hold_ms: 2000, max_idle_ms: 30_000 });
    const prep = c.kitchen.cameras.find((k) => k.camera === 'prep-line')!;
    expect(prep.zones.map((z) => `${z.id}:${z.units}:${z.anchor}`)).toEqual(['cutting:normalised:bottom', 'door:pixels:centre']);
    expect(prep.rules.map((r) => `${r.id}:${r.when.label}:${r.when.is}:${r.min_duration_ms}`)).toEqual(['no-mask:person:without_mask:5000', 'phone:cell phone:present:10000', 'after-hours:person:present:2000']);
    expect(c.kitchen.outputs.map((o) => `${o.severity}:${o.pin}:${o.kind}`)).toEqual(['critical:529:buzzer', 'warning:539:light']);
    expect(c.kitchen.retention.by_type).toEqual({ no_mask: 30, phone: 30, rodent: 365 });
  });

  it('names a rule\'s unknown zone and a camera not in devices.cameras (exit 2)', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kitchen-config-'));
    const file = path.join(dir, 'bad.yaml');
    const text = readFileSync(EXAMPLE, 'utf8').replace('zones: [cutting]', 'zones: [cuting]').replace('- camera: store-room', '- camera: store-rom');
    writeFileSync(file, text.replaceAll('../', `${path.resolve('config')}/../`));
    const r = cli(['config', 'check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.json().errors).toEqual([
      { path: 'kitchen.cameras[0].rules[0].zones[0]', message: 'unknown zone "cuting"; expected one of this camera\'s zones: cutting, door' },
      { path: 'kitchen.cameras[1].camera', message: 'unknown camera "store-rom"; expected one of devices.cameras: prep-line, wok, store-room, pass' },
    ]);
  });

  it('refuses an unknown key in a rule, naming what was expected', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kitchen-config-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'devices: { cameras: [{ id: a, source: { type: files, path: . } }] }\nkitchen: { cameras: [{ camera: a, rules: [{ id: r, alert: phone, when: { label: cell phone }, min_duraton_ms: 5 }] }] }\n');
    const r = cli(['config', 'check', '--config', file]);
    expect(r.code).toBe(2);
    const [e] = r.json().errors;
    expect(e.path).toBe('kitchen.cameras[0].rules[0].min_duraton_ms');
    expect(e.message).toContain('did you mean "min_duration_ms"');
  });
});
