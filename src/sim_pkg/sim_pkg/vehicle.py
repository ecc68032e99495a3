"""The simulated car's motion: a kinematic bicycle model with a lagging ESC and a slew-limited servo.

Dimensions from the DeepRacer's own model description (aws-deepracer/aws-deepracer, deepracer_description
URDF): rear axle 0.0817 m behind the chassis origin, front steering hinges 0.0823 m ahead of it, so the
wheelbase is 0.164 m and the chassis origin sits midway between the axles; the wheels are 0.16 m apart
(track) and the front camera lens 0.136 m ahead of the origin. The model is integrated about the rear axle,
where a kinematic bicycle has no side slip; each step follows the exact arc of its constant wheel angle, so
a constant angle drives a circle of radius wheelbase / tan(angle) whatever the step length.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

WHEELBASE_M = 0.164
WHEEL_TRACK_M = 0.16
CAMERA_AHEAD_M = 0.136  # of the chassis origin (the car's centre)
# A hobby servo of the DeepRacer's class turns 60 degrees in about 0.1 s under load; the ESC and motor
# reach a new speed with a time constant of about 0.2 s. Both are parameters of the simulator node.
SERVO_SLEW_RAD_S = math.radians(600.0)
ESC_TIME_CONSTANT_S = 0.2


@dataclass(frozen=True)
class VehicleParams:
    wheelbase_m: float = WHEELBASE_M
    servo_slew_rad_s: float = SERVO_SLEW_RAD_S
    esc_time_constant_s: float = ESC_TIME_CONSTANT_S


@dataclass(frozen=True)
class VehicleState:
    """Rear-axle position (m), heading (rad, 0 = +x, counter-clockwise positive), speed (m/s), wheel angle."""

    x: float
    y: float
    yaw: float
    speed: float = 0.0
    steer: float = 0.0

    def centre(self, params: VehicleParams) -> tuple[float, float]:
        """The chassis origin, midway between the axles: the point the track rules and the map use."""
        half = params.wheelbase_m / 2
        return self.x + half * math.cos(self.yaw), self.y + half * math.sin(self.yaw)


def from_centre(x: float, y: float, yaw: float, params: VehicleParams) -> VehicleState:
    """A car standing still with its centre at (x, y), wheels straight."""
    half = params.wheelbase_m / 2
    return VehicleState(x - half * math.cos(yaw), y - half * math.sin(yaw), yaw)


def _toward(value: float, target: float, max_change: float) -> float:
    return target if abs(target - value) <= max_change else value + math.copysign(max_change, target - value)


def step(state: VehicleState, dt: float, wheel_angle: float, target_speed: float,
         params: VehicleParams) -> VehicleState:
    """Advance `dt` seconds: the servo slews toward `wheel_angle`, the speed lags toward `target_speed`,
    then the car follows the arc of the new wheel angle at the mean of the old and new speed."""
    steer = _toward(state.steer, wheel_angle, params.servo_slew_rad_s * dt)
    blend = 1.0 - math.exp(-dt / params.esc_time_constant_s) if params.esc_time_constant_s > 0 else 1.0
    speed = state.speed + (target_speed - state.speed) * blend
    distance = (state.speed + speed) / 2 * dt
    curvature = math.tan(steer) / params.wheelbase_m
    turn = distance * curvature
    if abs(turn) < 1e-9:
        x = state.x + distance * math.cos(state.yaw)
        y = state.y + distance * math.sin(state.yaw)
    else:
        radius = 1.0 / curvature
        x = state.x + radius * (math.sin(state.yaw + turn) - math.sin(state.yaw))
        y = state.y - radius * (math.cos(state.yaw + turn) - math.cos(state.yaw))
    yaw = math.atan2(math.sin(state.yaw + turn), math.cos(state.yaw + turn))
    return replace(state, x=x, y=y, yaw=yaw, speed=speed, steer=steer)
