"""The original car's battery scale: one gauge byte to a level 0 (empty) .. 11 (full), -1 = unknown.

Thresholds: the original battery node (aws-deepracer-i2c-pkg, src/battery_node.cpp, "given by pegatron"): the
level is that of the first threshold, from the top, that the byte reaches. The original answered -1 below 0x8c as
well as on a read error; here a byte below 0x8c is level 0: the gauge answered, and it says the pack is empty.
"""

from __future__ import annotations

# (lowest byte, level), highest first.
GAUGE_THRESHOLDS: tuple[tuple[int, int], ...] = (
    (0xEC, 11), (0xE0, 10), (0xD9, 9), (0xD3, 8), (0xCF, 7), (0xCB, 6),
    (0xC8, 5), (0xC5, 4), (0xC3, 3), (0xC0, 2), (0xB4, 1), (0x8C, 0),
)
MAX_LEVEL = 11
UNKNOWN = -1


def level_from_gauge_byte(value: int) -> int:
    if not 0 <= value <= 0xFF:
        raise ValueError(f"a gauge byte is 0..255, got {value}")
    for lowest, level in GAUGE_THRESHOLDS:
        if value >= lowest:
            return level
    return 0


def level_from_percent(percent: float) -> int:
    """A power-supply capacity (0-100 %) on the same 0-11 scale, so every board shows the same meter."""
    return max(0, min(MAX_LEVEL, round(percent * MAX_LEVEL / 100)))
