import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/cli.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'canteen-edge-cli-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('canteen-edge config check', () => {
  it('accepts the shipped config: {"ok": true}, exit 0', () => {
    const r = cli(['config', 'check', '--config', 'config/gateway.yaml']);
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ ok: true });
  });

  it('exits 2 naming an unknown key', () => {
    const r = cli(['config', 'check', '--config', file('bad.yaml', 'totally_unknown_key: 5\n')]);
    expect(r.code).toBe(2);
    const doc = r.json();
    expect(doc.ok).toBe(false);
    expect(doc.errors).toEqual([{ path: 'totally_unknown_key', message: expect.stringContaining('unknown key') }]);
    expect(r.stderr).toContain('totally_unknown_key');
  });

  it('exits 2 naming the path and expected type of a wrong value', () => {
    const r = cli(['config', 'check', '--config', file('port.yaml', 'server:\n  port: "fast"\n')]);
    expect(r.code).toBe(2);
    expect(r.json().errors).toEqual([{ path: 'server.port', message: 'got "fast" (string); expected a number' }]);
  });

  it('reports every mistake in one pass, with "did you mean" for values (issue 16)', () => {
    const yaml = [
      'log: { level: inof }',
      'devices:',
      '  meters:',
      '    - { id: m1, profile: sdm63, transport: { type: tcp, host: 127.0.0.1, port: 5020 }, poll_ms: 5 }',
      '',
    ].join('\n');
    const r = cli(['config', 'check', '--config', file('one-pass.yaml', yaml)]);
    expect(r.code).toBe(2);
    const errors = r.json().errors as { path: string; message: string }[];
    // the schema's findings and the profile typo, which used to show only after poll_ms was fixed
    expect(errors.map((e) => e.path).sort()).toEqual(['devices.meters[0].poll_ms', 'devices.meters[0].profile', 'log.level']);
    expect(errors.find((e) => e.path === 'devices.meters[0].profile')!.message).toContain('did you mean "sdm630"?');
    expect(errors.find((e) => e.path === 'log.level')!.message).toContain('did you mean "info"?');
  });

  it('takes the file from CANTEEN_EDGE_CONFIG', () => {
    const r = cli(['config', 'check'], { CANTEEN_EDGE_CONFIG: file('env.yaml', 'log: { level: debug }\n') });
    expect(r.code).toBe(0);
    expect(r.json().file).toBe(path.join(dir, 'env.yaml'));
  });
});

describe('canteen-edge', () => {
  it('start refuses a bad config with exit 2 before starting anything', () => {
    const r = cli(['start', '--config', file('bad-start.yaml', 'devices:\n  meters: 5\n')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('devices.meters: got 5 (number); expected a list');
    expect(r.stdout).toBe('');
  });

  it('an unknown flag is a usage error naming it', () => {
    const r = cli(['config', 'check', '--confgi', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'--confgi'");
    expect(r.stderr).toContain('usage: canteen-edge config check');
  });

  it('an unknown command is a usage error listing the commands', () => {
    const r = cli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    expect(r.stderr).toContain('config check');
  });

  it('has --help for every command', () => {
    const top = cli(['--help']);
    expect(top.code).toBe(0);
    for (const words of [['start'], ['config', 'check']]) {
      const r = cli([...words, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`canteen-edge ${words.join(' ')}`);
    }
  });
});
