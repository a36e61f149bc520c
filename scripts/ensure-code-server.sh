#!/usr/bin/env bash
# Makes sure code-server (the browser VS Code used by `npm start` and the e2e tests) is installed in .tools/.
# Installs only what is missing, so a second run takes well under a second:
#   - Debian build packages code-server's native modules compile against (apt-get, root or sudo)
#   - node 24 (the npm package node@24) in .tools/node24   -- code-server 4.139 requires node 24
#   - code-server + @vscode/vsce in .tools/cs, built with node 24 and its own headers (offline, no nodejs.org)
# Prints nothing but a line per step it actually performs. Safe to run concurrently (flock).
# Environment:
#   TENSORSCOPE_TOOLS   where to install (default: <repo>/.tools)
# Other scripts get the paths from scripts/tools-env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools-env.sh
ts_clean_env   # the nested npm installs must not see an outer `npm test`/`npm start` (node 20) in their environment

. scripts/apt-lib.sh
ts_need_apt=()
for p in "${TS_BUILD_DEBS[@]}"; do ts_has_deb "$p" || ts_need_apt+=("$p"); done
ts_apt_install ensure-code-server "${ts_need_apt[@]}"

mkdir -p "$TS_TOOLS"
exec 9>"$TS_TOOLS/.lock"
flock 9   # another `npm start` / `npm test` may be installing right now: wait for it

t0=$(date +%s)
# (1) node 24, in a folder of its own (installing it next to code-server breaks node-gyp mid-install)
if [ "$("$TS_NODE24" -v 2>/dev/null || true)" != "v$TS_NODE24_VERSION" ]; then
  echo "ensure-code-server: installing node $TS_NODE24_VERSION into $TS_TOOLS/node24"
  rm -rf "$TS_TOOLS/node24"; mkdir -p "$TS_TOOLS/node24"
  ( cd "$TS_TOOLS/node24" && echo '{"name":"tensorscope-node24","private":true}' > package.json &&
    npm install --no-audit --no-fund --loglevel=error --save-exact "node@$TS_NODE24_VERSION" >/dev/null )
  [ "$("$TS_NODE24" -v)" = "v$TS_NODE24_VERSION" ] || { echo "ensure-code-server: node $TS_NODE24_VERSION did not install" >&2; exit 1; }
  rm -f "$TS_CS_DIR/.installed"   # native modules must be rebuilt against this node
fi

# (2) code-server + vsce, built by npm running on node 24 (the postinstall checks the node major) against
#     node 24's own headers (npm_config_nodedir overrides a nodedir=/usr in ~/.npmrc, which would be node 20's)
want="code-server@$TS_CS_VERSION @vscode/vsce@$TS_VSCE_VERSION"
if [ "$(cat "$TS_CS_DIR/.installed" 2>/dev/null || true)" != "$want" ] || [ ! -f "$TS_CODE_SERVER" ]; then
  echo "ensure-code-server: installing $want into $TS_CS_DIR (a few minutes: its native modules are compiled)"
  rm -rf "$TS_CS_DIR"; mkdir -p "$TS_CS_DIR"
  ( cd "$TS_CS_DIR" && echo '{"name":"tensorscope-code-server","private":true}' > package.json &&
    PATH="$(dirname "$TS_NODE24"):$PATH" npm_config_nodedir="$TS_NODE24_HEADERS" \
      npm install --no-audit --no-fund --loglevel=error --save-exact $want > install.log 2>&1 ) || {
    echo "ensure-code-server: npm install failed; last lines of $TS_CS_DIR/install.log:" >&2
    tail -n 30 "$TS_CS_DIR/install.log" >&2; exit 1; }
  v=$("$TS_NODE24" "$TS_CODE_SERVER" --config /dev/null --version 2>/dev/null | head -1)
  case "$v" in "$TS_CS_VERSION"*) ;; *) echo "ensure-code-server: code-server --version said '$v'" >&2; exit 1 ;; esac
  echo "$want" > "$TS_CS_DIR/.installed"
  echo "ensure-code-server: code-server $v ready in $(( $(date +%s) - t0 ))s"
fi
