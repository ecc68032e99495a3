"""What the car's servo and ESC make of the duty cycles on their wires: the inverse of the duty maths.

servo_pkg.pwm_math turns a normalised command x in [-1, 1] into a duty cycle through a calibration; the
physical car undoes that through ITS OWN calibration, the one that is true of its servo and ESC (the
calibration the simulator started with). So a wrong calibration set later (steering polarity inverted)
makes the simulated wheels turn the wrong way, as it would on the car. A duty cycle beyond the calibrated
end points saturates there: a servo cannot turn further than its end stop, and the ESC is at full.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from servo_pkg.pwm_math import Calibration, ChannelCalibration

# Steering range of the DeepRacer: +-30 degrees, the widest angle its action spaces allow (the sample models'
# metadata; the DeepRacer console's action-space limits). Positive is to the left.
MAX_STEERING_RAD = math.radians(30.0)


def normalised_from_duty(duty_ns: int, calibration: ChannelCalibration) -> float:
    """The normalised value x that `pwm_math.duty_ns(x, calibration)` maps to `duty_ns`, within [-1, 1]."""
    if duty_ns >= calibration.mid_ns:
        adjusted = (duty_ns - calibration.mid_ns) / (calibration.max_ns - calibration.mid_ns)
    else:
        adjusted = (duty_ns - calibration.mid_ns) / (calibration.mid_ns - calibration.min_ns)
    return max(-1.0, min(1.0, adjusted)) * calibration.polarity


@dataclass(frozen=True)
class Actuators:
    """The car's servo and ESC: duty cycles -> wheel angle (rad, left positive) and target speed (m/s)."""

    calibration: Calibration
    top_speed_m_s: float
    max_steering_rad: float = MAX_STEERING_RAD

    def wheel_angle(self, steering_ns: int) -> float:
        return normalised_from_duty(steering_ns, self.calibration.steering) * self.max_steering_rad

    def target_speed(self, throttle_ns: int) -> float:
        return normalised_from_duty(throttle_ns, self.calibration.throttle) * self.top_speed_m_s
