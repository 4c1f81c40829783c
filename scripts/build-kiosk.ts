// Builds the kiosk pages once into kiosk/dist/<key>/ (gateway/server/kiosk-dist.ts),
// keyed by a hash of the sources; does nothing when a build of these sources is there.
//   npm run build [-- --out DIR] [--force]   build when missing or stale
//   npm run build -- --check                 exit 0 when up to date, 3 when a build is needed
import { parseArgs } from 'node:util';
import { buildKioskWithInputs } from '../kiosk/build.ts';
import { DEFAULT_KIOSK_DIST, findFreshBuild, hashInputs, writeKioskDist } from '../gateway/kiosk-dist.ts';

const { values } = parseArgs({ options: { out: { type: 'string' }, force: { type: 'boolean' }, check: { type: 'boolean' } } });
const out = values.out ?? DEFAULT_KIOSK_DIST;
const fresh = findFreshBuild(out);
if (values.check) {
  process.stderr.write(fresh ? `kiosk pages up to date: ${fresh}\n` : `kiosk pages need a build (npm run build): ${out}\n`);
  process.exit(fresh ? 0 : 3);
}
if (fresh && !values.force) {
  process.stderr.write(`kiosk pages up to date: ${fresh}\n`);
} else {
  const started = Date.now();
  const { files, inputs } = await buildKioskWithInputs();
  const dir = writeKioskDist(out, files, hashInputs(inputs));
  process.stderr.write(`kiosk pages built in ${Date.now() - started} ms: ${dir}\n`);
}
