"""Heartbeats (issue 23): fast only for the nodes the current drive mode relies on, and handed in-process to a
reader in the beating nodes' own process, with nothing sent over DDS while no reader outside is there. Real rclpy
nodes in one context, as the process host builds them."""

from __future__ import annotations

import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node

from deepracer_common_pkg import heartbeat
from deepracer_common_pkg.vocabulary import AUTONOMOUS, CALIBRATION, MANUAL
from deepracer_interfaces_pkg.msg import Heartbeat, NavigationState
from support.rosgraph import wait_for_any


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


def test_beats_reach_a_reader_of_the_same_process_in_process_and_not_twice(context):
    camera = Node("camera_node", context=context)
    navigation = Node("navigation_node", context=context)
    heard: list[Heartbeat] = []
    heartbeat.listen(navigation, heard.append)
    heartbeat.publish_heartbeats([camera, navigation])
    # The first beat, at once and with no executor spinning: handed on in-process.
    assert [(m.node, m.fault) for m in heard] == [("camera_node", "")]
    executor = SingleThreadedExecutor(context=context)
    for node in (camera, navigation):
        executor.add_node(node)
    try:
        # The reader's own DDS subscription is matched, yet no beat reaches it twice: with no reader outside this
        # process, the beats are not sent over DDS at all (an observation window, not a synchronisation).
        def stamps() -> list[tuple[int, int]]:
            return [(m.header.stamp.sec, m.header.stamp.nanosec) for m in heard]

        twice = wait_for_any(lambda: (executor.spin_once(timeout_sec=0.05), len(set(stamps())) < len(heard))[1], 1.5)
        assert not twice, stamps()
        assert len(heard) >= 2 and {m.node for m in heard} == {"camera_node"}  # beating on, in-process
    finally:
        executor.shutdown()
        camera.destroy_node()
        navigation.destroy_node()
