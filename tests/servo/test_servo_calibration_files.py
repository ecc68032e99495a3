"""Calibration and tail-light files: the original car's format, corrupt and missing files (the atomic write
itself: tests/common/test_small_files.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from servo_pkg.calibration_files import load_calibration, load_led_color, save_calibration, save_led_color
from servo_pkg.led_color import DEFAULT_LED_COLOR, LedColor
from servo_pkg.pwm_math import DEFAULT_STEERING, DEFAULT_THROTTLE, Calibration, ChannelCalibration

# As the original car writes it (jsoncpp, keys sorted, 3-space indent).
ORIGINAL_CALIBRATION = """{
   "Calibration" : {
      "Motor" : {
         "max" : 1580000,
         "mid" : 1450000,
         "min" : 1330000,
         "polarity" : 1
      },
      "Servo" : {
         "max" : 1690000,
         "mid" : 1460000,
         "min" : 1230000,
         "polarity" : -1
      }
   },
   "version" : 1
}
"""
ORIGINAL_STEERING = ChannelCalibration(min_ns=1_230_000, mid_ns=1_460_000, max_ns=1_690_000, polarity=-1)
ORIGINAL_THROTTLE = ChannelCalibration(min_ns=1_330_000, mid_ns=1_450_000, max_ns=1_580_000, polarity=1)


def test_reads_the_original_cars_file(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(ORIGINAL_CALIBRATION)
    loaded = load_calibration(path)
    assert loaded.note is None
    assert loaded.value == Calibration(steering=ORIGINAL_STEERING, throttle=ORIGINAL_THROTTLE)


def test_reads_an_old_original_file_without_version(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    document = json.loads(ORIGINAL_CALIBRATION)
    del document["version"]
    path.write_text(json.dumps(document))
    assert load_calibration(path).value.steering == ORIGINAL_STEERING


def test_writes_the_original_layout_and_reads_it_back(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "calibration.json"
    calibration = Calibration(steering=ORIGINAL_STEERING, throttle=ORIGINAL_THROTTLE)
    save_calibration(path, calibration)
    assert json.loads(path.read_text()) == json.loads(ORIGINAL_CALIBRATION)
    assert load_calibration(path).value == calibration
    assert [p.name for p in path.parent.iterdir()] == ["calibration.json"]


def test_missing_file_gives_defaults_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    loaded = load_calibration(path)
    assert loaded.value == Calibration()
    assert str(path) in loaded.note and "defaults" in loaded.note


@pytest.mark.parametrize("text", ["", "{\"Calibration\": {\"Servo\": {\"max\": 17", "\x00\xff garbage"])
def test_corrupt_file_gives_defaults_and_is_left_alone(tmp_path: Path, text: str) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(text, errors="surrogateescape")
    before = path.read_bytes()
    loaded = load_calibration(path)
    assert loaded.value == Calibration()
    assert "not valid JSON" in loaded.note and str(path) in loaded.note
    assert path.read_bytes() == before


@pytest.mark.parametrize(("servo", "problem"), [
    ({"max": 1_400_000, "mid": 1_460_000, "min": 1_230_000, "polarity": -1}, "mid=1460000 max=1400000"),
    ({"mid": 1_460_000, "min": 1_230_000, "polarity": -1}, "'max' is missing"),
    ({"max": "1690000", "mid": 1_460_000, "min": 1_230_000, "polarity": -1}, "'max' must be an integer"),
])
def test_one_bad_channel_falls_back_alone(tmp_path: Path, servo: dict, problem: str) -> None:
    document = json.loads(ORIGINAL_CALIBRATION)
    document["Calibration"]["Servo"] = servo
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps(document))
    loaded = load_calibration(path)
    assert loaded.value == Calibration(steering=DEFAULT_STEERING, throttle=ORIGINAL_THROTTLE)
    assert "steering ('Servo')" in loaded.note and problem in loaded.note


def test_json_of_the_wrong_shape_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    path.write_text("[1, 2, 3]")
    loaded = load_calibration(path)
    assert loaded.value == Calibration(steering=DEFAULT_STEERING, throttle=DEFAULT_THROTTLE)
    assert "no 'Calibration' object" in loaded.note


def test_led_file_in_the_original_format(tmp_path: Path) -> None:
    path = tmp_path / "led_values.json"
    path.write_text('{"Led Values": {"red_pwm": 10000000, "green_pwm": 0, "blue_pwm": 5019520}}')
    loaded = load_led_color(path)
    assert loaded.note is None
    assert loaded.value == LedColor(red=255, green=0, blue=128)  # 5,019,520 = 128 * 39,215


def test_led_save_writes_duty_cycles_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "led_values.json"
    save_led_color(path, LedColor(red=1, green=128, blue=255))
    assert json.loads(path.read_text()) == {"Led Values": {"red_pwm": 39_215, "green_pwm": 5_019_520,
                                                           "blue_pwm": 9_999_825}}
    assert load_led_color(path).value == LedColor(red=1, green=128, blue=255)


@pytest.mark.parametrize("text", ['{"Led Values": {"red_pwm": 10000001, "green_pwm": 0, "blue_pwm": 0}}',
                                  '{"Led Values": {"red_pwm": 0, "green_pwm": 0}}', "{oops"])
def test_bad_led_file_gives_the_default_colour(tmp_path: Path, text: str) -> None:
    path = tmp_path / "led_values.json"
    path.write_text(text)
    loaded = load_led_color(path)
    assert loaded.value == DEFAULT_LED_COLOR == LedColor(red=0, green=0, blue=255)
    assert str(path) in loaded.note


@pytest.mark.parametrize("bad", [-1, 256, 1.5, True])
def test_led_colour_is_validated(bad: object) -> None:
    with pytest.raises(ValueError, match=f"green must be an integer 0-255, got {bad!r}"):
        LedColor(red=0, green=bad, blue=0)
