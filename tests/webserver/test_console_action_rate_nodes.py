"""Issue 26, item 4, against the real nodes: the console's Decisions per second reaches the inference node (its
max_rate_hz, through its parameter service) and the car then decides that often, counted from the policy outputs
themselves; refused while the car is started; refused when slower than navigation's autonomous timeout as navigation
has it in force; shown as the node has it; kept across a restart of the inference node's process.

The stack is started by our launcher (servo, navigation, inference, camera, console; the camera's synthetic source
stands in for the camera device, the simulated PWM output for the hardware) and driven over real HTTP. Rates are
judged by counting outputs whose capture stamps fall in a 4 s span, with generous bounds: the camera gives 15 frames
a second, so every frame gives about 60 and 5 a second about 20."""

from __future__ import annotations

import psutil
import pytest
from webserver.console_client import HttpClient

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.drive_rules import RATE_WHILE_STARTED
from deepracer_common_pkg.stamps import to_ns
from deepracer_interfaces_pkg.msg import InferenceResult, ModelState, NavigationState
from deepracer_interfaces_pkg.srv import LoadModel, SetDriveMode
from support.rosgraph import wait_for
from support.stack import LaunchedStack, console_login, installed_model_dir, temp_data_dir

STARTUP_S = 90.0
SPAN_S = 4.0
AUTONOMOUS_TIMEOUT_S = 0.3  # not the default, so a refusal that names it came from navigation's value in force


@pytest.fixture(scope="module")
def stack():
    launched = LaunchedStack(temp_data_dir(), only="servo_node,navigation_node,inference_node,camera_node,"
                                                    "webserver_node",
                             sets=["camera_node.source=synthetic",
                                   f"navigation_node.autonomous_timeout_s={AUTONOMOUS_TIMEOUT_S}"])
    yield launched
    if launched.process.poll() is None:
        launched.stop()


@pytest.fixture(scope="module")
def console(stack, ros_probe):
    _, password = console_login(stack, STARTUP_S)
    client = HttpClient(stack.url)
    assert wait_for(lambda: client.login(password).status == 200 or None, STARTUP_S, "a console login")
    model = installed_model_dir(stack, STARTUP_S)
    states = ros_probe.subscribe(ModelState, names.INFERENCE_MODEL_STATE, qos.LATCHED)
    assert ros_probe.call(LoadModel, names.INFERENCE_LOAD_MODEL, LoadModel.Request(model_dir=str(model)),
                          STARTUP_S).success
    # The newest state, not the first "loaded" heard (a latched one from before this load), and navigation's own
    # view: a Start is refused while navigation still has the model "loading" (it was, 1 fresh-clone run in 4).
    target = str(model).rstrip("/")
    wait_for(lambda: (s := states.latest()) is not None and s.state == "loaded" and s.model_dir.rstrip("/") == target,
             STARTUP_S, "the demo model loaded")
    navigation = ros_probe.subscribe(NavigationState, names.NAVIGATION_STATE, qos.LATCHED)
    wait_for(lambda: (n := navigation.latest()) is not None and n.model_ready, STARTUP_S,
             "navigation to see the model loaded")
    ros_probe.node.destroy_subscription(navigation.subscription)
    assert ros_probe.call(SetDriveMode, names.NAVIGATION_SET_DRIVE_MODE,
                          SetDriveMode.Request(mode="autonomous")).success
    return client


def rate_in_force(console: HttpClient) -> dict | None:
    reply = console.get("/api/action_rate", timeout=15)
    return reply.json() if reply.status == 200 else None


