"""The inverse duty maths: what the car's servo and ESC make of a duty cycle, against servo_pkg's forward maths."""

from __future__ import annotations

import math

import pytest

from servo_pkg.pwm_math import DEFAULT_STEERING, DEFAULT_THROTTLE, Calibration, ChannelCalibration, duty_ns
from sim_pkg.actuation import MAX_STEERING_RAD, Actuators, normalised_from_duty

LOPSIDED = ChannelCalibration(min_ns=1_000_000, mid_ns=1_600_000, max_ns=1_750_000, polarity=-1)


@pytest.mark.parametrize("calibration", [DEFAULT_STEERING, DEFAULT_THROTTLE, LOPSIDED])
def test_round_trip_through_the_forward_maths(calibration):
    for x in (-1.0, -0.73, -0.25, -0.001, 0.0, 0.001, 0.4, 0.999, 1.0):
        back = normalised_from_duty(duty_ns(x, calibration), calibration)
        # duty_ns rounds to whole ns: the way back is exact to one ns of the channel's half range
        assert back == pytest.approx(x, abs=1.0 / 100_000)


def test_duty_beyond_the_end_points_saturates_like_an_end_stop():
    assert normalised_from_duty(DEFAULT_STEERING.max_ns + 300_000, DEFAULT_STEERING) == 1.0
    assert normalised_from_duty(DEFAULT_STEERING.min_ns - 300_000, DEFAULT_STEERING) == -1.0


def test_the_cars_own_calibration_decides_so_an_inverted_one_steers_the_other_way():
    car = Actuators(Calibration(), top_speed_m_s=2.0)
    right_calibration = Calibration()
    inverted = Calibration(steering=ChannelCalibration(DEFAULT_STEERING.min_ns, DEFAULT_STEERING.mid_ns,
                                                       DEFAULT_STEERING.max_ns, -1))
    assert car.wheel_angle(duty_ns(1.0, right_calibration.steering)) == pytest.approx(MAX_STEERING_RAD)
    assert car.wheel_angle(duty_ns(1.0, inverted.steering)) == pytest.approx(-MAX_STEERING_RAD)
    assert math.degrees(MAX_STEERING_RAD) == pytest.approx(30.0)


def test_throttle_maps_to_speed_at_the_configured_top_speed_through_the_esc_polarity():
    car = Actuators(Calibration(), top_speed_m_s=2.5)
    assert car.target_speed(duty_ns(1.0, DEFAULT_THROTTLE)) == pytest.approx(2.5)
    assert car.target_speed(duty_ns(0.5, DEFAULT_THROTTLE)) == pytest.approx(1.25, abs=1e-4)
    assert car.target_speed(DEFAULT_THROTTLE.mid_ns) == 0.0
    # polarity -1: full forward is the SHORT pulse on this ESC
    assert duty_ns(1.0, DEFAULT_THROTTLE) == DEFAULT_THROTTLE.min_ns
