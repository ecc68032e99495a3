"""The kinematic bicycle model against geometry: a constant wheel angle drives a circle of known radius."""

from __future__ import annotations

import math

import pytest

from sim_pkg.vehicle import WHEELBASE_M, VehicleParams, VehicleState, step

INSTANT = VehicleParams(servo_slew_rad_s=1e6, esc_time_constant_s=0.0)


@pytest.mark.parametrize("angle_deg", [10.0, -20.0, 30.0])
def test_constant_wheel_angle_drives_a_circle_of_radius_wheelbase_over_tan(angle_deg):
    angle = math.radians(angle_deg)
    radius = WHEELBASE_M / math.tan(abs(angle))
    speed = 1.2
    state = VehicleState(0.0, 0.0, 0.0, speed=speed, steer=angle)
    # the circle's centre is one radius to the side the wheels point to (left for a positive angle)
    centre = (0.0, math.copysign(radius, angle))
    dt = 1 / 15
    lap_s = 2 * math.pi * radius / speed
    for _ in range(round(lap_s / dt)):
        state = step(state, dt, angle, speed, INSTANT)
        assert math.hypot(state.x - centre[0], state.y - centre[1]) == pytest.approx(radius, rel=1e-9)
    # after one circumference the car is back where it started (to the rounding of the step count)
    assert math.hypot(state.x, state.y) < speed * dt


def test_servo_slews_and_esc_lags_toward_their_targets():
    params = VehicleParams(servo_slew_rad_s=math.radians(300), esc_time_constant_s=0.2)
    state = VehicleState(0.0, 0.0, 0.0)
    state = step(state, 0.05, math.radians(30), 2.0, params)
    assert state.steer == pytest.approx(math.radians(15))  # 300 deg/s for 50 ms
    for _ in range(3):
        state = step(state, 0.05, math.radians(30), 2.0, params)
    assert state.steer == pytest.approx(math.radians(30))
    assert state.speed == pytest.approx(2.0 * (1 - math.exp(-1)), rel=1e-6)  # one time constant: 63 %


def test_straight_ahead_moves_along_the_heading():
    state = step(VehicleState(1.0, 2.0, math.pi / 2, speed=1.0), 0.5, 0.0, 1.0, INSTANT)
    assert (state.x, state.y) == pytest.approx((1.0, 2.5))
