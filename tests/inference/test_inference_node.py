"""The inference node as a real process over real DDS, loading generated models of every kind in turn.

Fakes: the camera and the LiDAR do not exist here, so the test publishes CameraFrames (synthetic grey
images) and LaserScans itself; the models are generated DeepRacer-shaped networks (test_inference_real_models
covers the trained ones). One node process serves the whole module.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from sensor_msgs.msg import Image, LaserScan

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.car_clock import boot_ns
from deepracer_common_pkg.drive_rules import LOAD_WHILE_STARTED, RATE_WHILE_STARTED
from deepracer_common_pkg.stamps import from_ns, to_ns
from deepracer_interfaces_pkg.msg import CameraFrames, InferenceResult, ModelState, NavigationState, StageStats
from deepracer_interfaces_pkg.srv import LoadModel
from inference_pkg.model_package import install
from support.rosgraph import NodeProcess, wait_for

SEQUENCE = itertools.count(1)


@pytest.fixture(scope="module")
def models_root(generated, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("models")
    for kind in ("mono-ppo-discrete", "mono-sac-continuous", "stereo-ppo-continuous", "stereo-lidar-ppo-discrete",
                 "stereo-sector-sac-continuous", "observation-ppo-discrete"):
        install(generated(kind), root, kind)
    broken = root / "broken"
    broken.mkdir()
    (broken / "model_metadata.json").write_text(json.dumps({"action_space": [], "sensor": ["RADAR"]}))
    # A finished package (as DREM leaves one: checksum.txt written last), so it is judged on its metadata, not
    # as a folder still being written.
    (broken / "checksum.txt").write_text("0" * 32)
    return root


@pytest.fixture(scope="module")
def node(models_root: Path):
    with NodeProcess("inference_pkg", "inference_node", {"models_root": str(models_root)}) as process:
        yield process


@pytest.fixture(scope="module")
def graph(ros_probe, node):
    """Subscriptions and publishers of the test side, created once."""
    class Graph:
        states = ros_probe.subscribe(ModelState, names.INFERENCE_MODEL_STATE, qos.LATCHED)
        results = ros_probe.subscribe(InferenceResult, names.INFERENCE_RESULTS, qos.LATEST)
        telemetry = ros_probe.subscribe(StageStats, names.telemetry_topic("inference"), qos.TELEMETRY)
        frames = ros_probe.publisher(CameraFrames, names.CAMERA_FRAMES, qos.LATEST)
        scans = ros_probe.publisher(LaserScan, names.LIDAR_SCAN, qos.LATEST)
        navigation = ros_probe.publisher(NavigationState, names.NAVIGATION_STATE, qos.LATCHED)
    yield Graph
    # The probe lives for the session: a latched navigation state left behind would reach later modules' nodes
    # (a servo node started later took its mode for the one its own test sent).
    for publisher in (Graph.frames, Graph.scans, Graph.navigation):
        ros_probe.node.destroy_publisher(publisher)


def state(graph) -> ModelState | None:
    return graph.states.latest()


def image(value: int, width: int = 160, height: int = 120, encoding: str = "mono8") -> Image:
    channels = 3 if encoding == "bgr8" else 1
    pixels = np.full((height, width * channels), value, np.uint8)
    pixels[:, : width * channels // 2] = 255 - value  # left half differs, so the policy sees structure
    return Image(height=height, width=width, encoding=encoding, step=width * channels, data=pixels.tobytes())


def frame(ros_probe, images: list[Image]) -> CameraFrames:
    message = CameraFrames(sequence=next(SEQUENCE), images=images)
    message.header.stamp = from_ns(boot_ns())
    return message


def scan() -> LaserScan:
    count = 360
    ranges = [0.4 if 170 <= i <= 190 else float("inf") for i in range(count)]
    return LaserScan(angle_min=-math.pi, angle_max=math.pi, angle_increment=2 * math.pi / count,
                     range_min=0.15, range_max=12.0, ranges=ranges)


def request_load(ros_probe, graph, name: str) -> LoadModel.Response:
    """Stop the (played) car, then ask for a load; retried until the node has heard the stop."""
    navigate(graph, started=False)

    def answered() -> LoadModel.Response | None:
        response = ros_probe.call(LoadModel, names.INFERENCE_LOAD_MODEL, LoadModel.Request(model_dir=name))
        return None if response.reason == LOAD_WHILE_STARTED else response

    return wait_for(answered, what=f"the load of {name} answered")


def load(ros_probe, graph, name: str) -> ModelState:
    response = request_load(ros_probe, graph, name)
    assert response.success, response.reason
    return wait_for(lambda: (s := state(graph)) is not None and s.model_name == name and s.state in ("loaded", "error")
                    and s, what=f"{name} loaded or failed")


def navigate(graph, *, started: bool, mode: str = "autonomous") -> None:
    """Play the navigation node: its latched state, naming the model the inference node last reported."""
    model = state(graph)
    graph.navigation.publish(NavigationState(mode=mode, started=started,
                                             model_name=model.model_name if model else "",
                                             model_ready=model is not None and model.state == "loaded"))


def run(graph) -> None:
    navigate(graph, started=True)
    wait_for(lambda: state(graph).running, what="running in the model state")


def no_results(ros_probe, graph, images: list[Image]) -> bool:
    """0.5 s of frames, none of which may produce a result."""
    graph.results.clear()
    for _ in range(20):
        graph.frames.publish(frame(ros_probe, images))
        time.sleep(0.025)
    return graph.results.messages == []


def drive_until_result(ros_probe, graph, images: list[Image], model_name: str, with_scan: bool = False,
                       timeout: float = 15.0) -> tuple[InferenceResult, dict[int, int]]:
    """Publish frames (and scans) until a result of `model_name` arrives; return it and {sequence: stamp}."""
    sent: dict[int, int] = {}

    def step():
        if with_scan:
            graph.scans.publish(scan())
        message = frame(ros_probe, images)
        sent[message.sequence] = to_ns(message.header.stamp)
        graph.frames.publish(message)
        return next((r for r in graph.results.messages if r.model_name == model_name), None)

    return wait_for(step, timeout, f"a result from {model_name}"), sent


def test_starts_idle_and_refuses_to_run_without_a_model(ros_probe, graph):
    assert wait_for(lambda: state(graph), what="the latched model state").state == "idle"
    navigate(graph, started=True)
    assert no_results(ros_probe, graph, [image(90)])
    assert not state(graph).running


@pytest.mark.parametrize("model", ["mono-ppo-discrete", "mono-sac-continuous", "stereo-ppo-continuous",
                                   "stereo-lidar-ppo-discrete", "stereo-sector-sac-continuous",
                                   "observation-ppo-discrete"])
def test_each_model_kind_end_to_end(ros_probe, graph, model: str):
    loaded = load(ros_probe, graph, model)
    assert loaded.state == "loaded", loaded.reason
    assert not loaded.running and loaded.load_seconds > 0
    stereo = "stereo" in model
    assert loaded.sensors[0] == ("STEREO_CAMERAS" if stereo else
                                       "observation" if "observation" in model else "FRONT_FACING_CAMERA")
    assert loaded.training_algorithm == ("sac" if "sac" in model else "clipped_ppo")
    run(graph)
    graph.results.clear()
    images = [image(40), image(200)] if stereo else [image(40, 640, 480, "bgr8")]
    result, sent = drive_until_result(ros_probe, graph, images, model, with_scan="lidar" in model or "sector" in model)
    assert to_ns(result.header.stamp) == sent[result.frame_sequence], "the result must carry the frame's stamp"
    assert result.inference_ms > 0
    outputs = np.array(result.outputs)
    if loaded.action_space.type == "discrete":
        assert result.action_space_type == "discrete"
        assert len(outputs) == len(loaded.action_space.steering_angle)
        assert outputs.sum() == pytest.approx(1.0, abs=1e-4)
        assert result.action_index == int(outputs.argmax())
    else:
        assert result.action_space_type == "continuous" and len(outputs) == 2
        assert result.action_index == -1 and (np.abs(outputs) <= 1.0).all()
        assert (loaded.action_space.steering_low, loaded.action_space.steering_high) == (-30.0, 30.0)


@pytest.mark.parametrize("leave", ["stop", "manual mode"])
def test_results_stop_when_navigation_stops_driving_autonomously(ros_probe, graph, leave: str):
    load(ros_probe, graph, "mono-ppo-discrete")
    run(graph)
    drive_until_result(ros_probe, graph, [image(90)], "mono-ppo-discrete")
    if leave == "stop":
        navigate(graph, started=False)
    else:
        navigate(graph, started=True, mode="manual")
    wait_for(lambda: not state(graph).running, what="stopped in the model state")
    assert no_results(ros_probe, graph, [image(90)])


def test_lidar_model_without_scans_publishes_nothing(ros_probe, graph, node):
    load(ros_probe, graph, "stereo-lidar-ppo-discrete")
    run(graph)
    graph.results.clear()

    def skipped() -> bool:
        graph.frames.publish(frame(ros_probe, [image(10), image(20)]))
        return "the model needs LiDAR but no scan arrived" in node.output()

    wait_for(skipped, what="the node to skip frames without a fresh scan")
    graph.results.clear()
    for _ in range(10):  # 0.25 s more of frames, all past the LiDAR timeout: none may produce a result
        graph.frames.publish(frame(ros_probe, [image(10), image(20)]))
        time.sleep(0.025)
    assert graph.results.messages == []


def test_load_errors_are_reported(ros_probe, graph):
    response = request_load(ros_probe, graph, "no-such-model")
    assert not response.success and "no model folder" in response.reason
    failed = load(ros_probe, graph, "broken")
    assert failed.state == "error"
    assert "sensor 'RADAR' is unknown" in failed.reason
    navigate(graph, started=True)
    assert no_results(ros_probe, graph, [image(90)]), "nothing to run after a failed load"
    assert not state(graph).running


def test_newer_load_supersedes_an_older_one(ros_probe, graph):
    graph.states.clear()
    for name in ("stereo-ppo-continuous", "mono-sac-continuous"):
        assert request_load(ros_probe, graph, name).success
    wait_for(lambda: (s := state(graph)) and s.state == "loaded" and s.model_name == "mono-sac-continuous",
             what="the newer model loaded")
    after_newer = list(itertools.dropwhile(
        lambda s: not (s.state == "loading" and s.model_name == "mono-sac-continuous"), graph.states.messages))
    assert all(s.model_name == "mono-sac-continuous" for s in after_newer)


def rate(hz: float) -> ParameterValue:
    return ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=hz)


def set_parameter(ros_probe, name: str, value: ParameterValue, node: str = "/inference_node"):
    request = SetParameters.Request(parameters=[Parameter(name=name, value=value)])
    return ros_probe.call(SetParameters, f"{node}/set_parameters", request).results[0]


def results_in(ros_probe, graph, seconds: float) -> int:
    """Frames at ~30 Hz for `seconds`: how many results came back."""
    graph.results.clear()
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        graph.frames.publish(frame(ros_probe, [image(90)]))
        time.sleep(1 / 30)
    return len(graph.results.messages)


def test_rate_cap_and_invalid_parameters(ros_probe, graph):
    load(ros_probe, graph, "mono-ppo-discrete")
    refused = set_parameter(ros_probe, "precision",
                            ParameterValue(type=ParameterType.PARAMETER_STRING, string_value="f64"))
    assert not refused.successful and "precision must be one of f32, bf16, f16" in refused.reason
    assert set_parameter(ros_probe, "max_rate_hz", rate(5.0)).successful
    run(graph)
    drive_until_result(ros_probe, graph, [image(90)], "mono-ppo-discrete")
    count = results_in(ros_probe, graph, 3.0)  # the cap allows ~15 of the ~90 frames
    navigate(graph, started=False)
    wait_for(lambda: set_parameter(ros_probe, "max_rate_hz", rate(0.0)).successful, what="the cap lifted, stopped")
    assert 12 <= count <= 17, f"{count} results in 3 s with a 5 Hz cap"


def test_the_action_rate_does_not_change_while_the_car_is_started(ros_probe, graph):
    """Issue 26, item 4: a run keeps the pace it started with (drive_rules.rate_change_refusal), whoever asks."""
    load(ros_probe, graph, "mono-ppo-discrete")
    run(graph)
    refused = wait_for(lambda: (r := set_parameter(ros_probe, "max_rate_hz", rate(15.0))).reason and r,
                       what="the change refused while started")
    assert (refused.successful, refused.reason) == (False, RATE_WHILE_STARTED)
    navigate(graph, started=False)
    wait_for(lambda: set_parameter(ros_probe, "max_rate_hz", rate(15.0)).successful, what="the change once stopped")
    assert set_parameter(ros_probe, "max_rate_hz", rate(0.0)).successful


def test_telemetry_reports_latency(graph):
    stats = graph.telemetry.wait_for(lambda s: s.count > 0 and s.latency_p50_ms > 0, what="inference telemetry")
    assert stats.stage == "inference"


@pytest.mark.parametrize("mode", ["autonomous", "manual"])
def test_loading_is_refused_while_the_car_is_started(ros_probe, graph, mode: str):
    graph.navigation.publish(NavigationState(mode=mode, started=True))

    def refused() -> bool:
        request = LoadModel.Request(model_dir="mono-ppo-discrete")
        response = ros_probe.call(LoadModel, names.INFERENCE_LOAD_MODEL, request)
        return not response.success and response.reason == LOAD_WHILE_STARTED

    wait_for(refused, what="the load refused while started")
    graph.navigation.publish(NavigationState(mode=mode, started=False))

    def accepted() -> bool:
        request = LoadModel.Request(model_dir="mono-ppo-discrete")
        return ros_probe.call(LoadModel, names.INFERENCE_LOAD_MODEL, request).success

    wait_for(accepted, what="the load accepted once the car stopped")


def test_node_exits_cleanly(node):
    assert node.stop() == 0
    assert "Traceback" not in node.log_path.read_text()


