"""The web console's calibration slider units (the original console's), to and from duty-cycle nanoseconds.

Steering slider value v = (ns - 1,500,000) / 10,000, throttle v = (ns - 1,500,000) / 4,500: the original
console's JavaScript and JSON API use these units, so the calibration API keeps them.
"""

from __future__ import annotations

import math

from servo_pkg.pwm_math import STEERING, THROTTLE, check_channel

CONSOLE_OFFSET_NS = 1_500_000
CONSOLE_NS_PER_UNIT = {STEERING: 10_000, THROTTLE: 4_500}


def to_console_units(channel: str, ns: int) -> float:
    """Console slider value for a duty cycle."""
    return (ns - CONSOLE_OFFSET_NS) / CONSOLE_NS_PER_UNIT[check_channel(channel)]


def from_console_units(channel: str, value: float) -> int:
    """Duty cycle (ns) for a console slider value; ValueError for anything but a finite number."""
    scale = CONSOLE_NS_PER_UNIT[check_channel(channel)]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"console value must be a finite number, got {value!r}")
    return round(value * scale + CONSOLE_OFFSET_NS)
