"""The original car's requests in the original numbers and units, mapped onto this stack's (compat_pkg core)."""

from __future__ import annotations

import pytest

from compat_pkg import original_interface as original
from compat_pkg.original_interface import OriginalRequestError
from deepracer_common_pkg.vocabulary import AUTONOMOUS, CALIBRATION, EXTERNAL, MANUAL


def test_modes_are_numbered_as_on_the_original_car_and_its_sample_apps():
    assert [original.mode_for_state(n) for n in range(4)] == [MANUAL, AUTONOMOUS, CALIBRATION, EXTERNAL]
    with pytest.raises(OriginalRequestError, match=r"vehicle state 7 is unknown; expected 0 \(manual\)"):
        original.mode_for_state(7)


def test_calibration_types_are_steering_then_throttle():
    assert (original.channel_for_cal_type(0), original.channel_for_cal_type(1)) == ("steering", "throttle")
    with pytest.raises(OriginalRequestError, match="0 \\(steering\\) or 1 \\(throttle\\)"):
        original.channel_for_cal_type(2)


def test_tail_light_duty_cycles_round_trip_through_the_console_steps():
    # DREM's white and a preset: 255 x 39,215 ns per channel, and #FF8000-like values.
    white = original.led_color_for_duty(9_999_825, 9_999_825, 9_999_825)
    assert (white.red, white.green, white.blue) == (255, 255, 255)
    assert white.duty_ns() == (9_999_825, 9_999_825, 9_999_825)
    orange = original.led_color_for_duty(9_999_825, 5_019_520, 0)
    assert orange.duty_ns() == (9_999_825, 128 * 39_215, 0)
    with pytest.raises(OriginalRequestError, match=r"0\.\.10000000 ns"):
        original.led_color_for_duty(-1, 0, 0)


def test_model_name_may_be_a_folder_or_the_model_file_in_it():
    assert original.model_dir_for("racer-model") == "racer-model"
    assert original.model_dir_for("/opt/aws/deepracer/artifacts/racer-model/model.pb") == \
        "/opt/aws/deepracer/artifacts/racer-model"
    with pytest.raises(OriginalRequestError, match="model_name is empty"):
        original.model_dir_for("  ")


def test_rl_results_carry_one_class_per_action():
    results = original.class_results("discrete", [0.1, 0.7, 0.2])
    assert [(r.class_label, r.class_prob) for r in results] == [(0, pytest.approx(0.1)), (1, pytest.approx(0.7)),
                                                                (2, pytest.approx(0.2))]
    assert original.class_results("", [0.5]) == []


def test_the_error_flag_is_0_for_done():
    assert (original.error_flag(True), original.error_flag(False)) == (0, 1)
