// One event mechanism (issue 17): alerts, records, readings, account changes and face-pay
// availability all travel on the typed bus (gateway/bus/event-bus.ts, payloads in
// gateway/wire/bus.ts). A static check over the gateway's source: every event the bus
// declares is emitted somewhere and heard somewhere, and nothing is emitted that nobody hears.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

const files = sources('gateway').map((f) => ({ file: f, text: readFileSync(path.join(ROOT, f), 'utf8') }));
const declared = [...readFileSync(path.join(ROOT, 'gateway/wire/bus.ts'), 'utf8').matchAll(/^\s*'([a-z-]+:[a-z-]+)':/gm)].map((m) => m[1]!);

/** event name → files where `bus.<verb>('name'` is written */
function uses(verb: 'emit' | 'on'): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const re = new RegExp(`\\bbus\\.${verb === 'emit' ? '(?:emit|emitOrThrow)' : verb}\\(\\s*'([^']+)'`, 'g');
  for (const { file, text } of files) {
    for (const m of text.matchAll(re)) out.set(m[1]!, [...(out.get(m[1]!) ?? []), file]);
  }
  return out;
}

it('reads the bus declaration and the gateway source', () => {
  expect(declared.length).toBeGreaterThan(10);
  expect(declared).toContain('alert:new');
  expect(files.length).toBeGreaterThan(100);
});

it('names every emitted event literally, so this check sees them all', () => {
  const dynamic = files.flatMap(({ file, text }) => [...text.matchAll(/\bbus\.(?:emit|emitOrThrow)\(\s*([^'\s][^,]*),/g)].map((m) => `${file}: bus.emit(${m[1]}, …)`));
  expect(dynamic).toEqual([]);
});

it('emits every declared bus event, and only declared ones', () => {
  const emitted = uses('emit');
  expect(declared.filter((e) => !emitted.has(e))).toEqual([]);
  expect([...emitted.keys()].filter((e) => !declared.includes(e))).toEqual([]);
});

it('has a listener in the gateway for every event it emits (none emitted and unheard)', () => {
  const emitted = uses('emit');
  const heard = uses('on');
  const unheard = [...emitted.entries()].filter(([e]) => !heard.has(e)).map(([e, where]) => `${e} (emitted in ${where.join(', ')})`);
  expect(unheard).toEqual([]);
});

it('keeps no listener list of its own beside the bus (subscribe/onUpdate/onAvailability/onAccountChange/onRevoke)', () => {
  const adHoc = files.flatMap(({ file, text }) => [...text.matchAll(/^\s+(subscribe|onUpdate|onAvailability|onAccountChange|onRevoke)\(fn\b/gm)].map((m) => `${file}: ${m[1]}`));
  expect(adHoc).toEqual([]);
});
