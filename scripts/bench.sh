#!/usr/bin/env bash
# `npm run bench`: each part's benchmark prints its timings with ratios against a reference measured in the same run.
# `npm run bench -- hostile [--count N] [--seed S]`: only the mutation run of the adversarial corpus (test/hostile/mutate.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools-env.sh
ts_clean_env   # nothing below should see the outer npm (`npm run bench`) in its environment
if [ "${1:-}" = hostile ]; then
  shift
  bash scripts/setup.sh unit
  node scripts/build.mjs >/dev/null
  export TENSORSCOPE_PYTHON="${TENSORSCOPE_PYTHON:-/usr/bin/python3}"
  exec node --import tsx test/hostile/mutate.ts "$@"
fi
bash scripts/setup.sh all
node scripts/build.mjs >/dev/null
export TENSORSCOPE_PYTHON="${TENSORSCOPE_PYTHON:-/usr/bin/python3}"
node --import tsx bench/debug-bench.ts
node --import tsx bench/trace-bench.ts
bash bench/core-bench.sh
node --import tsx bench/compute-bench.ts
node --import tsx bench/inspector-bench.ts
