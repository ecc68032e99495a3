"""What a run's bag holds: every topic that explains what the car saw, chose and did, with its publisher's QoS.

Policy frames, the policy's results, navigation's commands, the duty cycles written, the drive and model
state, each stage's telemetry, and the simulator's pose and race state when the interface package has them
(the car has no simulator; a laptop run does); and the original car's /inference_pkg/rl_results
(InferResultsArray: results and the JPEG picture), which DeepRacer Event Manager's video tool reads from bags.
"""

from __future__ import annotations

from deepracer_common_pkg import names
from logging_pkg.bag_format import TopicSpec

STAGES = ("camera", "inference", "navigation", "servo")
_PKG = "deepracer_interfaces_pkg/msg/"


def _latest(name: str, type_name: str) -> TopicSpec:
    return TopicSpec(name, _PKG + type_name, "best_effort", "volatile", 1)


def _command(name: str, type_name: str) -> TopicSpec:
    return TopicSpec(name, _PKG + type_name, "reliable", "volatile", 1)


def _latched(name: str, type_name: str) -> TopicSpec:
    return TopicSpec(name, _PKG + type_name, "reliable", "transient_local", 1)


def recorded_topics(available_types: set[str], *, original_results: bool = True) -> list[TopicSpec]:
    """The topics to record, given which of our message types are installed (`available_types`); with
    `original_results`, also the original car's rl_results that DREM's video tool reads (when compat is there)."""
    topics = [
        _latest(names.CAMERA_FRAMES, "CameraFrames"),
        _latest(names.INFERENCE_RESULTS, "InferenceResult"),
        _command(names.NAVIGATION_SERVO_CMD, "DriveCommand"),
        _command(names.SERVO_PWM_WRITTEN, "PwmWritten"),
        _latched(names.NAVIGATION_STATE, "NavigationState"),
        _latched(names.INFERENCE_MODEL_STATE, "ModelState"),
        *(_latched(names.telemetry_topic(stage), "StageStats") for stage in STAGES),
    ]
    if _PKG + "SimPose" in available_types:
        topics.append(_latest(names.SIM_POSE, "SimPose"))
    if _PKG + "SimState" in available_types:
        topics.append(_latched(names.SIM_STATE, "SimState"))
    original = getattr(names, "ORIGINAL_RL_RESULTS", "")
    if original_results and original and original != names.INFERENCE_RESULTS \
            and _PKG + "InferResultsArray" in available_types:
        topics.append(_latest(original, "InferResultsArray"))
    return topics


def type_class_path(type_name: str) -> tuple[str, str]:
    """'pkg/msg/Type' -> ('pkg.msg', 'Type'), the module and class rclpy's generated Python type lives at."""
    package, kind, name = type_name.split("/")
    return f"{package}.{kind}", name
