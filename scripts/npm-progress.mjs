// Turns `npm ci --loglevel info` output (on stdin) into progress a person can follow:
// how many packages are fetched so far, which native module is being built, npm's
// warnings and errors as they are, and npm's closing line. `npm ci` alone is silent
// for minutes on a Pi. Usage: npm ci --loglevel info 2>&1 | node scripts/npm-progress.mjs EXPECTED
import { createInterface } from 'node:readline';

const expected = Number(process.argv[2]) || 0;
const tty = Boolean(process.stderr.isTTY);
const out = (s) => process.stderr.write(s);
let fetched = 0;
let lastShown = -1;
let lastCount = 0;
let pendingLine = false; // a \r progress line is on screen

function progress() {
  const of = expected ? ` of about ${expected}` : '';
  if (tty) {
    out(`\r  fetched ${fetched}${of} packages`);
    pendingLine = true;
    return;
  }
  // a pipe or a log file: a line every 10 %, or every 25 packages when the total is unknown
  const step = expected ? Math.floor((fetched * 10) / expected) : Math.floor(fetched / 25);
  if (step !== lastShown) {
    lastShown = step;
    lastCount = fetched;
    out(`  fetched ${fetched}${of} packages\n`);
  }
}

function say(line) {
  if (pendingLine) out('\n');
  pendingLine = false;
  out(`${line}\n`);
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (/^npm http fetch GET 200 \S+\.tgz\b/.test(line)) {
    fetched++;
    progress();
  } else if (/^npm (warn|error|ERR!)/i.test(line)) {
    say(line);
  } else if (/^npm info run (\S+) (install|postinstall) node_modules\//.test(line)) {
    const [, pkg, script] = /^npm info run (\S+) (install|postinstall)/.exec(line);
    say(`  running ${pkg} ${script} (a native module: may take a while on a Pi)`);
  } else if (/^(added|removed|changed|up to date)\b/.test(line)) {
    say(line);
  }
});
lines.on('close', () => {
  if (pendingLine) out('\n');
  else if (fetched !== lastCount) out(`  fetched ${fetched}${expected ? ` of about ${expected}` : ''} packages\n`);
});
