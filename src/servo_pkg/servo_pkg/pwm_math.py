"""Duty-cycle arithmetic for the steering servo and the ESC (pure Python, no rclpy).

Units: every duty cycle and period is an integer number of nanoseconds of a 50 Hz PWM signal
(period 20,000,000 ns). A normalised command x in [-1, 1] maps piecewise-linearly onto a channel's
calibration: x = 0 gives `mid_ns`; after applying the polarity, negative values move towards `min_ns`
and positive ones towards `max_ns`. The two halves have their own slope because a servo's or an ESC's
neutral is rarely centred between its end points. This is the original car's formula, so a calibration
taken with the original software drives the car the same way.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

PWM_PERIOD_NS = 20_000_000
STEERING = "steering"
THROTTLE = "throttle"
DRIVE_CHANNELS = (STEERING, THROTTLE)


def check_channel(channel: str) -> str:
    """Return `channel` if it names a drive channel; a ValueError tells the caller what is allowed."""
    if channel not in DRIVE_CHANNELS:
        raise ValueError(f"channel must be 'steering' or 'throttle', got {channel!r}")
    return channel


@dataclass(frozen=True)
class ChannelCalibration:
    """End points, neutral and direction of one channel; invalid values cannot be constructed."""

    min_ns: int
    mid_ns: int
    max_ns: int
    polarity: int

    def __post_init__(self) -> None:
        for name in ("min_ns", "mid_ns", "max_ns", "polarity"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if self.polarity not in (1, -1):
            raise ValueError(f"polarity must be +1 or -1, got {self.polarity}")
        if not 0 <= self.min_ns < self.mid_ns < self.max_ns <= PWM_PERIOD_NS:
            raise ValueError(
                f"calibration needs 0 <= min < mid < max <= {PWM_PERIOD_NS} ns (the PWM period), got "
                f"min={self.min_ns} mid={self.mid_ns} max={self.max_ns}")


# The original car's factory defaults (ns).
DEFAULT_STEERING = ChannelCalibration(min_ns=1_200_000, mid_ns=1_450_000, max_ns=1_700_000, polarity=1)
DEFAULT_THROTTLE = ChannelCalibration(min_ns=1_311_000, mid_ns=1_446_000, max_ns=1_603_500, polarity=-1)


@dataclass(frozen=True)
class Calibration:
    """The calibration of both drive channels."""

    steering: ChannelCalibration = DEFAULT_STEERING
    throttle: ChannelCalibration = DEFAULT_THROTTLE

    def channel(self, channel: str) -> ChannelCalibration:
        return getattr(self, check_channel(channel))

    def with_channel(self, channel: str, calibration: ChannelCalibration) -> Calibration:
        return dataclasses.replace(self, **{check_channel(channel): calibration})

    def neutral(self) -> dict[str, int]:
        """Duty cycles that hold the wheels straight and the motor stopped."""
        return {STEERING: self.steering.mid_ns, THROTTLE: self.throttle.mid_ns}


def duty_ns(x: float, calibration: ChannelCalibration) -> int:
    """Duty cycle (ns, rounded to the nearest ns) for the normalised value `x` in [-1, 1].

    Values outside [-1, 1] (and NaN) are refused rather than clipped: they mean a bug upstream, and
    clipping would hide it while still driving the car.
    """
    if not -1.0 <= x <= 1.0:
        raise ValueError(f"normalised value must be within [-1, 1], got {x!r}")
    adjusted = x * calibration.polarity
    if adjusted < 0:
        duty = calibration.mid_ns + adjusted * (calibration.mid_ns - calibration.min_ns)
    elif adjusted > 0:
        duty = calibration.mid_ns + adjusted * (calibration.max_ns - calibration.mid_ns)
    else:
        duty = calibration.mid_ns
    return round(duty)
