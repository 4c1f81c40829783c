#!/usr/bin/env bash
# Installs node modules from the lock file when they are missing or older than it,
# with progress (npm ci is otherwise silent for minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # onnxruntime-node's install script would fetch CUDA files (hundreds of MB) that a Pi
  # cannot use: package.json's allowScripts already denies it on npm 11 (the .npmrc key
  # does the same on older npm); the variable is what the script itself reads.
  export ONNXRUNTIME_NODE_INSTALL=skip
  expected=$(node -e '
    const l = require("./package-lock.json");
    const fits = (list, v) => !list || list.includes(v) || (list.every((x) => x.startsWith("!")) && !list.includes("!" + v));
    console.log(Object.entries(l.packages).filter(([k, p]) => k && !p.link && fits(p.os, process.platform) && fits(p.cpu, process.arch)).length);
  ' 2>/dev/null || echo 0)
  echo "installing node modules (npm ci, first start only: about 3 minutes on a fast line, longer on a Pi)…" >&2
  npm ci --no-fund --no-audit --loglevel info 2>&1 | node scripts/npm-progress.mjs "$expected"
fi
