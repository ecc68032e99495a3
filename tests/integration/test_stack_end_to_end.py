"""The walking skeleton, real end to end: our launcher starts the graph's processes over real DDS (the simulator's
camera, real OpenVINO on the generated demo model, simulated PWM output recording what it writes), and a frame
captured at time T comes out as duty cycles stamped T. Only the camera device and the PWM
hardware are stand-ins (synthetic source, simulated backend), because neither exists on this machine."""

from __future__ import annotations

import re
import signal
import urllib.request

import psutil
import pytest

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.graph import load_graph
from deepracer_common_pkg.stamps import to_ns
from deepracer_interfaces_pkg.msg import CameraFrames, NavigationState, PwmWritten
from servo_pkg.pwm_math import DEFAULT_THROTTLE
from support.rosgraph import wait_for
from support.stack import (
    REPO,
    LaunchedStack,
    console_login,
    drive_autonomously,
    installed_model_dir,
    temp_data_dir,
)

STARTUP_S = 60.0


@pytest.fixture(scope="module")
def stack():
    launched = LaunchedStack(temp_data_dir())
    yield launched
    if launched.process.poll() is None:
        launched.stop()


@pytest.fixture(scope="module")
def driving(stack, ros_probe):
    """The stack loaded with the demo model and driving autonomously at full max speed: the throttle off neutral."""
    frames = ros_probe.subscribe(CameraFrames, names.CAMERA_FRAMES, qos.LATEST)
    written = ros_probe.subscribe(PwmWritten, names.SERVO_PWM_WRITTEN, qos.COMMAND)
    navigation = ros_probe.subscribe(NavigationState, names.NAVIGATION_STATE, qos.LATCHED)
    drive_autonomously(ros_probe, installed_model_dir(stack, STARTUP_S), max_speed=1.0, timeout=STARTUP_S)
    # Start is answered before the first policy output: until one is written the throttle is still at neutral, and
    # a node killed then leaves nothing for a watchdog to stop.
    written.wait_for(lambda w: w.reason == "command" and w.throttle_ns != DEFAULT_THROTTLE.mid_ns, STARTUP_S,
                     "the car driving: a command off neutral written")
    return frames, written, navigation


def test_frame_captured_at_t_gives_duty_cycles_stamped_t(driving):
    frames, written, _ = driving

    def stamped_by_a_frame():
        captured = {to_ns(f.header.stamp) for f in frames.messages}
        for w in written.messages:
            stamp = to_ns(w.header.stamp)
            if w.reason == "command" and stamp in captured and to_ns(w.written) >= stamp:
                return w
        return None

    match = wait_for(stamped_by_a_frame, 30, "a duty cycle written for a captured frame")
    assert match.enabled
    assert to_ns(match.written) - to_ns(match.header.stamp) < 1_000_000_000


def test_console_answers_with_its_login_page_and_prints_address_and_where_the_password_is(stack):
    address, password = console_login(stack, STARTUP_S)
    assert address == stack.url
    assert password not in stack.output()  # the launcher relays this output into logs
    with urllib.request.urlopen(f"{stack.url}/login", timeout=10) as response:
        assert response.status == 200
        assert 'name="password"' in response.read().decode()


def test_a_dead_navigation_node_leaves_throttle_neutral_and_is_restarted(stack, driving):
    _, written, states = driving
    navigation = next(p for p in psutil.Process(stack.process.pid).children()
                      if "navigation_pkg.navigation_node" in " ".join(p.cmdline()))
    written.clear()
    # Still driving when it dies (else no watchdog has anything to stop): a run stopped meanwhile fails here, saying so.
    written.wait_for(lambda w: w.reason == "command" and w.throttle_ns != DEFAULT_THROTTLE.mid_ns, 5,
                     lambda: "the car still driving before navigation is killed; navigation said "
                             f"{[(s.started, s.neutral_reason) for s in states.messages]}\n{stack.output()[-3000:]}")
    written.clear()
    navigation.kill()
    written.wait_for(lambda w: w.throttle_ns == DEFAULT_THROTTLE.mid_ns and w.reason == "watchdog", 5,
                     "the servo watchdog putting the throttle at neutral")
    wait_for(lambda: re.search(r"drive process \([^)]*navigation_node[^)]*\) exited with code -9; restarting",
                               stack.output()), 10, "the crash noticed")
    wait_for(lambda: any("navigation_pkg.navigation_node" in " ".join(p.cmdline())
                         for p in psutil.Process(stack.process.pid).children()), 15, "navigation restarted")


def test_the_shared_processes_publish_and_serve_every_name_of_the_graph(stack, ros_probe):
    """Nodes share processes now (issue 23), but outside tools and `ros2 launch` users must see the same graph: every
    node under its name, and every topic and service of names.py with someone publishing, reading or serving it."""
    expected_nodes = {spec.ros_name for spec in load_graph(REPO / "launch" / "graph.yaml")}
    graph_names = {value for key, value in vars(names).items()
                   if key.isupper() and isinstance(value, str) and value.startswith("/")
                   and key != "LOGGING_NODE_NAMESPACE"}
    graph_names |= {names.telemetry_topic(stage) for stage in ("camera", "inference", "navigation", "servo")}

    def missing() -> set[str]:
        node = ros_probe.node
        seen = {name for name, _ in node.get_topic_names_and_types()} | \
            {name for name, _ in node.get_service_names_and_types()}
        nodes = {f"{ns.rstrip('/')}/{name}".lstrip("/") if ns != "/" else name
                 for name, ns in node.get_node_names_and_namespaces()}
        return (graph_names - seen) | {n for n in expected_nodes if n.lstrip("/") not in nodes}

    wait_for(lambda: not missing(), STARTUP_S, lambda: f"every name of the graph; missing {sorted(missing())}")


def test_ctrl_c_stops_every_node_with_throttle_neutral(stack, ros_probe):
    written = ros_probe.subscribe(PwmWritten, names.SERVO_PWM_WRITTEN, qos.COMMAND)
    children = psutil.Process(stack.process.pid).children()
    assert stack.stop(signal.SIGINT) == 0, stack.output()
    last = written.wait_for(lambda w: w.reason == "shutdown", 5, "the servo node's shutdown write")
    assert last.throttle_ns == DEFAULT_THROTTLE.mid_ns
    assert not last.enabled
    wait_for(lambda: not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in children), 5,
             "every node process gone")
    output = stack.output()
    console = re.search(r"console process \([^)]*webserver_node[^)]*\) stopped", output)
    assert console is not None and console.start() < output.index("servo_node stopped"), output[-3000:]

