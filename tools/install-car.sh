#!/usr/bin/env bash
# Install this stack on a DeepRacer (or a car built like it) in place of the original software, or put the
# original back. The car's calibration, tail light, models and logs stay in /opt/aws/deepracer, where the original
# keeps them, in the original's formats, so both directions keep them.
#
#   sudo tools/install-car.sh                 install (Python environment: tools/bootstrap.sh in the copy)
#   sudo tools/install-car.sh --colcon        also colcon-build the packages against /opt/ros/<distro>, so
#                                             `ros2 service call` from a root shell knows our interfaces
#   sudo tools/install-car.sh --uninstall     stop ours, put the original's unit, setup.bash and dpkg package
#                                             back, start it
# Where dpkg is, the stack is recorded as the dpkg package aws-deepracer-core (tools/car/core-package.sh: the
# version DeepRacer Event Manager reads before it fetches logs), the original's package kept to be put back; and
# avahi-daemon answers <hostname>.local (mDNS), the address DREM's car labels link to.
# Options: --root DIR (install into DIR as if it were /: packaging and tests), --prefix PATH (default
# /opt/deepracer-stack), --python PATH (an existing environment with rclpy and our packages, instead of
# bootstrapping one), --domain N (ROS_DOMAIN_ID, default 0 as on the original car), --no-systemctl.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOT=/ PREFIX=/opt/deepracer-stack DATA_DIR=/opt/aws/deepracer PYTHON="" DOMAIN=0
UNINSTALL=0 COLCON=0 SYSTEMCTL=1
MARK="deepracer-stack"
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$2; shift ;;
    --prefix) PREFIX=$2; shift ;;
    --python) PYTHON=$2; shift ;;
    --domain) DOMAIN=$2; shift ;;
    --colcon) COLCON=1 ;;
    --uninstall) UNINSTALL=1 ;;
    --no-systemctl) SYSTEMCTL=0 ;;
    -h|--help) usage 0 ;;
    *) echo "install-car.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$DOMAIN" in ''|*[!0-9]*) echo "install-car.sh: --domain must be a number 0-232, got '$DOMAIN'" >&2; exit 2 ;; esac
[ "$ROOT" = / ] || SYSTEMCTL=0
ROOT=${ROOT%/}
UNIT="$ROOT/etc/systemd/system/deepracer-core.service"
SETUP="$ROOT$DATA_DIR/lib/setup.bash"
TARGET="$ROOT$PREFIX"
ADMIN="$ROOT/var/lib/dpkg"
DPKG_QUERY=(dpkg-query --admindir="$ADMIN")
if [ -z "$ROOT" ]; then DPKG=(dpkg)
else DPKG=(dpkg --root="$ROOT" --force-not-root --force-script-chrootless --log=/dev/null); fi
# shellcheck source=car/core-package.sh
. "$REPO/tools/car/core-package.sh"

systemctl_do() { if [ "$SYSTEMCTL" = 1 ] && command -v systemctl >/dev/null; then systemctl "$@"; fi; }
use_dpkg() { command -v dpkg >/dev/null && command -v dpkg-deb >/dev/null && [ -f "$ADMIN/status" ]; }

# Keep a file that is not ours beside it (once); put it back on uninstall.
keep_original() { if [ -f "$1" ] && ! grep -q "$MARK" "$1" && [ ! -e "$1.aws-original" ]; then mv "$1" "$1.aws-original"; fi; }
restore_original() {
  if [ -f "$1" ] && grep -q "$MARK" "$1"; then rm -f "$1"; fi
  if [ -f "$1.aws-original" ]; then mv "$1.aws-original" "$1"; fi
}

if [ "$UNINSTALL" = 1 ]; then
  systemctl_do stop deepracer-core || true
  restore_original "$UNIT"
  restore_original "$SETUP"
  systemctl_do daemon-reload  # before dpkg: the original's scripts must not start our unit again
  if use_dpkg; then restore_core_package; fi
  systemctl_do daemon-reload
  systemctl_do restart deepracer-core || echo "no original deepracer-core unit to start: reinstall aws-deepracer-core"
  echo "Original software back in charge; $ROOT$PREFIX is left in place (delete it when you like)."
  exit 0
