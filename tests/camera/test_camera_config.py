"""CameraConfig and the `source` grammar: defaults, and errors that name the field and what is allowed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from camera_pkg.config import CameraConfig, needs_restart
from camera_pkg.source_spec import CameraSpec, SourceSpec, parse_source


def test_defaults_are_the_laptop_run():
    config = CameraConfig()
    assert config.source_spec == SourceSpec(auto=False, cameras=(CameraSpec("synthetic"),))
    assert (config.fps, config.policy_width, config.policy_height) == (15.0, 160, 120)
    assert (config.capture_width, config.capture_height) == (640, 480)
    # The browser gets the camera's own JPEG (the capture size) at 15 fps: no re-encoding on the car.
    assert (config.display_width, config.display_height, config.display_fps) == (640, 480, 15.0)
    assert config.video_on and config.loop_video


@pytest.mark.parametrize(("text", "expected"), [
    ("auto", SourceSpec(auto=True)),
    ("0", SourceSpec(False, (CameraSpec("device", "/dev/video0"),))),
    ("/dev/video2", SourceSpec(False, (CameraSpec("device", "/dev/video2"),))),
    ("0, 2", SourceSpec(False, (CameraSpec("device", "/dev/video0"), CameraSpec("device", "/dev/video2")))),
    ("file:/a.avi", SourceSpec(False, (CameraSpec("file", "/a.avi"),))),
    ("folder:/imgs,folder:/imgs2", SourceSpec(False, (CameraSpec("folder", "/imgs"),
                                                      CameraSpec("folder", "/imgs2")))),
    ("synthetic,synthetic", SourceSpec(False, (CameraSpec("synthetic"), CameraSpec("synthetic")))),
])
def test_source_grammar(text, expected):
    assert parse_source(text) == expected


def test_home_is_expanded_in_paths():
    assert parse_source("file:~/v.avi").cameras[0].target == str(Path.home() / "v.avi")


@pytest.mark.parametrize(("text", "message"), [
    ("webcam", "'webcam' is not a camera"),
    ("0,1,2", "at most 2"),
    ("auto,0", "cannot be combined"),
    ("0,", "empty item"),
    ("file:", "names no path"),
])
def test_bad_source_text_says_what_is_allowed(text, message):
    with pytest.raises(ValueError, match=message):
        CameraConfig(source=text)


def test_missing_file_or_folder_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match=r"source=.*video file '.*nope.avi' does not exist"):
        CameraConfig(source=f"file:{tmp_path / 'nope.avi'}")
    with pytest.raises(ValueError, match=r"image folder '.*gone' does not exist"):
        CameraConfig(source=f"folder:{tmp_path / 'gone'}")


def test_missing_device_is_not_a_config_error():
    """A USB camera may be plugged in later: the capture retries instead of refusing to start."""
    assert CameraConfig(source="/dev/video42").source_spec.cameras[0].target == "/dev/video42"


@pytest.mark.parametrize(("field", "value"), [
    ("fps", 0.0), ("fps", 500.0), ("fps", True), ("policy_width", 8), ("policy_height", 120.5),
    ("display_quality", 0), ("display_quality", 101), ("capture_width", 10_000), ("loop_video", "yes"),
    ("video_on", 1), ("loss_timeout_s", 0.0),
])
def test_bad_values_name_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        CameraConfig(**{field: value})


def test_loss_timeout_leaves_room_for_slow_sources():
    assert CameraConfig().effective_loss_timeout_s == 0.5
    assert CameraConfig(fps=1.0).effective_loss_timeout_s == 2.0


def test_only_capture_settings_restart_the_capture():
    base = CameraConfig()
    assert not needs_restart(base, dataclasses.replace(base, display_quality=50, video_on=False))
    assert not needs_restart(base, dataclasses.replace(base, policy_width=80))
    assert needs_restart(base, dataclasses.replace(base, fps=30.0))
    assert needs_restart(base, dataclasses.replace(base, source="synthetic,synthetic"))
