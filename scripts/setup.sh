#!/usr/bin/env bash
# Installs only what is missing, so a second run takes about a second:
#   - Debian packages: real PyTorch + numpy (test fixtures, examples), debugpy (debugger), Chromium + a font (e2e),
#     and the build packages code-server's native modules compile against
#   - npm packages (npm ci, when node_modules is missing or older than package-lock.json)
#   - node 24 + code-server + vsce in .tools/ (scripts/ensure-code-server.sh), unless the mode is `unit`
#   bash scripts/setup.sh [all|unit|start|package]     (all = everything the tests need; the default)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
. scripts/tools-env.sh
ts_clean_env   # npm ci below, and ensure-code-server.sh, run as if typed in a shell, not inside an outer npm
. scripts/apt-lib.sh
need=()
/usr/bin/python3 -c 'import torch, numpy' 2>/dev/null || need+=(python3-torch python3-numpy)
/usr/bin/python3 -c 'import debugpy' 2>/dev/null || need+=(python3-debugpy)
if [ "$mode" != package ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  ts_has_deb fonts-dejavu-core || need+=(fonts-dejavu-core)
fi
if [ "$mode" != unit ]; then   # what code-server's native modules build against (scripts/ensure-code-server.sh)
  for p in "${TS_BUILD_DEBS[@]}"; do ts_has_deb "$p" || need+=("$p"); done
fi
ts_apt_install setup "${need[@]}"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
if [ "$mode" != unit ]; then
  bash scripts/ensure-code-server.sh
fi
