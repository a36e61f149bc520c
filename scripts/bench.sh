#!/usr/bin/env bash
# `npm run bench`: each part's benchmark prints its timings with ratios against a reference measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools-env.sh
ts_clean_env   # nothing below should see the outer npm (`npm run bench`) in its environment
bash scripts/setup.sh all
node scripts/build.mjs >/dev/null
export TENSORSCOPE_PYTHON="${TENSORSCOPE_PYTHON:-/usr/bin/python3}"
node --import tsx bench/debug-bench.ts
node --import tsx bench/trace-bench.ts
bash bench/core-bench.sh
node --import tsx bench/compute-bench.ts
node --import tsx bench/inspector-bench.ts
