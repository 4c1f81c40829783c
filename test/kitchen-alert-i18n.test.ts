// Every kitchen alert type the code or the shipped configs raise has its name in Chinese
// and English (kiosk/i18n/kitchen.ts), and every record alert's details are worded in both
// with the same values — so the board, its type filter and the alert text are never raw.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { kitchenDict } from '../kiosk/i18n/kitchen.ts';
import { ROOT } from './helpers/gateway.ts';

const files = (dir: string, ext: RegExp): string[] =>
  readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && ext.test(e.name))
    .map((e) => path.join(e.parentPath, e.name));

/** `type: 'x', severity:` in a raise — every producer in gateway/ writes its alerts so */
const raised = new Set(files('gateway', /\.ts$/).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/type: '([a-z][a-z0-9_]*)',\s*severity:/g)].map((m) => m[1]!)));
/** `alert: x` of the rules in the shipped configs */
const configured = new Set(files('config', /\.ya?ml$/).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\balert: ([a-z][a-z0-9_]*)/g)].map((m) => m[1]!)));
/** named in the issue as shown raw before (animal: a camera rule type sites use) */
const named = ['animal', 'morning_check_missing', 'morning_check_failed', 'sample_underweight'];
const dict = kitchenDict as Record<string, readonly [string, string]>;
const CJK = /[\u4e00-\u9fff]/;
const vars = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

it('finds the alert types of the code and configs', () => {
  expect([...raised]).toEqual(expect.arrayContaining(['morning_check_missing', 'morning_check_failed', 'sample_underweight', 'sample_missing', 'sample_retention_due', 'health_certificate_expiring']));
  expect([...configured]).toEqual(expect.arrayContaining(['no_mask', 'phone']));
});

it('names every alert type in Chinese first and in English', () => {
  const missing = [...new Set([...raised, ...configured, ...named])].filter((type) => {
    const entry = dict[`kitchen.type.${type}`];
    return !entry || !CJK.test(entry[0]) || !entry[1] || CJK.test(entry[1]);
  });
  expect(missing).toEqual([]);
});

it('words the details of every record alert in both languages with the same values', () => {
  const details = Object.keys(dict).filter((k) => k.startsWith('kitchen.detail.'));
  for (const type of raised) expect(details.some((k) => k === `kitchen.detail.${type}` || k.startsWith(`kitchen.detail.${type}.`)), type).toBe(true);
  for (const k of details) {
    const [zh, en] = dict[k]!;
    expect(CJK.test(zh), k).toBe(true);
    expect(CJK.test(en), k).toBe(false);
    expect(vars(en), k).toEqual(vars(zh));
  }
});
