#!/usr/bin/env bash
# The README's test command (`npm test`): sets up what is missing, type-checks (strict), builds, makes fixtures with
# real PyTorch, then runs unit + integration tests (node's test runner) and the end-to-end tests in code-server.
#   npm test            everything
#   npm test -- unit    unit + integration only
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"
. scripts/tools-env.sh
ts_clean_env   # setup, code-server and the tests run as if typed in a shell, not inside `npm test` (node 20)
bash scripts/setup.sh "$what"   # `unit` skips code-server
echo "test: type check (tsc --noEmit, strict)"
node node_modules/typescript/bin/tsc -p . --noEmit   # a type error fails the run before any test
node scripts/build.mjs
export TENSORSCOPE_PYTHON="${TENSORSCOPE_PYTHON:-/usr/bin/python3}"
shopt -s nullglob
files=(test/unit/*.test.ts test/integration/*.test.ts)
node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
if [ "$what" = all ] && ls test/e2e/*.e2e.ts >/dev/null 2>&1; then
  node --import tsx --test --test-concurrency=1 --test-reporter=spec test/e2e/*.e2e.ts
fi