def decisions_in_a_span(console: HttpClient, ros_probe) -> int:
    """Start the car (maximum speed 0: the policy runs, the wheels stay still), count the policy outputs captured
    within SPAN_S, stop."""
    outputs = ros_probe.subscribe(InferenceResult, names.INFERENCE_RESULTS, qos.LATEST)
    try:
        reply = console.post("/api/start_stop", {"start_stop": "start"})
        assert reply.status == 200, reply.body
        stamps = lambda: sorted(to_ns(m.header.stamp) for m in outputs.messages)  # noqa: E731
        # A first output, then a whole span after it: the count does not depend on when this test looked.
        wait_for(lambda: len(s := stamps()) > 1 and s[-1] - s[0] >= SPAN_S * 1e9, 30, "a span of policy outputs")
        first = stamps()[0]
        return sum(1 for stamp in stamps() if stamp - first < SPAN_S * 1e9)
    finally:
        assert console.post("/api/start_stop", {"start_stop": "stop"}).status == 200
        ros_probe.node.destroy_subscription(outputs.subscription)


def test_the_console_sets_how_often_the_car_decides_and_the_car_follows(stack, console, ros_probe):
    answer = wait_for(lambda: rate_in_force(console), STARTUP_S, "the inference node's rate through the console")
    assert answer["max_rate_hz"] == 0.0 and answer["words"].startswith("every camera frame")
    every_frame = decisions_in_a_span(console, ros_probe)

    answer = console.post("/api/action_rate", {"max_rate_hz": 5}).json()
    assert (answer["success"], answer["max_rate_hz"], answer["words"]) == (True, 5.0, "5 per second")
    capped = decisions_in_a_span(console, ros_probe)
    assert every_frame >= 36, f"{every_frame} outputs in {SPAN_S} s of a 15 fps camera, every frame"
    assert 12 <= capped <= 28, f"{capped} outputs in {SPAN_S} s at 5 per second"

    # The Control page's rate (the inference stage's telemetry) shows the decisions, not the camera's frames.
    reply = console.post("/api/start_stop", {"start_stop": "start"})
    assert reply.status == 200, reply.body
    try:
        wait_for(lambda: 3.5 <= (console.get("/api/get_device_status").json()["fps_mean"] or 0) <= 6.5, 20,
                 "the Control page's rate at about 5 a second", interval=0.5)
        refused = console.post("/api/action_rate", {"max_rate_hz": 15})
        assert (refused.status, refused.json()["reason"]) == (409, RATE_WHILE_STARTED)
    finally:
        assert console.post("/api/start_stop", {"start_stop": "stop"}).status == 200
    assert rate_in_force(console)["max_rate_hz"] == 5.0


def test_a_rate_too_slow_for_navigations_autonomous_timeout_in_force_is_refused(console):
    refused = console.post("/api/action_rate", {"max_rate_hz": 3})
    assert refused.status == 409
    reason = refused.json()["reason"]
    assert f"navigation_node.autonomous_timeout_s {AUTONOMOUS_TIMEOUT_S:g} s" in reason
    assert "set inference_node.max_rate_hz above 3.333 per second" in reason
    assert rate_in_force(console)["max_rate_hz"] == 5.0


def drive_process(stack, other_than: int = 0) -> psutil.Process | None:
    """The launcher's child running the inference node (a killed one not yet reaped is skipped)."""
    for child in psutil.Process(stack.process.pid).children():
        try:
            if child.pid != other_than and "inference_pkg.inference_node" in " ".join(child.cmdline()):
                return child
        except psutil.Error:
            continue
    return None


def test_the_rate_is_kept_when_the_inference_node_restarts(stack, console):
    """The drive process (navigation, inference, camera) is killed; the launcher starts it again, launched with the
    graph's max_rate_hz 0, and the inference node puts the kept 5 back in force."""
    drive = drive_process(stack)
    drive.kill()
    wait_for(lambda: drive_process(stack, other_than=drive.pid), 30, "the launcher to start the drive process again")
    wait_for(lambda: (r := rate_in_force(console)) is not None and r["max_rate_hz"] == 5.0, 60,
             "the kept rate in force in the restarted inference node", interval=0.5)
    assert (stack.data_dir / "action_rate.json").exists()
