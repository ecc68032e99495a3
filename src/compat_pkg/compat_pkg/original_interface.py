"""The original car's ROS interface, mapped onto this stack's requests: the one place that knows both.

Why: DeepRacer Event Manager and the AWS sample applications call the original ctrl_pkg and servo_pkg services
with the original numbers and units. Each request here becomes the request our own node takes, and each answer
the original's `error` flag; the rules themselves stay with their owners (drive modes, start and stop in
navigation; calibration and the tail light in the servo node; loading in the inference node).

Facts carried over from the original packages (aws-deepracer-ctrl-pkg, aws-deepracer-interfaces-pkg, and the
sample applications' copies of ctrl_pkg): modes are numbered 0 manual, 1 autonomous, 2 calibration, and the
sample applications add 3 for their own mode; calibration type 0 is steering, 1 throttle, values in ns;
tail-light values are duty cycles in ns (0-255 x 39,215); `error` is 0 for done and 1 for refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from deepracer_common_pkg.vocabulary import AUTONOMOUS, CALIBRATION, EXTERNAL, MANUAL
from servo_pkg.led_color import LedColor
from servo_pkg.pwm_math import STEERING, THROTTLE

DONE, REFUSED = 0, 1

# Index = the original mode number.
ORIGINAL_MODES: tuple[str, ...] = (MANUAL, AUTONOMOUS, CALIBRATION, EXTERNAL)
CAL_TYPES: tuple[str, ...] = (STEERING, THROTTLE)
MODEL_FILES = ("model.pb", "model.xml", "model.bin")


class OriginalRequestError(ValueError):
    """A request in the original's terms that has no meaning here; the message says what is accepted."""


def error_flag(accepted: bool) -> int:
    return DONE if accepted else REFUSED


def mode_for_state(state: int) -> str:
    """ActiveStateSrv.state -> our drive mode."""
    if not 0 <= state < len(ORIGINAL_MODES):
        raise OriginalRequestError(f"vehicle state {state} is unknown; expected " +
                                   ", ".join(f"{n} ({m})" for n, m in enumerate(ORIGINAL_MODES)))
    return ORIGINAL_MODES[state]


def channel_for_cal_type(cal_type: int) -> str:
    """GetCalibrationSrv/SetCalibrationSrv.cal_type -> our calibration channel."""
    if not 0 <= cal_type < len(CAL_TYPES):
        raise OriginalRequestError(f"cal_type {cal_type} is unknown; expected 0 (steering) or 1 (throttle)")
    return CAL_TYPES[cal_type]


def led_color_for_duty(red_ns: int, green_ns: int, blue_ns: int) -> LedColor:
    """SetLedCtrlSrv's duty cycles -> the tail light colour our servo node keeps (nearest 0-255 step)."""
    try:
        return LedColor.from_duty_ns(red_ns, green_ns, blue_ns)
    except ValueError as error:
        raise OriginalRequestError(f"tail light not changed: {error}") from error


def model_dir_for(model_name: str) -> str:
    """ModelStateSrv.model_name -> what our LoadModel takes: an installed model's folder name, or a folder path.
    The original console passed a model file's path; its folder is the model."""
    text = model_name.strip()
    if not text:
        raise OriginalRequestError("model_name is empty: give an installed model's folder name or its path")
    path = PurePosixPath(text)
    return str(path.parent) if path.name in MODEL_FILES else text


@dataclass(frozen=True)
class ClassResult:
    """One InferResults entry: for a DeepRacer policy the action index and its probability."""

    class_label: int
    class_prob: float


def class_results(action_space_type: str, outputs: Sequence[float]) -> list[ClassResult]:
    """Our policy output -> the original InferResultsArray.results. Discrete: one entry per action with its
    probability, as the original inference node sent; continuous: entry 0 is the steering output and entry 1
    the speed output, both in [-1, 1]."""
    return [ClassResult(index, float(value)) for index, value in enumerate(outputs)] \
        if action_space_type in ("discrete", "continuous") else []
