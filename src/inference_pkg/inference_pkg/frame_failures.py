"""Telling a frame that cannot be used from a bug in our code, on the inference node's frame path.

A frame that cannot be used (wrong size, encoding or image count, a LiDAR model without a fresh scan) raises
`FrameError`: it is skipped, counted as dropped and logged as "frame skipped", and the next frame is tried.
Anything else that goes wrong is a bug, never a bad frame: it is logged as an error with its traceback and
counted in the stage's `errors` telemetry, so a new bug shows up as one and not as a camera problem. The
node keeps running in both cases: a policy that fails on one frame must not stop the car's pipeline.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable

from deepracer_common_pkg.telemetry import StageWindow


class FrameError(ValueError):
    """This frame cannot be used; the message says why, in words for the log."""


def handle_frame(step: Callable[[], None], window: StageWindow, *, warn: Callable[[str], None],
                 error: Callable[[str], None]) -> None:
    """Run one frame's work; sort a failure into a skipped frame or a counted, logged bug."""
    try:
        step()
    except FrameError as problem:
        window.drop()
        lines = [line for line in str(problem).splitlines() if line.strip()] or [type(problem).__name__]
        warn(f"frame skipped: {lines[-1]}")
    except Exception:  # a bug: reported with its traceback, and the next frame is tried
        window.error()
        error(f"inference failed on a frame (a bug, not a bad frame):\n{traceback.format_exc()}")
