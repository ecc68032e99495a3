"""Navigation parameters: safe defaults, and a clear refusal naming the field for every bad value."""

from __future__ import annotations

import math
import re

import pytest

from navigation_pkg.config import NavigationConfig


def test_defaults_are_valid_and_do_not_move_the_car():
    config = NavigationConfig()
    assert config.initial_max_speed == 0.0
    assert config.speed_mapping == "parabola"
    assert config.max_throttle_rate_per_s == 0.0 and config.max_steering_rate_per_s == 0.0
    assert config.watchdog_period_s <= min(config.manual_timeout_s, config.autonomous_timeout_s)


@pytest.mark.parametrize(("field", "value"), [
    ("manual_timeout_s", 0.0),
    ("autonomous_timeout_s", -0.1),
    ("max_policy_age_s", math.nan),
    ("watchdog_period_s", math.inf),
    ("initial_max_speed", 1.5),
    ("initial_max_speed", -0.1),
    ("speed_mapping", "cubic"),
    ("max_throttle_rate_per_s", -1.0),
    ("max_steering_rate_per_s", math.nan),
])
def test_bad_value_is_refused_naming_field_and_value(field, value):
    with pytest.raises(ValueError, match=field) as error:
        NavigationConfig(**{field: value})
    assert str(value) in str(error.value)


def test_watchdog_slower_than_a_timeout_is_refused():
    with pytest.raises(ValueError, match=re.escape("watchdog_period_s 0.3 must not exceed autonomous_timeout_s 0.25")):
        NavigationConfig(watchdog_period_s=0.3, manual_timeout_s=1.0)
