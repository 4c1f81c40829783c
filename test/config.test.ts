import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../gateway/config/load.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-config-'));
let n = 0;
function write(text: string): string {
  const file = path.join(dir, `c${n++}.yaml`);
  writeFileSync(file, text);
  return file;
}
function issuesOf(text: string, env: NodeJS.ProcessEnv = {}) {
  try {
    loadConfig(write(text), env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected the config to be rejected');
}

describe('config', () => {
  it('an empty file is a valid config with defaults, paths resolved against the file', () => {
    const file = write('');
    const c = loadConfig(file, {});
    expect(c.server.port).toBe(8080);
    expect(c.log.level).toBe('info');
    expect(c.paths.data_dir).toBe(path.join(dir, 'data'));
    expect(c.paths.models_dir).toBe(path.join(dir, 'data', 'models'));
    expect(c.simulators.energy_meter.enabled).toBe(false);
    expect(c.devices.meters).toEqual([]);
  });

  it('the shipped config is valid and runs on simulators', () => {
    const c = loadConfig(path.resolve('config/gateway.yaml'), {});
    expect(c.simulators.energy_meter.enabled).toBe(true);
    expect(c.simulators.scale.enabled).toBe(true);
    expect(c.devices.meters[0]!.transport!.port).toBe(c.simulators.energy_meter.port);
    expect(c.devices.cameras[0]!.source).toMatchObject({ type: 'files', path: path.resolve('config/sim-camera') });
  });

  it('names an unknown top-level key, its value and the keys expected', () => {
    const [issue, ...rest] = issuesOf('totally_unknown_key: 5\n');
    expect(rest).toEqual([]);
    expect(issue!.path).toBe('totally_unknown_key');
    expect(issue!.message).toContain('unknown key (value 5 (number))');
    expect(issue!.message).toContain('server');
  });

  it('suggests the key a typo meant', () => {
    const [issue] = issuesOf('server:\n  prot: 9000\n');
    expect(issue).toEqual({ path: 'server.prot', message: expect.stringContaining('did you mean "port"?') });
  });

  it('names the path, the bad value and the expected type', () => {
    const [issue] = issuesOf('server:\n  port: "fast"\n');
    expect(issue!.path).toBe('server.port');
    expect(issue!.message).toBe('got "fast" (string); expected a number');
  });

  it('reports every problem at once, down into lists', () => {
    const issues = issuesOf(`
log: { level: loud }
devices:
  meters:
    - id: m1
      profile: sdm999
      transport: { type: tcp, host: 10.0.0.5, port: 70000 }
      baud: 9600
`);
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'log.level', message: expect.stringMatching(/^got "loud" \(string\); expected one of "fatal", "error"/) },
        { path: 'devices.meters[0].transport.port', message: 'got 70000 (number); expected at most 65535' },
        { path: 'devices.meters[0].baud', message: expect.stringContaining('unknown key (value 9600 (number))') },
      ]),
    );
  });

  it('names a missing required key', () => {
    const [issue] = issuesOf('devices:\n  scales:\n    - id: s1\n      transport: { type: tcp, host: h, port: 1 }\n');
    expect(issue).toEqual({ path: 'devices.scales[0].protocol', message: expect.stringMatching(/^missing; expected/) });
  });

  it('refuses an unknown meter profile and duplicate device ids', () => {
    const issues = issuesOf(`
devices:
  meters:
    - { id: a, profile: nope, transport: { type: tcp, host: h, port: 1 } }
  cameras:
    - { id: a, source: { type: files, path: x } }
`);
    expect(issues).toEqual([
      { path: 'devices.cameras[0].id', message: 'got "a", already used at devices.meters[0].id; expected a unique device id' },
      { path: 'devices.meters[0].profile', message: expect.stringMatching(/^got "nope"; expected one of .*"sdm630"/) },
    ]);
  });

  it('checks how each meter is reached, for its protocol', () => {
    const issues = issuesOf(`
buses:
  - { id: rs485, type: serial, path: /dev/ttyUSB0 }
  - { id: rs485, type: rtu-over-tcp, host: 10.1.1.1, port: 4001 }
devices:
  meters:
    - { id: a, profile: sdm630 }
    - { id: b, profile: dlt645-generic, transport: { type: tcp, host: h, port: 1 } }
    - { id: c, profile: sdm120, bus: rs486 }
`);
    expect(issues).toEqual([
      { path: 'buses[1].id', message: 'got "rs485", already used at buses[0].id; expected a unique bus id' },
      { path: 'devices.meters[0]', message: 'neither transport nor bus given; expected one of them' },
      { path: 'devices.meters[1].transport', message: 'profile dlt645-generic speaks DL/T 645, which needs an RS-485 line; expected bus: instead' },
      { path: 'devices.meters[1].address', message: 'missing; expected the 12-digit DL/T 645 address for profile dlt645-generic' },
      { path: 'devices.meters[2].bus', message: 'got "rs486"; expected the id of a line in buses: (rs485, rs485)' },
    ]);
  });

  it('checks a CJ/T 188 water meter like the others: an RS-485 line and its 14-digit address', () => {
    const issues = issuesOf(`
buses:
  - { id: rs485, type: serial, path: /dev/ttyUSB0, baud: 2400, parity: even }
devices:
  meters:
    - { id: w1, profile: cjt188-cold-water, transport: { type: tcp, host: h, port: 1 } }
    - { id: w2, profile: cjt188-cold-water, bus: rs485, address: '202107072529' }
    - { id: w3, profile: cjt188-cold-water, bus: rs485, address: '78330011223344' }
`);
    expect(issues).toEqual([
      { path: 'devices.meters[0].transport', message: 'profile cjt188-cold-water speaks CJ/T 188, which needs an RS-485 line; expected bus: instead' },
      { path: 'devices.meters[0].address', message: 'missing; expected the 14-digit CJ/T 188 address for profile cjt188-cold-water' },
      { path: 'devices.meters[1].address', message: 'got "202107072529"; expected the 14-digit CJ/T 188 address for profile cjt188-cold-water, as printed on the meter' },
    ]);
  });

  it('takes CT/PT ratios only for a meter whose profile reports secondary values', () => {
    const issues = issuesOf(`
devices:
  meters:
    - { id: a, profile: sdm630, transport: { type: tcp, host: h, port: 1 }, ratios: { current: 40 } }
    - { id: c, profile: dtsu666, transport: { type: tcp, host: h, port: 1 }, ratios: { current: 40 } }
`);
    expect(issues).toEqual([
      { path: 'devices.meters[0].ratios', message: 'profile sdm630 reports primary values (it has no ratio registers); expected no ratios, or a profile with `ratios` and `secondary` points' },
    ]);
    const zero = issuesOf(`
devices:
  meters:
    - { id: b, profile: dtsu666, transport: { type: tcp, host: h, port: 1 }, ratios: { current: 40, voltage: 0 } }
`);
    expect(zero).toEqual([{ path: 'devices.meters[0].ratios.voltage', message: 'got 0 (number); expected more than 0' }]);
  });

  it('takes a site profile from the config, and names its mistakes', () => {
    const good = loadConfig(write(`
profiles:
  - name: acrel-adl400
    description: Acrel ADL400 (site map)
    source: the meter's manual, p. 12
    function: holding
    points:
      - { name: energy_import, unit: kWh, kind: counter, register: "0x0000", type: uint32, scale: 0.01 }
devices:
  meters:
    - { id: m, profile: acrel-adl400, transport: { type: tcp, host: h, port: 502 } }
`), {});
    expect(good.profiles.get('acrel-adl400')!.points[0]!.name).toBe('energy_import');
    expect(issuesOf(`profiles:
  - { name: sdm630, description: x, source: y, function: input, points: [{ name: p, unit: V, kind: instantaneous, register: 0, type: float32 }] }
`)).toEqual([
      { path: 'profiles[0].name', message: 'got "sdm630", already the name of a shipped profile; expected a new name' },
    ]);
    const [bad] = issuesOf(`profiles:
  - { name: x, description: x, source: y, function: input, points: [{ name: p, unit: V, kind: instantaneous, register: 0, type: float33 }] }
`);
    expect(bad!.path).toBe('profiles[0].points[0].type');
  });

  it('reports YAML syntax errors', () => {
    const [issue] = issuesOf('server: [unclosed\n');
    expect(issue!.message).toMatch(/^YAML syntax/);
  });

  it('reports a missing file', () => {
    expect(() => loadConfig(path.join(dir, 'nope.yaml'), {})).toThrow(/cannot read config file: ENOENT/);
  });

  it('takes the port, data and models directories from the environment', () => {
    const c = loadConfig(write('server: { port: 1 }\n'), {
      CANTEEN_EDGE_PORT: '9123',
      CANTEEN_EDGE_DATA_DIR: 'rel/data',
      CANTEEN_EDGE_MODELS_DIR: '/opt/models',
    });
    expect(c.server.port).toBe(9123);
    expect(c.paths.data_dir).toBe(path.resolve('rel/data'));
    expect(c.paths.models_dir).toBe('/opt/models');
  });

  it('rejects a bad port in the environment, naming the variable', () => {
    expect(issuesOf('', { CANTEEN_EDGE_PORT: 'fast' })).toEqual([
      { path: 'CANTEEN_EDGE_PORT', message: 'got "fast"; expected an integer port 0-65535' },
    ]);
  });

  it('reads a secret from the file the config names', () => {
    const secretFile = path.join(dir, 'metrics.token');
    writeFileSync(secretFile, 's3cret\n');
    const c = loadConfig(write('server:\n  metrics_token: { file: metrics.token }\n'), {});
    expect(c.server.metrics_token).toBe('s3cret');
    expect(issuesOf('server:\n  metrics_token: { file: missing.token }\n')).toEqual([
      { path: 'server.metrics_token.file', message: expect.stringContaining('cannot read secret file') },
    ]);
  });
});
