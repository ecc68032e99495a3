"""The car's calibration and tail-light files, in the original car's formats (pure Python).

We read and write exactly the original car's formats, so a car keeps its calibration when it switches to this
stack, and back:
  calibration.json  {"Calibration": {"Servo": {"min", "mid", "max", "polarity"}, "Motor": {...}}, "version": 1}
                    "Servo" is steering, "Motor" is throttle; values in ns (older files lack "version").
  led_values.json   {"Led Values": {"red_pwm", "green_pwm", "blue_pwm"}}, each a duty cycle 0..10,000,000 ns
                    (led_color.py: the console's 0-255 steps).
Loading never raises: a missing or unusable file gives the defaults plus a `note` saying what was wrong, for
the caller to log; the bad file is left untouched until the next save replaces it. Saving goes through
deepracer_common_pkg.small_files: the old file stays whole until the new one is complete on disk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from deepracer_common_pkg.small_files import atomic_write_json, read_json
from servo_pkg.led_color import DEFAULT_LED_COLOR, LedColor
from servo_pkg.pwm_math import (
    DEFAULT_STEERING,
    DEFAULT_THROTTLE,
    STEERING,
    THROTTLE,
    Calibration,
    ChannelCalibration,
)

T = TypeVar("T")

CALIBRATION_VERSION = 1
_FILE_SECTIONS = {STEERING: "Servo", THROTTLE: "Motor"}
_DEFAULTS = {STEERING: DEFAULT_STEERING, THROTTLE: DEFAULT_THROTTLE}
_LED_SECTION = "Led Values"
_LED_KEYS = ("red_pwm", "green_pwm", "blue_pwm")


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """A value read from a file; `note` explains why defaults were used instead (None: file read cleanly)."""

    value: T
    note: str | None = None


def _read_json(path: Path, what: str) -> tuple[Any, str | None]:
    try:
        return read_json(path), None
    except FileNotFoundError:
        return None, f"no {what} file at {path}: using the defaults (the file is written on the first save)"
    except json.JSONDecodeError as error:
        return None, (f"{what} file {path} is not valid JSON ({error}): using the defaults; the file is left "
                      f"as it is until the next save replaces it")
    except (OSError, UnicodeDecodeError) as error:
        return None, f"cannot read {what} file {path} ({error}): using the defaults"


def _integer(section: dict[str, Any], key: str) -> int:
    if key not in section:
        raise ValueError(f"'{key}' is missing")
    value = section[key]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"'{key}' must be an integer, got {value!r}")
    return value


def _parse_channel(root: Any, channel: str) -> ChannelCalibration:
    section = root.get("Calibration") if isinstance(root, dict) else None
    if not isinstance(section, dict):
        raise ValueError("no 'Calibration' object")
    values = section.get(_FILE_SECTIONS[channel])
    if not isinstance(values, dict):
        raise ValueError(f"no '{_FILE_SECTIONS[channel]}' object")
    return ChannelCalibration(min_ns=_integer(values, "min"), mid_ns=_integer(values, "mid"),
                              max_ns=_integer(values, "max"), polarity=_integer(values, "polarity"))


def load_calibration(path: Path) -> Loaded[Calibration]:
    """Read a calibration file; each channel that is missing or invalid falls back to its default alone,
    so a file with one good channel keeps it."""
    root, note = _read_json(path, "calibration")
    if note is not None:
        return Loaded(Calibration(), note)
    channels: dict[str, ChannelCalibration] = {}
    problems = []
    for channel in (STEERING, THROTTLE):
        try:
            channels[channel] = _parse_channel(root, channel)
        except ValueError as error:
            channels[channel] = _DEFAULTS[channel]
            problems.append(f"{channel} ('{_FILE_SECTIONS[channel]}'): {error}")
    if problems:
        note = (f"calibration file {path} is unusable for {'; '.join(problems)}: using the default for that "
                f"channel; the file is left as it is until the next save replaces it")
    return Loaded(Calibration(**channels), note)


def calibration_document(calibration: Calibration) -> dict[str, Any]:
    """The original car's calibration.json layout."""
    def section(values: ChannelCalibration) -> dict[str, int]:
        return {"max": values.max_ns, "mid": values.mid_ns, "min": values.min_ns, "polarity": values.polarity}
    return {"Calibration": {_FILE_SECTIONS[STEERING]: section(calibration.steering),
                            _FILE_SECTIONS[THROTTLE]: section(calibration.throttle)},
            "version": CALIBRATION_VERSION}


def save_calibration(path: Path, calibration: Calibration) -> None:
    atomic_write_json(path, calibration_document(calibration))


def load_led_color(path: Path) -> Loaded[LedColor]:
    """Read led_values.json; duty cycles are rounded to the nearest console step."""
    root, note = _read_json(path, "tail light")
    if note is not None:
        return Loaded(DEFAULT_LED_COLOR, note)
    try:
        section = root.get(_LED_SECTION) if isinstance(root, dict) else None
        if not isinstance(section, dict):
            raise ValueError(f"no '{_LED_SECTION}' object")
        return Loaded(LedColor.from_duty_ns(*(_integer(section, key) for key in _LED_KEYS)))
    except ValueError as error:
        return Loaded(DEFAULT_LED_COLOR, f"tail light file {path} is unusable ({error}): using the default "
                                         f"colour; the file is left as it is until the next save replaces it")


def save_led_color(path: Path, color: LedColor) -> None:
    atomic_write_json(path, {_LED_SECTION: dict(zip(_LED_KEYS, color.duty_ns(), strict=True))})
