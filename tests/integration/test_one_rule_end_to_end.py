"""Issue 12's two bugs, end to end over real DDS: the camera (synthetic source: no camera device here),
inference (real OpenVINO on generated DeepRacer-shaped models) and navigation nodes as real processes,
and this test as a plain ROS client, as the console, a script or a fleet link would be.

1. One action-space validator: a model navigation cannot drive is never reported "loaded".
2. The autonomous start is one call to /navigation_pkg/start_stop: inference follows navigation's state,
   so the car drives without anyone starting inference first.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from std_srvs.srv import SetBool

from deepracer_common_pkg import names, qos
from deepracer_interfaces_pkg.msg import DriveCommand, ModelState, NavigationState
from deepracer_interfaces_pkg.srv import LoadModel, SetDriveMode, SetMaxSpeed
from inference_pkg import demo_model
from inference_pkg.model_package import install
from support.rosgraph import NodeProcess

STARTUP_S = 60.0
# Steering only to one side: the original inference accepted it, navigation refused it.
RIGHT_ONLY = {"steering_angle": {"low": -30.0, "high": -10.0}, "speed": {"low": 0.5, "high": 1.0}}


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("models")
    scratch = tmp_path_factory.mktemp("packages")
    good = install(demo_model.write_package(scratch / "good"), root, "good").path
    # Written in place, not installed (install refuses it now): a folder left by an older stack or copied in.
    right_only = demo_model.write_package(root / "right-only", action_space=RIGHT_ONLY)
    (right_only / "checksum.txt").write_text("0" * 32)  # a finished folder (checksum.txt last, as DREM writes)
    return {"root": root, "good": good, "right-only": right_only}


@pytest.fixture(scope="module")
def graph(ros_probe, models):
    with NodeProcess("camera_pkg", "camera_node") as camera, \
            NodeProcess("inference_pkg", "inference_node", {"models_root": str(models["root"]),
                                                            "install_demo_model": False}) as inference, \
            NodeProcess("navigation_pkg", "navigation_node") as navigation:
        class Graph:
            model = ros_probe.subscribe(ModelState, names.INFERENCE_MODEL_STATE, qos.LATCHED)
            navigation_state = ros_probe.subscribe(NavigationState, names.NAVIGATION_STATE, qos.LATCHED)
            servo = ros_probe.subscribe(DriveCommand, names.NAVIGATION_SERVO_CMD, qos.COMMAND)

            @staticmethod
            def output() -> str:
                return "\n".join(f"--- {n.log_path.name}\n{n.output()}" for n in (camera, inference, navigation))
        yield Graph


def load(ros_probe, graph, folder: Path) -> ModelState:
    answer = ros_probe.call(LoadModel, names.INFERENCE_LOAD_MODEL, LoadModel.Request(model_dir=str(folder)),
                            STARTUP_S)
    assert answer.success, answer.reason
    return graph.model.wait_for(lambda s: s.model_dir == str(folder) and s.state in ("loaded", "error"),
                                STARTUP_S, f"{folder.name} loaded or refused")


def test_a_model_navigation_cannot_drive_is_never_reported_loaded(ros_probe, graph, models):
    state = load(ros_probe, graph, models["right-only"])
    assert state.state == "error", f"reported {state.state!r}: {state.reason}"
    assert "steering_angle.high is -10: it must be above 0" in state.reason
    navigation = graph.navigation_state.wait_for(lambda s: s.model_name == "right-only", STARTUP_S)
    assert not navigation.model_ready


def test_one_start_call_to_navigation_drives_the_car(ros_probe, graph, models):
    assert load(ros_probe, graph, models["good"]).state == "loaded"
    graph.navigation_state.wait_for(lambda s: s.model_ready and s.model_name == "good", STARTUP_S)
    for srv_type, name, request in (
        (SetDriveMode, names.NAVIGATION_SET_DRIVE_MODE, SetDriveMode.Request(mode="autonomous")),
        (SetMaxSpeed, names.NAVIGATION_SET_MAX_SPEED, SetMaxSpeed.Request(max_speed=1.0)),
        (SetBool, names.NAVIGATION_START_STOP, SetBool.Request(data=True)),
    ):
        answer = ros_probe.call(srv_type, name, request, STARTUP_S)
        assert answer.success, f"{name}: {getattr(answer, 'reason', '') or answer.message}"
    graph.model.wait_for(lambda s: s.running, 30, f"inference running after the start\n{graph.output()}")
    graph.servo.wait_for(lambda m: m.throttle > 0, 30, f"the policy driving the throttle\n{graph.output()}")

    graph.model.clear()
    answer = ros_probe.call(SetBool, names.NAVIGATION_START_STOP, SetBool.Request(data=False), STARTUP_S)
    assert answer.success
    graph.model.wait_for(lambda s: not s.running, 30, "inference stopped after the stop")
