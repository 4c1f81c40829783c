#!/usr/bin/env bash
# Removes canteen-edge's app and units; keeps /etc/canteen-edge and /var/lib/canteen-edge
# unless --purge. Same options as scripts/install.sh (--root DIR, --dry-run).
set -eu
exec bash "$(dirname "$0")/install.sh" --uninstall "$@"
