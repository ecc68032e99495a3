"""The original car's policy-output -> steering/throttle arithmetic, against hand-computed values: the
action space's choice of action (deepracer_common_pkg.action_space) followed by navigation's speed mapping."""

from __future__ import annotations

import pytest

from deepracer_common_pkg.action_space import ActionSpace, PolicyAction
from navigation_pkg.speed_mapping import parabola_coefficients, speed_to_throttle


def test_parabola_coefficients_of_the_facts_example():
    a, b = parabola_coefficients(0.8)
    assert a == pytest.approx(-1.875)
    assert b == pytest.approx(2.75)


def test_half_top_speed_at_a_40_percent_limit_gives_0_32():
    assert speed_to_throttle(0.4, 0.8, 0.4) == pytest.approx(0.32)


@pytest.mark.parametrize(("fraction_of_top", "throttle"), [
    (0.0, 0.0),
    (0.25, -1.2 / 16 + 2.2 / 4),  # 0.475
    (0.5, 0.8),
    (5 / 6, 1.0),   # the surprise: full throttle already at 0.833 of the top speed
    (0.9, 1.0),     # raw 1.008, clipped
    (1.0, 1.0),
])
def test_parabola_points(fraction_of_top, throttle):
    top = 2.0
    assert speed_to_throttle(fraction_of_top * top, top, 1.0) == pytest.approx(throttle)


def test_linear_mapping_is_proportional_and_clipped():
    assert speed_to_throttle(0.4, 0.8, 0.4, "linear") == pytest.approx(0.2)
    assert speed_to_throttle(1.6, 0.8, 1.0, "linear") == pytest.approx(1.0)


def test_zero_max_speed_setting_never_moves():
    assert speed_to_throttle(0.8, 0.8, 0.0) == 0.0


def test_unknown_speed_mapping_is_refused():
    with pytest.raises(ValueError, match="'cubic'"):
        speed_to_throttle(0.4, 0.8, 1.0, "cubic")


def test_discrete_single_cam_takes_the_most_probable_action(real_space):
    space = real_space("discrete_single_cam")  # 15 actions, +-30 degrees, speeds 2/3, 4/3, 2 m/s
    assert space.top_speed == pytest.approx(2.0)
    probabilities = [0.01] * 15
    probabilities[4] = 0.86  # steering -15, speed 4/3
    action = space.action(probabilities)
    assert action.angle == pytest.approx(-0.5)
    assert action.speed_mps == pytest.approx(4 / 3)
    # M = 2: a = -0.3, b = 1.1 -> -0.3 * 16/9 + 1.1 * 4/3 = 0.9333...
    assert speed_to_throttle(action.speed_mps, space.top_speed, 0.5) == pytest.approx(0.9333333 * 0.5)


def test_discrete_stereo_cam_half_top_speed_gives_0_8(real_space):
    space = real_space("discrete_stereo_cam")  # 10 actions, speeds 0.6 and 0.3
    probabilities = [0.0] * 10
    probabilities[5] = 1.0  # steering 30, speed 0.3
    action = space.action(probabilities)
    assert action == PolicyAction(angle=1.0, speed_mps=0.3)
    assert speed_to_throttle(action.speed_mps, space.top_speed, 1.0) == pytest.approx(0.8)


def test_discrete_steering_is_normalised_to_the_spaces_own_widest_angle():
    space = ActionSpace("discrete", steering_angle=(-15.0, 0.0, 7.5), speed=(1.0, 1.0, 1.0))
    assert space.action([0.9, 0.05, 0.05]).angle == pytest.approx(-1.0)
    assert space.action([0.1, 0.1, 0.8]).angle == pytest.approx(0.5)


def test_discrete_tie_takes_the_first_action():
    space = ActionSpace("discrete", steering_angle=(-10.0, 10.0), speed=(1.0, 1.0))
    assert space.action([0.5, 0.5]).angle == -1.0


def test_discrete_straight_only_space_steers_straight():
    space = ActionSpace("discrete", steering_angle=(0.0, 0.0), speed=(0.5, 1.0))
    assert space.action([0.2, 0.8]) == PolicyAction(angle=0.0, speed_mps=1.0)


def test_continuous_rescales_both_outputs(real_space):
    space = real_space("continuous_sac_stereo")  # steering +-28, speed 1..4
    action = space.action([0.5, 0.0])
    assert action.angle == pytest.approx(0.5)        # 28 * 1.5 - 28 = 14 degrees, / 28
    assert action.speed_mps == pytest.approx(2.5)    # 1.5 * 1 + 1
    # M = 4: a = -0.075, b = 0.55 -> -0.46875 + 1.375
    assert speed_to_throttle(action.speed_mps, space.top_speed, 1.0) == pytest.approx(0.90625)


def test_continuous_clips_outputs_beyond_one(real_space):
    space = real_space("continuous_sac_stereo")
    assert space.action([-2.0, 3.0]) == PolicyAction(angle=-1.0, speed_mps=4.0)


def test_continuous_slow_model_lowest_speed(real_space):
    space = real_space("continuous_slow")  # steering +-30, speed 0.5..1.0
    action = space.action([0.0, -1.0])
    assert action == PolicyAction(angle=0.0, speed_mps=0.5)
    assert speed_to_throttle(action.speed_mps, space.top_speed, 1.0) == pytest.approx(0.8)


def test_continuous_asymmetric_range_is_clipped_to_the_servo_range():
    space = ActionSpace("continuous", steering_low=-20.0, steering_high=10.0, speed_low=0.5, speed_high=1.0)
    assert space.action([-1.0, 0.0]).angle == -1.0  # -20 / 10 = -2 in the original


def test_a_discrete_label_on_a_continuous_range_is_driven_as_continuous(real_space):
    space = real_space("discrete_labelled_continuous_range")  # README "Decisions": the shape decides
    assert space.type == "continuous" and space.policy_output_count == 2
