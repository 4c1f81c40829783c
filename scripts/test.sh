#!/usr/bin/env bash
# The whole test suite, also on a fresh machine: installs the Debian test peers
# when missing (as root), the node modules, then typechecks and runs vitest
# (unit, integration against real peers, page tests in Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/socat ] || need+=(socat)
/usr/bin/python3 -c 'import pymodbus' 2>/dev/null || need+=(python3-pymodbus)
# pymodbus's serial server needs these; they are only Recommends of python3-pymodbus
/usr/bin/python3 -c 'import serial_asyncio' 2>/dev/null || need+=(python3-serial-asyncio python3-serial)
[ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
[ -x /usr/bin/ffmpeg ] || need+=(ffmpeg)
[ -x /usr/bin/chromium ] || need+=(chromium)
# a CJK font: the page tests fail on Chinese drawn as missing-glyph boxes (test/pages/cjk-font.test.ts)
[ -n "$(fc-list :lang=zh family 2>/dev/null | head -n 1)" ] || need+=(fonts-wqy-microhei)
# the unit tests run systemd-analyze verify and the watchdog test uses systemd-notify
[ -x /usr/bin/systemd-analyze ] && [ -x /usr/bin/systemd-notify ] || need+=(systemd)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian test peers: ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  else
    echo "missing Debian test peers: ${need[*]}; run as root, or: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

bash scripts/ensure-node-modules.sh
# the real models and photos the tests use (test/fixtures): cached, or stop here with one message
npx tsx scripts/fixtures.ts
echo "typecheck (tsc --noEmit)…" >&2
npx tsc --noEmit
# the kiosk pages, built once (kiosk/dist) before the gateways the tests start read them
npx tsx scripts/build-kiosk.ts

results=$(mktemp)
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$results" "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$results" || true
rm -f "$results"
exit $status
