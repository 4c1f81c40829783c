#!/usr/bin/env bash
# Installs canteen-edge on a Debian / Raspberry Pi OS box from this checkout: the
# service users and groups, /etc/canteen-edge (config, kiosk page), /var/lib/canteen-edge
# (data, biometric key), the app in /opt/canteen-edge with its runtime node modules, the
# systemd units, enabled and started. Idempotent: a second run changes nothing and says so.
#
#   sudo scripts/install.sh [--kiosk-url URL] [--no-kiosk] [--models-bundle FILE.tar]
#                                      models: `canteen-edge models pull` (network), or
#                                      `models import FILE.tar` (offline); without them the
#                                      box runs and says which features stay off
#   scripts/install.sh --root DIR      everything under DIR; users, ownership, npm and
#                                      systemctl are only printed (for tests and images)
#   scripts/install.sh --dry-run       print what would change, change nothing
#   sudo scripts/install.sh --uninstall [--purge]
#                                      remove app and units; keep config and data unless --purge
# See systemd/README.md.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=
DRY=0
UNINSTALL=0
PURGE=0
KIOSK=1
KIOSK_URL=http://localhost:8080/
MODELS_BUNDLE=

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || { echo "install.sh: --root needs a directory" >&2; exit 2; }; ROOT=$2; shift ;;
    --root=*) ROOT=${1#--root=} ;;
    --dry-run) DRY=1 ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    --no-kiosk) KIOSK=0 ;;
    --kiosk-url) [ $# -ge 2 ] || { echo "install.sh: --kiosk-url needs a URL" >&2; exit 2; }; KIOSK_URL=$2; shift ;;
    --kiosk-url=*) KIOSK_URL=${1#--kiosk-url=} ;;
    --models-bundle) [ $# -ge 2 ] || { echo "install.sh: --models-bundle needs a FILE.tar (made by canteen-edge models bundle)" >&2; exit 2; }; MODELS_BUNDLE=$2; shift ;;
    --models-bundle=*) MODELS_BUNDLE=${1#--models-bundle=} ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$PURGE" = 1 ] && [ "$UNINSTALL" = 0 ]; then echo "install.sh: --purge only goes with --uninstall" >&2; exit 2; fi
case "$KIOSK_URL" in http://*|https://*) ;; *) echo "install.sh: --kiosk-url $KIOSK_URL: expected an http:// or https:// URL" >&2; exit 2 ;; esac
if [ -n "$MODELS_BUNDLE" ]; then
  [ -r "$MODELS_BUNDLE" ] || { echo "install.sh: --models-bundle $MODELS_BUNDLE: no such readable file (expected a FILE.tar from canteen-edge models bundle, or a directory)" >&2; exit 2; }
  MODELS_BUNDLE=$(realpath "$MODELS_BUNDLE")
fi
if [ -n "$ROOT" ]; then
  ROOT=$(realpath -m "$ROOT")
  [ "$ROOT" != / ] || ROOT=
fi
if [ -n "$ROOT" ]; then
  if [ "$DRY" = 0 ]; then mkdir -p "$ROOT"; fi
elif [ "$DRY" = 0 ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (sudo), or use --root DIR / --dry-run" >&2
  exit 2
fi

# Where things go (the units hard-code the same paths).
SERVICE_USER=canteen-edge
KIOSK_USER=kiosk
APP=$ROOT/opt/canteen-edge
ETC=$ROOT/etc/canteen-edge
DATA=$ROOT/var/lib/canteen-edge
KIOSK_HOME=$ROOT/var/lib/canteen-kiosk
UNITS=$ROOT/etc/systemd/system
WRAPPER=$ROOT/usr/local/bin/canteen-edge
KEY=$DATA/biometric.key
KEY_BYTES=32 # gateway/biometrics/key.ts KEY_BYTES
APP_PARTS="bin config drivers gateway kiosk models scripts systemd package.json package-lock.json .npmrc tsconfig.json README.md"

CHANGES=0
UNITS_CHANGED=0
APP_CHANGED=0

# One line per change: "changed: …", or "would: …" in a dry run.
change() {
  CHANGES=$((CHANGES + 1))
  if [ "$DRY" = 1 ]; then echo "would: $*"; else echo "changed: $*"; fi
}
# Runs a command unless this is a dry run.
run() { if [ "$DRY" = 0 ]; then "$@"; fi; }
# System-wide actions (accounts, systemctl, apt, npm) happen only on the real root.
system() { [ -z "$ROOT" ]; }
skipped() { echo "skipped (--root): $*"; }

ensure_group() {
  if system; then
    getent group "$1" >/dev/null || { change "create system group $1"; run groupadd --system "$1"; }
  else
    skipped "groupadd --system $1 (when missing)"
  fi
}

# ensure_user NAME HOME [GROUPS]
ensure_user() {
  if system; then
    if ! id "$1" >/dev/null 2>&1; then
      change "create system user $1 (home $2)"
      run useradd --system --user-group --home-dir "$2" --no-create-home --shell /usr/sbin/nologin ${3:+--groups "$3"} "$1"
    fi
  else
    skipped "useradd --system --user-group --home-dir $2 --shell /usr/sbin/nologin ${3:+--groups $3 }$1 (when missing)"
  fi
}

# ensure_owner PATH USER:GROUP — only on the real root, where the accounts exist
ensure_owner() {
  system || return 0
  if [ ! -e "$1" ]; then
    [ "$DRY" = 1 ] && return 0
  fi
  if [ "$(stat -c %U:%G "$1" 2>/dev/null || true)" != "$2" ]; then
    change "owner of ${1#"$ROOT"} → $2"
    run chown "$2" "$1"
  fi
}

ensure_mode() {
  if [ -e "$1" ] && [ "$(stat -c %a "$1")" != "$2" ]; then
    change "mode of ${1#"$ROOT"} → $2"
    run chmod "$2" "$1"
  fi
}

# ensure_dir PATH MODE USER:GROUP
ensure_dir() {
  if [ ! -d "$1" ]; then
    change "create directory ${1#"$ROOT"} ($2 $3)"
    run mkdir -p "$1"
    run chmod "$2" "$1"
    if system; then run chown "$3" "$1"; fi
  else
    ensure_mode "$1" "$2"
  fi
  ensure_owner "$1" "$3"
}

# ensure_file SRC DST MODE USER:GROUP — DST gets SRC's content whenever they differ
ensure_file() {
  if [ ! -f "$2" ] || ! cmp -s "$1" "$2"; then
    if [ -f "$2" ]; then change "update ${2#"$ROOT"}"; else change "install ${2#"$ROOT"} ($3 $4)"; fi
    run install -D -m "$3" "$1" "$2"
    if system; then run chown "$4" "$2"; fi
    return 0
  fi
  ensure_mode "$2" "$3"
  ensure_owner "$2" "$4"
}

# ensure_content TEXT DST MODE USER:GROUP
ensure_content() {
  tmp=$(mktemp)
  printf '%s\n' "$1" >"$tmp"
  ensure_file "$tmp" "$2" "$3" "$4"
  rm -f "$tmp"
}

# ensure_file_once SRC DST MODE USER:GROUP — only when DST is absent: the site's own file is never overwritten
ensure_file_once() {
  if [ -e "$2" ]; then
    ensure_owner "$2" "$4"
    return 0
  fi
  ensure_file "$1" "$2" "$3" "$4"
  ensure_owner "$2" "$4"
}

# The 32-byte key that encrypts face templates, as gateway/biometrics/key.ts expects it:
# raw random bytes, mode 0600, owned by the service user; made only when absent.
ensure_key() {
  if [ -e "$KEY" ]; then
    size=$(stat -c %s "$KEY")
    [ "$size" = "$KEY_BYTES" ] || echo "warning: ${KEY#"$ROOT"} holds $size bytes, the gateway expects $KEY_BYTES; left as it is" >&2
    ensure_mode "$KEY" 600
  else
    change "create biometric key ${KEY#"$ROOT"} ($KEY_BYTES random bytes, 600 $SERVICE_USER:$SERVICE_USER)"
    if [ "$DRY" = 0 ]; then
      tmp="$DATA/.biometric.key.$$"
      (umask 077 && head -c "$KEY_BYTES" /dev/urandom >"$tmp")
      mv "$tmp" "$KEY"
      if system; then chown "$SERVICE_USER:$SERVICE_USER" "$KEY"; fi
    fi
  fi
  ensure_owner "$KEY" "$SERVICE_USER:$SERVICE_USER"
}

install_app() {
  ensure_dir "$APP" 755 root:root
  before=$CHANGES
  parts=
  for p in $APP_PARTS; do [ ! -e "$SRC/$p" ] || parts="$parts $p"; done
  # shellcheck disable=SC2086 # one word per part
  (cd "$SRC" && find $parts -type f ! -path '*/node_modules/*' | LC_ALL=C sort) | while IFS= read -r f; do
    if [ -x "$SRC/$f" ]; then mode=755; else mode=644; fi
    ensure_file "$SRC/$f" "$APP/$f" "$mode" root:root
  done >"$REPORT.app"
  # the loop ran in a subshell: count its changes here
  n=$(grep -c '^\(changed\|would\):' "$REPORT.app" || true)
  cat "$REPORT.app"
  CHANGES=$((before + n))
  [ "$n" = 0 ] || APP_CHANGED=1
  if ! system; then
    skipped "cd /opt/canteen-edge && npm ci --omit=dev (tsx, esbuild and the native modules are runtime dependencies)"
    skipped "cd /opt/canteen-edge && npm run build (the kiosk pages, into kiosk/dist)"
    return 0
  fi
  # runtime modules only; tsx (the TypeScript loader) and esbuild (kiosk build) are dependencies, not devDependencies
  npm_ran=0
  if [ ! -f "$APP/node_modules/.package-lock.json" ] || ! cmp -s "$APP/package-lock.json" "$APP/node_modules/.canteen-edge-lock"; then
    npm_ran=1
    change "npm ci --omit=dev in /opt/canteen-edge"
    if [ "$DRY" = 0 ]; then
      # onnxruntime-node's install script would fetch CUDA files a Pi cannot use (README: node modules)
      (cd "$APP" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --omit=dev --no-fund --no-audit)
      cp "$APP/package-lock.json" "$APP/node_modules/.canteen-edge-lock"
    fi
    APP_CHANGED=1
  fi
  # the kiosk pages are built here once (kiosk/dist, keyed by their sources): the installed
  # gateway serves that build and never bundles; built again when the modules or pages changed
  if [ "$npm_ran" = 1 ] || ! (cd "$APP" && npm run --silent build -- --check >/dev/null 2>&1); then
    change "build the kiosk pages in /opt/canteen-edge (npm run build)"
    if [ "$DRY" = 0 ]; then (cd "$APP" && npm run --silent build); fi
    APP_CHANGED=1
  fi
}

check_node() {
  system || return 0
  node=$(command -v node || true)
  if [ -z "$node" ]; then
    echo "install.sh: node not found: install Node.js 20 (>= 20.19) or 22 first" >&2
    exit 1
  fi
  if ! "$node" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a===20&&b>=19||a>=22?0:1)'; then
    echo "install.sh: $node is Node.js $("$node" --version); canteen-edge needs 20.19+ or 22+" >&2
    exit 1
  fi
  NODE=$node
}

install_units() {
  before=$CHANGES
  ensure_file "$SRC/systemd/canteen-edge.service" "$UNITS/canteen-edge.service" 644 root:root
  ensure_file "$SRC/systemd/canteen-kiosk.service" "$UNITS/canteen-kiosk.service" 644 root:root
  # the units say /usr/bin/node; a node elsewhere (nvm, /usr/local) gets a drop-in
  if system && [ "${NODE:-/usr/bin/node}" != /usr/bin/node ]; then
    ensure_content "# written by scripts/install.sh: node is not at /usr/bin/node on this box
[Service]
ExecStart=
ExecStart=$NODE /opt/canteen-edge/bin/canteen-edge.js start --config /etc/canteen-edge/gateway.yaml" \
      "$UNITS/canteen-edge.service.d/node.conf" 644 root:root
  fi
  [ "$CHANGES" = "$before" ] || UNITS_CHANGED=1
}

# the canteen-edge command for the installer at the shell: as the service user, on the installed config and data
install_wrapper() {
  ensure_content "#!/bin/sh
# written by scripts/install.sh: runs canteen-edge as the service user on the installed config and data
exec runuser -u $SERVICE_USER -- env CANTEEN_EDGE_DATA_DIR=/var/lib/canteen-edge CANTEEN_EDGE_CONFIG=/etc/canteen-edge/gateway.yaml ${NODE:-/usr/bin/node} /opt/canteen-edge/bin/canteen-edge.js \"\$@\"" \
    "$WRAPPER" 755 root:root
}

# a font with Chinese glyphs is installed (fontconfig knows one for zh)
has_cjk_font() {
  [ -n "$(fc-list :lang=zh family 2>/dev/null | head -n 1)" ]
}

ensure_kiosk_packages() {
  [ "$KIOSK" = 1 ] || return 0
  if ! system; then skipped "apt-get install cage chromium fonts-noto-cjk (when missing)"; return 0; fi
  missing=
  [ -x /usr/bin/cage ] || missing="$missing cage"
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
  # the pages are Chinese first: without a CJK font Chromium draws empty boxes (tofu)
  has_cjk_font || missing="$missing fonts-noto-cjk"
  if [ -n "$missing" ]; then
    change "apt-get install$missing"
    # shellcheck disable=SC2086 # one word per package
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
  fi
}

# systemctl_ensure UNIT — enabled and running; restarted when its files changed
systemctl_ensure() {
  if ! system; then skipped "systemctl enable --now $1"; return 0; fi
  if ! systemctl is-enabled --quiet "$1" 2>/dev/null; then change "systemctl enable $1"; run systemctl enable "$1"; fi
  if ! systemctl is-active --quiet "$1"; then
    change "systemctl start $1"; run systemctl start "$1"
  elif [ "$2" = 1 ]; then
    change "systemctl restart $1 (its files changed)"; run systemctl restart "$1"
  fi
}

do_install() {
  check_node
  for g in dialout gpio video render input; do ensure_group "$g"; done
  ensure_user "$SERVICE_USER" /var/lib/canteen-edge
  ensure_user "$KIOSK_USER" /var/lib/canteen-kiosk "video,render,input"
  ensure_kiosk_packages

  install_app

  ensure_dir "$ETC" 750 "root:$SERVICE_USER"
  ensure_file_once "$SRC/config/gateway.yaml" "$ETC/gateway.yaml" 640 "root:$SERVICE_USER"
  # the default config's simulated camera reads these images (a path relative to the config)
  if [ ! -e "$ETC/sim-camera" ]; then
    ensure_dir "$ETC/sim-camera" 750 "root:$SERVICE_USER"
    for f in "$SRC"/config/sim-camera/*; do ensure_file "$f" "$ETC/sim-camera/$(basename "$f")" 640 "root:$SERVICE_USER"; done
  fi
  kiosk_env=$(mktemp)
  printf '# the page this screen shows: / (checkout), /kitchen, /energy, /admin\nKIOSK_URL=%s\n' "$KIOSK_URL" >"$kiosk_env"
  ensure_file_once "$kiosk_env" "$ETC/kiosk.env" 644 root:root
  rm -f "$kiosk_env"

  ensure_dir "$DATA" 750 "$SERVICE_USER:$SERVICE_USER"
  ensure_key

  install_models

  install_units
  install_wrapper
  if system; then
    if [ "$UNITS_CHANGED" = 1 ]; then change "systemctl daemon-reload"; run systemctl daemon-reload; fi
  else
    skipped "systemctl daemon-reload"
  fi
  systemctl_ensure canteen-edge.service "$APP_CHANGED"
  if [ "$KIOSK" = 1 ]; then systemctl_ensure canteen-kiosk.service "$UNITS_CHANGED"; fi
}

# The ONNX models (models/README.md): pulled from their sources, or imported from an
# offline bundle; each file is checked (size, sha256) before it is visible. Offline, the
# install goes on without them and says once which features stay off and how to add them.
install_models() {
  if [ -n "$MODELS_BUNDLE" ]; then set -- import "$MODELS_BUNDLE"; else set -- pull; fi
  if ! system && [ -z "$MODELS_BUNDLE" ]; then skipped "canteen-edge models pull --models-dir /var/lib/canteen-edge/models"; return 0; fi
  if [ "$DRY" = 1 ]; then echo "would run: canteen-edge models $*"; return 0; fi
  # on the real root the installed app runs as the service user; under --root, this checkout
  if system; then cli="runuser -u $SERVICE_USER -- node $APP/bin/canteen-edge.js"; else cli="node $SRC/bin/canteen-edge.js"; fi
  out=$(mktemp)
  status=0
  $cli models "$@" --models-dir "$DATA/models" --config "$ETC/gateway.yaml" >"$out" 2>"$out.err" || status=$?
  installed=$(node -e 'try { const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log((d.installed || []).join(" ")); } catch {}' "$out")
  if [ -n "$installed" ]; then change "models installed: $installed"; fi
  if [ "$status" != 0 ]; then
    grep -E 'FAILED|refused' "$out.err" | head -5 | sed 's/^/  /' >&2 || true
    echo "install: models not installed (no network, or the bundle was refused): face pay, dish recognition and kitchen detection stay off until: sudo canteen-edge models pull   (offline: sudo scripts/install.sh --models-bundle FILE.tar)" >&2
  fi
  rm -f "$out" "$out.err"
  return 0
}

# remove PATH — a file or a directory tree, if present
remove() {
  if [ -e "$1" ] || [ -L "$1" ]; then change "remove ${1#"$ROOT"}"; run rm -rf "$1"; fi
}

do_uninstall() {
  if system; then
    for u in canteen-kiosk.service canteen-edge.service; do
      if systemctl is-enabled --quiet "$u" 2>/dev/null || systemctl is-active --quiet "$u" 2>/dev/null; then
        change "systemctl disable --now $u"; run systemctl disable --now "$u"
      fi
    done
  else
    skipped "systemctl disable --now canteen-kiosk.service canteen-edge.service"
  fi
  before=$CHANGES
  remove "$UNITS/canteen-kiosk.service"
  remove "$UNITS/canteen-edge.service"
  remove "$UNITS/canteen-edge.service.d/node.conf"
  [ -d "$UNITS/canteen-edge.service.d" ] && [ -z "$(ls -A "$UNITS/canteen-edge.service.d")" ] && remove "$UNITS/canteen-edge.service.d"
  if [ "$CHANGES" != "$before" ]; then
    if system; then change "systemctl daemon-reload"; run systemctl daemon-reload; else skipped "systemctl daemon-reload"; fi
  fi
  remove "$WRAPPER"
  remove "$APP"
  if [ "$PURGE" = 1 ]; then
    remove "$ETC"
    remove "$DATA"
    remove "$KIOSK_HOME"
    for u in "$KIOSK_USER" "$SERVICE_USER"; do
      if ! system; then skipped "userdel $u"
      elif id "$u" >/dev/null 2>&1; then change "remove user $u"; run userdel "$u"
      fi
    done
  else
    for d in "$ETC" "$DATA"; do [ -e "$d" ] && echo "kept: ${d#"$ROOT"} (remove with --uninstall --purge)"; done
  fi
  return 0
}

REPORT=$(mktemp)
trap 'rm -f "$REPORT" "$REPORT.app"' EXIT
[ -n "$ROOT" ] && echo "root: $ROOT"
if [ "$UNINSTALL" = 1 ]; then what=uninstall; do_uninstall; else what=install; do_install; fi
if [ "$CHANGES" = 0 ]; then
  echo "$what: nothing to change"
elif [ "$DRY" = 1 ]; then
  echo "$what: dry run, $CHANGES changes would be made"
else
  echo "$what: $CHANGES changes made"
fi
