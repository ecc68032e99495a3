"""The one action-space module: type, validation, policy output count and the choice of action."""

from __future__ import annotations

import math

import pytest

from deepracer_common_pkg.action_space import NO_ACTION, ActionSpace, ActionSpaceError


def test_a_discrete_space_derives_its_ranges_and_counts_one_output_per_action():
    space = ActionSpace("discrete", steering_angle=(-30, 0, 15), speed=(0.5, 1.0, 2.0))
    assert (space.steering_low, space.steering_high, space.speed_low, space.speed_high) == (-30, 15, 0.5, 2.0)
    assert space.policy_output_count == 3 and space.top_speed == 2.0


def test_a_continuous_space_outputs_steering_and_speed():
    space = ActionSpace("continuous", steering_low=-30, steering_high=30, speed_low=0.5, speed_high=1.0)
    assert space.policy_output_count == 2 and space.top_speed == 1.0
    assert space.action_index([0.3, 0.1]) == NO_ACTION


def test_action_index_is_the_most_probable_action_first_on_ties():
    space = ActionSpace("discrete", steering_angle=(-10, 0, 10), speed=(1, 1, 1))
    assert space.action_index([0.2, 0.7, 0.1]) == 1
    assert space.action_index([0.4, 0.2, 0.4]) == 0
    assert space.action([0.4, 0.2, 0.4]).angle == -1.0, "the action and the published index agree"


@pytest.mark.parametrize("outputs", [[0.5], [0.1, 0.2, 0.3], [math.nan, 0.0]])
def test_output_that_does_not_fit_the_space_is_refused(outputs):
    space = ActionSpace("continuous", steering_low=-30, steering_high=30, speed_low=0.5, speed_high=1.0)
    with pytest.raises(ActionSpaceError, match="output"):
        space.action(outputs)


def test_discrete_output_count_must_match_actions():
    space = ActionSpace("discrete", steering_angle=(0,) * 15, speed=(1,) * 15)
    with pytest.raises(ActionSpaceError, match="12 outputs but the discrete action space needs 15"):
        space.action([1 / 12] * 12)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"type": "gaussian"}, "'gaussian' is unknown"),
    ({"type": "discrete"}, "needs at least one action"),
    ({"type": "discrete", "steering_angle": (0.0,), "speed": (1.0, 2.0)}, "1 steering angles but 2 speeds"),
    ({"type": "discrete", "steering_angle": (0.0,), "speed": (0.0,)}, "could never move"),
    ({"type": "discrete", "steering_angle": (0.0, 5.0), "speed": (1.0, -1.0)},
     r"action_space\[1\].speed is -1 m/s: speeds below 0 \(reverse\) are refused"),
    ({"type": "discrete", "steering_angle": (math.nan,), "speed": (1.0,)}, "finite"),
    ({"type": "continuous", "steering_low": 30.0, "steering_high": -30.0, "speed_high": 1.0},
     r"steering_angle.low \(30\) must be less than high \(-30\)"),
    ({"type": "continuous", "steering_low": -30.0, "steering_high": 30.0, "speed_low": 2.0, "speed_high": 1.0},
     r"speed.low \(2\) must be less than high \(1\)"),
    ({"type": "continuous", "steering_low": -30.0, "steering_high": -10.0, "speed_low": 1.0, "speed_high": 2.0},
     "steering_angle.high is -10: it must be above 0"),
    ({"type": "continuous", "steering_low": -30.0, "steering_high": 30.0, "speed_low": -1.0, "speed_high": 1.0},
     r"speed.low is -1 m/s: speeds below 0 \(reverse\) are refused"),
    ({"type": "continuous", "steering_low": -30.0, "steering_high": math.inf, "speed_high": 1.0}, "finite"),
    ({"type": "continuous", "steering_angle": (1.0,), "steering_low": -1, "steering_high": 1, "speed_high": 1},
     "ranges, not a list"),
])
def test_invalid_action_spaces_are_refused_with_what_to_fix(kwargs, message):
    with pytest.raises(ActionSpaceError, match=message):
        ActionSpace(**kwargs)
