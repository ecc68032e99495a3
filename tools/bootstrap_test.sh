#!/usr/bin/env bash
# What only the tests need: Debian's Chromium for the console's browser tests (Playwright drives it; no
# browser is ever downloaded) and the real trained DeepRacer sample models (from the deepracer-utils sdist).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "The browser tests need Debian's Chromium: sudo apt-get install chromium chromium-driver" >&2
    exit 1
  fi
fi
.venv/bin/python tools/fetch_sample_models.py >/dev/null
