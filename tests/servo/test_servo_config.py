"""The servo node's config loads without the serial backend: checking `serial_channels` needs only the
Maestro's channel count, and a car on sysfs PWM need not have pyserial at all."""

from __future__ import annotations

import subprocess
import sys

import pytest

from servo_pkg.config import parse_channel_map


def test_loading_the_servo_config_does_not_import_pyserial() -> None:
    code = ("import sys; import servo_pkg.config; "
            "print(sorted(m for m in sys.modules if m == 'serial' or m.startswith('servo_pkg.backends')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_channels_beyond_the_maestros_last_are_refused() -> None:
    assert parse_channel_map("steering=23,throttle=0") == {"steering": 23, "throttle": 0}
    with pytest.raises(ValueError, match=r"channel 0\.\.23"):
        parse_channel_map("steering=24")
