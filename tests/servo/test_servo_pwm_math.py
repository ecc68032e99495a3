"""Duty-cycle maths against hand-computed values, for both polarities and the edges."""

from __future__ import annotations

import math

import numpy as np
import pytest

from servo_pkg.console_units import from_console_units, to_console_units
from servo_pkg.pwm_math import (
    DEFAULT_STEERING,
    DEFAULT_THROTTLE,
    PWM_PERIOD_NS,
    Calibration,
    ChannelCalibration,
    duty_ns,
)


@pytest.mark.parametrize(("x", "expected"), [
    (0.0, 1_450_000),     # mid
    (1.0, 1_700_000),     # max
    (-1.0, 1_200_000),    # min
    (0.5, 1_575_000),     # 1,450,000 + 0.5 * 250,000
    (-0.5, 1_325_000),    # 1,450,000 - 0.5 * 250,000
    (-0.2, 1_400_000),    # 1,450,000 - 0.2 * 250,000
])
def test_steering_default_positive_polarity(x: float, expected: int) -> None:
    assert duty_ns(x, DEFAULT_STEERING) == expected


@pytest.mark.parametrize(("x", "expected"), [
    (0.0, 1_446_000),     # mid
    (1.0, 1_311_000),     # polarity -1: full forward goes to min
    (-1.0, 1_603_500),    # and full reverse to max
    (0.5, 1_378_500),     # 1,446,000 - 0.5 * 135,000
    (-0.5, 1_524_750),    # 1,446,000 + 0.5 * 157,500
])
def test_throttle_default_negative_polarity(x: float, expected: int) -> None:
    assert duty_ns(x, DEFAULT_THROTTLE) == expected


def test_float32_inputs_from_messages_round_to_the_nearest_ns() -> None:
    # DriveCommand carries float32: 0.3 arrives as 0.30000001192...; 1,446,000 - 0.3 * 135,000 = 1,405,500.
    assert duty_ns(float(np.float32(0.3)), DEFAULT_THROTTLE) == 1_405_500
    assert duty_ns(float(np.float32(-1.0)), DEFAULT_THROTTLE) == 1_603_500


def test_asymmetric_halves_use_their_own_slope() -> None:
    calibration = ChannelCalibration(min_ns=1_000_000, mid_ns=1_100_000, max_ns=2_000_000, polarity=1)
    assert duty_ns(0.5, calibration) == 1_550_000
    assert duty_ns(-0.5, calibration) == 1_050_000


@pytest.mark.parametrize("x", [1.0000001, -1.0000001, 2.0, math.nan, math.inf, -math.inf])
def test_out_of_range_input_is_refused_not_clipped(x: float) -> None:
    with pytest.raises(ValueError, match="within \\[-1, 1\\]"):
        duty_ns(x, DEFAULT_STEERING)


def test_edges_of_the_period_are_allowed() -> None:
    calibration = ChannelCalibration(min_ns=0, mid_ns=1, max_ns=PWM_PERIOD_NS, polarity=-1)
    assert duty_ns(-1.0, calibration) == PWM_PERIOD_NS
    assert duty_ns(1.0, calibration) == 0


@pytest.mark.parametrize(("values", "message"), [
    ((1_500_000, 1_500_000, 1_700_000, 1), "min=1500000 mid=1500000"),
    ((1_200_000, 1_800_000, 1_700_000, 1), "mid=1800000 max=1700000"),
    ((1_200_000, 1_500_000, PWM_PERIOD_NS + 1, 1), "max=20000001"),
    ((-1, 1_500_000, 1_700_000, 1), "min=-1"),
    ((1_200_000, 1_450_000, 1_700_000, 0), "polarity must be \\+1 or -1, got 0"),
    ((1_200_000, 1_450_000, 1_700_000, 2), "got 2"),
    ((1_200_000.5, 1_450_000, 1_700_000, 1), "min_ns must be an integer, got 1200000.5"),
    ((1_200_000, 1_450_000, 1_700_000, True), "polarity must be an integer, got True"),
])
def test_invalid_calibration_names_the_bad_value(values: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ChannelCalibration(*values)


def test_calibration_pair_by_channel_name() -> None:
    changed = ChannelCalibration(min_ns=1_300_000, mid_ns=1_500_000, max_ns=1_650_000, polarity=1)
    calibration = Calibration().with_channel("throttle", changed)
    assert calibration.channel("throttle") == changed
    assert calibration.channel("steering") == DEFAULT_STEERING
    assert calibration.neutral() == {"steering": 1_450_000, "throttle": 1_500_000}
    with pytest.raises(ValueError, match="got 'angle'"):
        calibration.channel("angle")


@pytest.mark.parametrize(("channel", "ns", "value"), [
    ("steering", 1_450_000, -5.0), ("steering", 1_200_000, -30.0), ("steering", 1_700_000, 20.0),
    ("throttle", 1_446_000, -12.0), ("throttle", 1_311_000, -42.0), ("throttle", 1_603_500, 23.0),
    ("steering", 1_455_000, -4.5),
])
def test_console_units_both_ways(channel: str, ns: int, value: float) -> None:
    assert to_console_units(channel, ns) == value
    assert from_console_units(channel, value) == ns


def test_console_units_refuse_unknown_channel_and_non_numbers() -> None:
    with pytest.raises(ValueError, match="got 'angle'"):
        to_console_units("angle", 1_500_000)
    with pytest.raises(ValueError, match="finite number"):
        from_console_units("throttle", math.nan)
