#!/usr/bin/env bash
# Sets up everything the car stack and its tests need in ./.venv, from PyPI and Debian only.
# A second run with nothing changed is a no-op: the inputs are hashed into .venv/.bootstrap-stamp.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.bootstrap-stamp"

pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || continue
    if "$candidate" -c 'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 12)))'; then
      echo "$candidate"; return 0
    fi
  done
  echo "Python 3.11 or 3.12 is needed (the ROS 2 Kilted wheels exist for those): set PYTHON=/path/to/python3.11" >&2
  return 1
}

inputs_hash() {
  { cat requirements.txt tools/bootstrap.sh tools/build_interfaces.py
    find src -name setup.py -o -name package.xml -o -name '*.msg' -o -name '*.srv' -o -name CMakeLists.txt \
      | LC_ALL=C sort | xargs cat; } | sha256sum | cut -d' ' -f1
}

want=$(inputs_hash)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi

need_apt=()
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else echo "Please install: ${need_apt[*]} (Debian: sudo apt-get install ${need_apt[*]})" >&2; exit 1; fi
fi

PY=$(pick_python)
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt
"$VENV/bin/python" tools/build_interfaces.py
for pkg in src/*/setup.py; do
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e "$(dirname "$pkg")"
done
echo "$want" > "$STAMP"
echo "Set-up complete: $VENV"
