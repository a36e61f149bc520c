#!/usr/bin/env bash
# `npm run package [-- [--no-build] [OUT.vsix]]`: production build, then a .vsix made with @vscode/vsce (run with
# node 24 from .tools/, installed by scripts/ensure-code-server.sh). What goes in is decided by .vscodeignore.
# Prints the .vsix path on stdout (the rest goes to stderr).
#   default output: ./tensorscope-<version>.vsix
#   --no-build: package dist/ as it is (the e2e test uses this, so it does not replace the dev build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=1
if [ "${1:-}" = --no-build ]; then build=0; shift; fi
. scripts/tools-env.sh
ts_clean_env   # vsce runs npm on node 24: no trace of an outer npm on node 20 (scripts/tools-env.sh)
bash scripts/setup.sh package >&2
version=$(node -p 'require("./package.json").version')
out="$(realpath -m "${1:-tensorscope-$version.vsix}")"
if [ $build = 1 ]; then node scripts/build.mjs --production >&2; fi
# vsce calls `npm list --production` to find the runtime dependencies: npm must run on node 24 as well
PATH="$(dirname "$TS_NODE24"):$PATH" "$TS_NODE24" "$TS_VSCE" package --no-rewrite-relative-links --out "$out" >&2
echo "$out"
