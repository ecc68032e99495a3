"""Heartbeats (issue 23): fast only for the nodes the current drive mode relies on, and handed in-process to a
reader in the beating nodes' own process, with nothing sent over DDS while no reader outside is there, and nothing at
all after the first beat while a beat could tell nobody anything new. Real rclpy nodes in one context, as the process
host builds them, spun by the EventsExecutor the stack runs; a reader outside is a node of another context over real
DDS."""

from __future__ import annotations

import pytest
import rclpy
from rclpy.experimental import EventsExecutor
from rclpy.node import Node

from deepracer_common_pkg import heartbeat, names, qos
from deepracer_common_pkg.node_main import Spinner
from deepracer_common_pkg.vocabulary import AUTONOMOUS, CALIBRATION, MANUAL
from deepracer_interfaces_pkg.msg import Heartbeat, NavigationState
from support.rosgraph import wait_for, wait_for_any


@pytest.mark.parametrize(("mode", "started", "fast"), [
    (AUTONOMOUS, True, {"camera_node", "inference_node", "servo_node"}),
    (MANUAL, True, {"webserver_node", "servo_node"}),
    (AUTONOMOUS, False, set()),
    (CALIBRATION, False, {"webserver_node"}),  # the servo holds a calibration move only while the console beats
])
def test_a_node_beats_fast_only_while_the_drive_mode_relies_on_it(mode, started, fast):
    state = NavigationState(mode=mode, started=started)
    watched = ("camera_node", "inference_node", "servo_node", "webserver_node")
    assert {node for node in watched if heartbeat.relied_on(state, node)} == fast


@pytest.fixture
def process(ros_probe):
    """A process host's context on the probe's domain, and a way to start its nodes beating and spinning."""
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_probe.node.context.get_domain_id())
    made: list[Node] = []
    spinners: list[Spinner] = []

    def start(nodes: list[Node]) -> str:
        made.extend(nodes)
        boot_id = heartbeat.publish_heartbeats(nodes)
        spinners.append(Spinner(EventsExecutor(context=context), nodes, "heartbeat-test").start())
        return boot_id

    yield context, start
    for spinner in spinners:
        spinner.stop(5.0)
    for node in made:
        node.destroy_node()
    rclpy.try_shutdown(context=context)


def _stamps(beats: list[Heartbeat]) -> list[tuple[int, int]]:
    return [(m.header.stamp.sec, m.header.stamp.nanosec) for m in beats]


def test_beats_nobody_needs_are_not_made_and_a_reader_outside_gets_them_over_dds(process, ros_probe):
    context, start = process
    camera = Node("camera_node", context=context)
    navigation = Node("navigation_node", context=context)
    heard: list[Heartbeat] = []
    heartbeat.listen(navigation, heard.append)
    boot_id = start([camera, navigation])
    # The first beat, at once: handed on in-process (navigation knows its neighbours by it, never silent).
    assert [(m.node, m.boot_id, m.fault) for m in heard] == [("camera_node", boot_id, "")]
    # No reader outside, nothing to report: no second beat (an observation window, not a synchronisation; the
    # beat's period is 0.5 s), though navigation's own DDS reader of the topic is matched.
    assert not wait_for_any(lambda: len(heard) > 1, 1.5), _stamps(heard)
    outside = ros_probe.subscribe(Heartbeat, names.HEARTBEAT, qos.HEARTBEAT)
    outside.wait_for(lambda m: m.boot_id == boot_id and m.node == "camera_node", 10,
                     lambda: f"a beat over DDS for a reader outside the process (heard in-process: {len(heard)})")
    # Made again while it reads (the process's own DDS reader gets a copy then too, as before: navigation's peer
    # watch takes it for the same beat by its boot id).
    wait_for(lambda: len(set(_stamps(heard))) >= 3, 5, "the beats made again, and handed in-process too")
    ros_probe.node.destroy_subscription(outside.subscription)
    wait_for(lambda: _settled(heard), 10, "the beats stopping once the reader outside left")


def _settled(heard: list[Heartbeat], quiet_s: float = 1.5) -> bool:
    """No new beat for three idle periods."""
    count = len(heard)
    return not wait_for_any(lambda: len(heard) > count, quiet_s)


class _FaultyServo(Node):
    def __init__(self, context) -> None:
        super().__init__("servo_node", context=context)
        self.fault = ""

    def heartbeat_fault(self) -> str:
        return self.fault


def test_a_node_that_can_report_a_fault_beats_on_to_its_neighbour_in_process(process):
    """A layout with the servo node beside navigation: its fault reaches navigation by the next beat."""
    context, start = process
    servo = _FaultyServo(context)
    navigation = Node("navigation_node", context=context)
    heard: list[Heartbeat] = []
    heartbeat.listen(navigation, heard.append)
    start([servo, navigation])
    wait_for(lambda: len(heard) >= 2, 5, "beats after the first, in-process")
    servo.fault = "the actuation guard wrote neutral"
    wait_for(lambda: heard[-1].fault == servo.fault, 5, "the fault in a beat")
