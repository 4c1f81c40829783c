import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { configReference } from '../gateway/config/reference.ts';

it('docs/config.md is in step with the schema (run `npm run docs:config` after changing it)', () => {
  expect(readFileSync('docs/config.md', 'utf8')).toBe(configReference());
});

it('documents every key', () => {
  const doc = configReference();
  for (const key of ['server.port', 'devices.meters[].transport.port', 'simulators.scale.plates_g', 'paths.models_dir']) {
    expect(doc).toContain(`| \`${key}\` |`);
  }
  expect(doc).not.toMatch(/\| `[^`]+` \| [^|]+ \| [^|]* \|  \|\n/); // no key without a description
});
