"""The action rate as a person at the track sees it: how often the model decides, in words.

The value is the inference node's `max_rate_hz` (0 = every camera frame), read from and set on the node itself; the
camera's measured rate says what "every camera frame" is, and what a cap above it leaves. DeepRacer trains at 15
decisions a second (the policy sees 15 fps in training, and the simulator matches it:
/work/shared/reference/deepracer-facts.md, "The car"), so that is the one rate named for what it is.
"""

from __future__ import annotations

TRAINING_HZ = 15.0


def acting_hz(max_rate_hz: float, camera_fps: float | None) -> float | None:
    """How many decisions a second the car makes with this setting (None: the camera's rate is not known)."""
    if camera_fps is None:
        return max_rate_hz if max_rate_hz > 0 else None
    return camera_fps if max_rate_hz <= 0 else min(max_rate_hz, camera_fps)


def _per_second(hz: float) -> str:
    return f"{round(hz, 1):g} per second"


def words(max_rate_hz: float, camera_fps: float | None) -> str:
    """'every camera frame (30 per second)', '15 per second, as in training', '10 per second', or a cap the camera
    does not reach: '20 per second (the camera gives 15: every frame)'."""
    camera = f" ({_per_second(round(camera_fps))})" if camera_fps else ""
    if max_rate_hz <= 0:
        return f"every camera frame{camera}"
    text = _per_second(max_rate_hz) + (", as in training" if max_rate_hz == TRAINING_HZ else "")
    if camera_fps and max_rate_hz > camera_fps:
        return f"{text} (the camera gives {round(camera_fps):g}: every frame)"
    return text


def choices(camera_fps: float | None) -> list[dict[str, object]]:
    """The settings offered by name; any other number is a choice too."""
    return [{"max_rate_hz": 0.0, "words": words(0.0, camera_fps)},
            {"max_rate_hz": TRAINING_HZ, "words": words(TRAINING_HZ, None)}]


def camera_rate(connected: bool, fps: float) -> float | None:
    """The camera's measured rate when it delivers, else None."""
    return fps if connected and fps > 0 else None
