"""A frame that cannot be used is skipped and counted as dropped; any other failure is a bug: logged with its
traceback and counted as an error, never reported as a bad frame (issue 12)."""

from __future__ import annotations

import numpy as np

from deepracer_common_pkg.telemetry import StageWindow
from inference_pkg.frame_failures import handle_frame
from inference_pkg.preprocess import RawImage, camera_input


class Log:
    def __init__(self) -> None:
        self.warnings: list[str] = []
        self.errors: list[str] = []


def run(step) -> tuple[StageWindow, Log]:
    window, log = StageWindow("inference"), Log()
    handle_frame(step, window, warn=log.warnings.append, error=log.errors.append)
    return window, log


def test_a_frame_of_the_wrong_size_is_skipped_and_counted_as_dropped() -> None:
    short = RawImage("mono8", 120, 160, 160, bytes(100))
    window, log = run(lambda: camera_input("FRONT_FACING_CAMERA", [short]))
    assert (window.snapshot().dropped, window.snapshot().errors) == (1, 0)
    assert log.errors == [] and log.warnings == ["frame skipped: image of 160x120 mono8 with step 160 does not "
                                                 "fit its 100 bytes"]


def test_a_bug_is_logged_with_its_traceback_and_counted_apart() -> None:
    def buggy() -> None:
        features = {"FRONT_FACING_CAMERA": np.zeros((1, 120, 160, 1), np.float32)}
        features["STEREO_CAMERAS"]  # a mistake in our code, not in the frame

    window, log = run(buggy)
    assert (window.snapshot().dropped, window.snapshot().errors) == (0, 1)
    assert log.warnings == [], "a bug must never look like a skipped frame"
    (report,) = log.errors
    assert "a bug, not a bad frame" in report
    assert "Traceback (most recent call last)" in report and "KeyError: 'STEREO_CAMERAS'" in report
    assert "in buggy" in report, "the traceback names where it happened"


def test_a_good_frame_counts_nothing() -> None:
    image = RawImage("mono8", 120, 160, 160, bytes(160 * 120))
    window, log = run(lambda: camera_input("FRONT_FACING_CAMERA", [image]))
    assert (window.snapshot().dropped, window.snapshot().errors, log.warnings, log.errors) == (0, 0, [], [])
