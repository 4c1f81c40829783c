// Rewrites docs/config.md from the config schema.
import { writeFileSync } from 'node:fs';
import { configReference } from '../gateway/config/reference.ts';

writeFileSync(new URL('../docs/config.md', import.meta.url), configReference());
console.log('wrote docs/config.md');
