#!/usr/bin/env bash
# What only the tests need: Debian's Chromium for the console's browser tests (Playwright drives it; no
# browser is ever downloaded), Debian's Mosquitto for the fleet link's, and the real trained DeepRacer sample
# models (from the deepracer-utils sdist).
set -euo pipefail
cd "$(dirname "$0")/.."

# The fleet-link tests start their own Mosquitto on a free loopback port with the sample configuration; on a
# machine with systemd, apt also starts Debian's default broker (loopback only, port 1883), which no test uses.
if [ ! -x /usr/sbin/mosquitto ] || [ ! -x /usr/bin/mosquitto_passwd ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
  else
    echo "The fleet-link tests need Debian's Mosquitto: sudo apt-get install mosquitto mosquitto-clients" >&2
    exit 1
  fi
fi
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "The browser tests need Debian's Chromium: sudo apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi
.venv/bin/python tools/fetch_sample_models.py >/dev/null
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt  # colcon, for the ROS build test
