// `npm run fixtures [-- --mirror DIR|URL]`: fetches the test fixtures (real models and
// photos, test/fixtures/fixtures.json + models/manifests) into the cache. scripts/test.sh
// runs it first; on failure it prints the one message and exits 1.
import { parseArgs } from 'node:util';
import { CACHE_DIR, ensureFixtures, FixturesError } from '../test/fixtures/fixtures.ts';

const { values } = parseArgs({ options: { mirror: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true });
if (values.help) {
  process.stdout.write('npm run fixtures -- [--mirror DIR|URL]\n  fetches the test models and photos into CANTEEN_EDGE_CACHE (default ~/.cache/canteen-edge);\n  the mirror holds models/ and images/ (default: env CANTEEN_EDGE_FIXTURES_MIRROR, else ../shared), then the upstream URLs\n');
  process.exit(0);
}
try {
  const r = await ensureFixtures({ mirror: values.mirror, log: (l) => process.stderr.write(`fixtures: ${l}\n`) });
  process.stderr.write(`fixtures: ${r.cached + r.fetched.length} files ready in ${CACHE_DIR} (${r.fetched.length} fetched)\n`);
} catch (err) {
  if (!(err instanceof FixturesError)) throw err;
  process.stderr.write(`\n${err.message}\n\n`);
  process.exit(1);
}