fi

# 1. The stack itself.
mkdir -p "$TARGET"
for item in src launch tools pyproject.toml requirements.txt README.md Makefile; do
  rm -rf "${TARGET:?}/$item"
  cp -a "$REPO/$item" "$TARGET/$item"
done
find "$TARGET/src" -name __pycache__ -prune -exec rm -rf {} +
if [ -z "$PYTHON" ]; then
  [ "$ROOT" = "" ] || { echo "install-car.sh: with --root, give --python (a venv's paths are absolute)" >&2; exit 2; }
  "$TARGET/tools/bootstrap.sh"
  PYTHON="$PREFIX/.venv/bin/python"
fi
if [ "$COLCON" = 1 ]; then
  ( set +u; for distro in kilted jazzy; do [ -f "/opt/ros/$distro/setup.bash" ] && . "/opt/ros/$distro/setup.bash" && break; done
    cd "$TARGET" && colcon build --base-paths src --install-base install )
fi

# 2. The dpkg record, before our files go in: replacing the original's package removes its files.
if use_dpkg; then install_core_package
else echo "no dpkg database here: DeepRacer Event Manager will not fetch logs from this car (it reads the version of the dpkg package aws-deepracer-core)"; fi

# 3. The environment shells and the unit share, the unit and its wrapper. The original's files are kept.
fill() {
  sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@PYTHON@|$PYTHON|g" -e "s|@PYTHON_BIN@|$(dirname "$PYTHON")|g" \
      -e "s|@DATA_DIR@|$DATA_DIR|g" -e "s|@SETUP@|$DATA_DIR/lib/setup.bash|g" -e "s|@DOMAIN@|$DOMAIN|g" "$1" > "$2"
}
mkdir -p "$(dirname "$SETUP")" "$(dirname "$UNIT")" "$TARGET/bin" "$ROOT$DATA_DIR/artifacts" "$ROOT$DATA_DIR/logs"
keep_original "$SETUP"
keep_original "$UNIT"
fill "$REPO/tools/car/setup.bash.in" "$SETUP"
fill "$REPO/tools/car/deepracer-core.service.in" "$UNIT"
fill "$REPO/tools/car/deepracer-core.in" "$TARGET/bin/deepracer-core"
fill "$REPO/tools/car/deepracer-cpu-speed.in" "$TARGET/bin/deepracer-cpu-speed"
chmod 0644 "$SETUP" "$UNIT"
chmod 0755 "$TARGET/bin/deepracer-core" "$TARGET/bin/deepracer-cpu-speed"

# 4. <hostname>.local, which DREM's car labels link to (https://<hostname>.local): avahi-daemon answers it for
# the car's own hostname with avahi's default settings. The original car and Raspberry Pi OS have it; elsewhere it
# is installed. It is enabled (in a --root image, offline, as systemd reads it at boot). --uninstall leaves it:
# the original's labels use the same name.
ensure_mdns() {
  if [ -n "$ROOT" ]; then
    if [ -e "$ROOT/usr/sbin/avahi-daemon" ] && command -v systemctl >/dev/null; then
      systemctl --root="$ROOT" enable avahi-daemon.service >/dev/null 2>&1 \
        || echo "could not enable avahi-daemon in $ROOT: <hostname>.local will not answer"
    else
      echo "avahi-daemon is not installed in $ROOT: install it there, or <hostname>.local will not answer"
    fi
    return 0
  fi
  [ "$SYSTEMCTL" = 1 ] || return 0
  if ! command -v avahi-daemon >/dev/null && command -v apt-get >/dev/null; then
    apt-get install -y -q avahi-daemon >/dev/null \
      || echo "could not install avahi-daemon (offline?): run 'apt-get install avahi-daemon' for <hostname>.local"
  fi
  if command -v avahi-daemon >/dev/null; then systemctl_do enable --now avahi-daemon || true; fi
}
ensure_mdns

# 5. Start it.
systemctl_do daemon-reload
systemctl_do enable deepracer-core
systemctl_do restart deepracer-core
echo "Installed in $TARGET; unit $UNIT; environment $SETUP (ROS_DOMAIN_ID=$DOMAIN)."
