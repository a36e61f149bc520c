# Sourced by setup.sh and ensure-code-server.sh: Debian package helpers (only defines things).
# The packages code-server's native modules build against (../shared/recipes/code-server-e2e.md).
TS_BUILD_DEBS=(build-essential pkg-config python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)

ts_has_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# ts_apt_install WHO PKG…: apt-get install the given packages (through sudo when not root); nothing when none.
ts_apt_install() {
  local who=$1
  shift
  [ $# -gt 0 ] || return 0
  local sudo= ask="ask an administrator to run: sudo apt-get install --no-install-recommends $*"
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "$who: Debian packages missing ($*), and without root or sudo they cannot be installed here; $ask" >&2; exit 1; }
    sudo=sudo
  fi
  echo "$who: installing Debian packages: $*"
  { $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null; } ||
    { echo "$who: could not install Debian packages ($*) with ${sudo:-root} apt-get; $ask" >&2; exit 1; }
}
