#!/usr/bin/env bash
# bash scripts/node24.sh ARGS…: runs node 24 from .tools/ (scripts/ensure-code-server.sh installs it) with ARGS, in
# an environment cleaned of the outer npm's variables (ts_clean_env). The e2e harness starts code-server this way.
# It execs node, so the pid (and process group) a caller sees is node's own.
. "$(dirname "${BASH_SOURCE[0]}")/tools-env.sh"
ts_clean_env
exec "$TS_NODE24" "$@"
