#!/usr/bin/env bash
# `npm start [-- FOLDER]`: installs what is missing (scripts/setup.sh), builds and packages the extension, installs
# it into code-server, and serves VS Code in the browser at http://127.0.0.1:8080 (no password) with FOLDER open
# (default: examples/). Runs in the foreground; Ctrl-C stops code-server and everything it started.
#   TENSORSCOPE_PORT=8080        port to listen on
#   TENSORSCOPE_HOST=127.0.0.1   address to bind (0.0.0.0 to reach it from another machine: there is no password)
# State (user settings, extensions) lives in .tools/start/; delete that folder to start from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
# a relative FOLDER is relative to where `npm start` was typed (npm itself runs this from the repo root)
if [ $# -gt 0 ]; then folder="$(cd "${INIT_CWD:-$root}" && realpath -- "$1")"; else folder="$root/examples"; fi
[ -d "$folder" ] || { echo "start: $folder is not a folder" >&2; exit 2; }
port="${TENSORSCOPE_PORT:-8080}"
host="${TENSORSCOPE_HOST:-127.0.0.1}"
port_taken() { (exec 3<>"/dev/tcp/${host/0.0.0.0/127.0.0.1}/$port") 2>/dev/null; }
taken_msg="start: port $port is already in use (another npm start?); stop that, or choose another: TENSORSCOPE_PORT=$((port + 1)) npm start"
# say so at once, not after the set-up and the build
if port_taken; then echo "$taken_msg" >&2; exit 1; fi

. scripts/tools-env.sh
ts_clean_env   # after INIT_CWD was used above: setup, vsce and code-server must not see the outer npm (node 20)
bash scripts/setup.sh start
state="$TS_TOOLS/start"
mkdir -p "$state/ud/User" "$state/exts"

# build + package; reinstall into code-server only when the package's contents changed
node scripts/build.mjs
vsix="$state/tensorscope.vsix"
sum=$(cat package.json .vscodeignore README.md LICENSE $(find dist media -type f ! -name '*.map' 2>/dev/null | sort) | sha1sum | cut -c1-40)
if [ "$(cat "$state/exts/.tensorscope-sum" 2>/dev/null || true)" != "$sum" ] || ! ls -d "$state"/exts/tensorscope.tensorscope-* >/dev/null 2>&1; then
  echo "start: packaging and installing the extension"
  bash scripts/package.sh --no-build "$vsix" > "$state/package.log" 2>&1 || {
    echo "start: packaging failed; last lines of $state/package.log:" >&2; tail -n 30 "$state/package.log" >&2; exit 1; }
  # a fresh extensions dir, so no stale copy of an older version lingers
  rm -rf "$state/exts"; mkdir -p "$state/exts"
  XDG_DATA_HOME="$state/xdg-data" XDG_CONFIG_HOME="$state/xdg-config" "$TS_NODE24" "$TS_CODE_SERVER" \
    --config "$state/config.yaml" --user-data-dir "$state/ud" --extensions-dir "$state/exts" \
    --install-extension "$vsix" --force >/dev/null
  echo "$sum" > "$state/exts/.tensorscope-sum"
fi

# user settings: hide the Welcome page, the Chat side bar and other clutter (seeded once; edit them freely after)
if [ ! -f "$state/ud/User/settings.json" ]; then
  cat > "$state/ud/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.tips.enabled": false,
  "chat.disableAIFeatures": true,
  "telemetry.telemetryLevel": "off",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "security.workspace.trust.enabled": false,
  "update.mode": "none"
}
JSON
fi
echo "auth: none" > "$state/config.yaml"

export TENSORSCOPE_PYTHON="${TENSORSCOPE_PYTHON:-/usr/bin/python3}"   # Debian's python3 has torch + debugpy
# code-server in its own process group, so stopping it stops its extension host, watchers and agent too
XDG_DATA_HOME="$state/xdg-data" XDG_CONFIG_HOME="$state/xdg-config" setsid "$TS_NODE24" "$TS_CODE_SERVER" \
  --bind-addr "$host:$port" --auth none --disable-telemetry --disable-update-check --disable-workspace-trust \
  --disable-getting-started-override --config "$state/config.yaml" --user-data-dir "$state/ud" \
  --extensions-dir "$state/exts" "$folder" > "$state/code-server.log" 2>&1 &
cs=$!
echo "$cs" > "$state/code-server.pid"   # its process group too (scripts/ci-start-check.ts checks it is gone after Ctrl-C)
stop() { trap - INT TERM EXIT; kill -TERM -- "-$cs" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$cs" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$cs" 2>/dev/null || true; rm -f "$state/code-server.pid"; }
trap 'echo; echo "start: stopping code-server"; stop; exit 130' INT TERM
trap stop EXIT

# wait until it answers (or died, e.g. the port is taken)
for _ in $(seq 600); do
  if ! kill -0 "$cs" 2>/dev/null; then
    if grep -q EADDRINUSE "$state/code-server.log"; then echo "$taken_msg" >&2; exit 1; fi
    echo "start: code-server exited; last lines of $state/code-server.log:" >&2; tail -n 20 "$state/code-server.log" >&2
    exit 1
  fi
  grep -q 'HTTP server listening' "$state/code-server.log" && break
  sleep 0.1
done
url="http://$host:$port/"
[ "$host" = 0.0.0.0 ] && url="http://127.0.0.1:$port/"
cat <<EOF

  Tensorscope is running in code-server (VS Code in the browser):

      $url

  Workspace: $folder
  Open a checkpoint from the Explorer, or run "Tensorscope" commands from the palette (F1).
  Log: $state/code-server.log        Ctrl-C to stop.

EOF
wait "$cs" || true
