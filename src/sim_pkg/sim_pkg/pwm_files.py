"""Reading what reached the "hardware": the DeepRacer's sysfs PWM files, as the servo node wrote them.

Layout (servo_pkg.backends.sysfs, the original car's): `<root>/pwmchip0/pwmN/duty_cycle` and `.../enable`,
decimal text, channel numbers from DEEPRACER_CHANNELS (0 throttle, 1 steering). The writer opens,
writes and closes each file, so a read can land between the truncation and the write and see an empty
file: the last value read is kept then (as the hardware keeps generating the last duty cycle).
A channel that was never written reads as None; a disabled output (enable 0) drives nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from servo_pkg.backends.sysfs import DEEPRACER_CHANNELS
from servo_pkg.pwm_math import STEERING, THROTTLE

CHIP = "pwmchip0"


@dataclass(frozen=True)
class PwmReading:
    """Duty cycles (ns) on the steering and throttle wires; None where nothing drives the wire."""

    steering_ns: int | None
    throttle_ns: int | None


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    try:
        return int(text)
    except ValueError:
        return None


class PwmReader:
    """Reads the two drive channels under `root` (the folder holding pwmchip0)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._last: dict[str, dict[str, int | None]] = {
            channel: {"duty_cycle": None, "enable": None} for channel in (STEERING, THROTTLE)}

    def _channel(self, channel: str) -> int | None:
        folder = self.root / CHIP / f"pwm{DEEPRACER_CHANNELS[channel]}"
        last = self._last[channel]
        for name in ("duty_cycle", "enable"):
            value = _read_int(folder / name)
            if value is not None:
                last[name] = value
        return last["duty_cycle"] if last["enable"] == 1 else None

    def read(self) -> PwmReading:
        return PwmReading(steering_ns=self._channel(STEERING), throttle_ns=self._channel(THROTTLE))
