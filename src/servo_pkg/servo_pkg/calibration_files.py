"""The car's calibration and tail-light files, and the web console's calibration units (pure Python).

File formats: we read and write exactly the original car's formats, so a car keeps its calibration when it
switches to this stack, and back:
  calibration.json  {"Calibration": {"Servo": {"min", "mid", "max", "polarity"}, "Motor": {...}}, "version": 1}
                    "Servo" is steering, "Motor" is throttle; values in ns (older files lack "version").
  led_values.json   {"Led Values": {"red_pwm", "green_pwm", "blue_pwm"}}, each a duty cycle 0..10,000,000 ns;
                    the console's 0-255 colour steps are 39,215 ns each.
Loading never raises: a missing or unusable file gives the defaults plus a `note` saying what was wrong, for
the caller to log; the bad file is left untouched until the next save replaces it. Saving is atomic: the
old file stays whole until the new one is complete on disk.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from servo_pkg.pwm_math import (
    DEFAULT_STEERING,
    DEFAULT_THROTTLE,
    STEERING,
    THROTTLE,
    Calibration,
    ChannelCalibration,
    check_channel,
)

T = TypeVar("T")

CALIBRATION_VERSION = 1
_FILE_SECTIONS = {STEERING: "Servo", THROTTLE: "Motor"}
_DEFAULTS = {STEERING: DEFAULT_STEERING, THROTTLE: DEFAULT_THROTTLE}

# Console units: what the web console's calibration sliders show and send.
CONSOLE_OFFSET_NS = 1_500_000
CONSOLE_NS_PER_UNIT = {STEERING: 10_000, THROTTLE: 4_500}

LED_NS_PER_STEP = 39_215
LED_MAX_NS = 10_000_000
_LED_SECTION = "Led Values"
_LED_KEYS = ("red_pwm", "green_pwm", "blue_pwm")


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """A value read from a file; `note` explains why defaults were used instead (None: file read cleanly)."""

    value: T
    note: str | None = None


def to_console_units(channel: str, ns: int) -> float:
    """Console slider value for a duty cycle: steering (ns - 1,500,000) / 10,000, throttle / 4,500."""
    return (ns - CONSOLE_OFFSET_NS) / CONSOLE_NS_PER_UNIT[check_channel(channel)]


def from_console_units(channel: str, value: float) -> int:
    """Duty cycle (ns) for a console slider value: steering v*10,000 + 1,500,000, throttle v*4,500 + ..."""
    scale = CONSOLE_NS_PER_UNIT[check_channel(channel)]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"console value must be a finite number, got {value!r}")
    return round(value * scale + CONSOLE_OFFSET_NS)


@dataclass(frozen=True)
class LedColor:
    """Tail-light colour in the console's 0-255 steps per channel."""

    red: int
    green: int
    blue: int

    def __post_init__(self) -> None:
        for name in ("red", "green", "blue"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
                raise ValueError(f"{name} must be an integer 0-255, got {value!r}")

    def duty_ns(self) -> tuple[int, int, int]:
        """(red, green, blue) duty cycles in ns."""
        return (self.red * LED_NS_PER_STEP, self.green * LED_NS_PER_STEP, self.blue * LED_NS_PER_STEP)


# The original car's default tail light: blue fully on.
DEFAULT_LED_COLOR = LedColor(red=0, green=0, blue=255)


def atomic_write_json(path: Path, data: Any) -> None:
    """Replace `path` with `data` as JSON so that a crash at any moment leaves either the old or the new file.

    The text goes to a temporary file in the same folder (same file system, so the rename is atomic), is
    fsynced, then renamed over the target; the folder is fsynced so the rename itself survives power loss.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=4) + "\n"
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _read_json(path: Path, what: str) -> tuple[Any, str | None]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, f"no {what} file at {path}: using the defaults (the file is written on the first save)"
    except (OSError, UnicodeDecodeError) as error:
        return None, f"cannot read {what} file {path} ({error}): using the defaults"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as error:
        return None, (f"{what} file {path} is not valid JSON ({error}): using the defaults; the file is left "
                      f"as it is until the next save replaces it")


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
        steps = []
        for key in _LED_KEYS:
            ns = _integer(section, key)
            if not 0 <= ns <= LED_MAX_NS:
                raise ValueError(f"'{key}' must be 0..{LED_MAX_NS} ns, got {ns}")
            steps.append(min(255, round(ns / LED_NS_PER_STEP)))
        return Loaded(LedColor(*steps))
    except ValueError as error:
        return Loaded(DEFAULT_LED_COLOR, f"tail light file {path} is unusable ({error}): using the default "
                                         f"colour; the file is left as it is until the next save replaces it")


def save_led_color(path: Path, color: LedColor) -> None:
    atomic_write_json(path, {_LED_SECTION: dict(zip(_LED_KEYS, color.duty_ns(), strict=True))})
