"""publish_telemetry over real DDS, with the EventsExecutor the nodes spin: figures once a second while they change,
the timer asleep while an idle stage's figures cannot change (issue 23: the car's idle CPU), and awake again with the
stage's next event, recorded on another thread as the frame path records."""

from __future__ import annotations

import itertools

import pytest
import rclpy
from rclpy.experimental import EventsExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, ReliabilityPolicy

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.node_main import Spinner
from deepracer_common_pkg.telemetry import StageWindow
from deepracer_common_pkg.telemetry_node import publish_telemetry
from deepracer_interfaces_pkg.msg import StageStats
from support.rosgraph import wait_for

_stages = itertools.count()


@pytest.fixture
def stage_node(ros_probe):
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_probe.node.context.get_domain_id())
    node = Node(f"telemetry_test_{next(_stages)}", context=context)
    window = StageWindow(node.get_name(), window_s=0.5)
    publish_telemetry(node, window, period_s=0.2)
    spinner = Spinner(EventsExecutor(context=context), [node], "telemetry-test").start()
    yield node, window
    spinner.stop(5.0)
    node.destroy_node()
    rclpy.shutdown(context=context)


def test_the_timer_sleeps_while_nothing_can_change_and_the_next_event_wakes_it(stage_node, ros_probe) -> None:
    node, window = stage_node
    (timer,) = node.timers
    figures = ros_probe.subscribe(StageStats, names.telemetry_topic(window.stage), qos.TELEMETRY)
    figures.wait_for(lambda m: m.count == 0, 10, lambda: "the figures at once to a reader that comes (writers matched: "
                     f"{figures.subscription.get_publisher_count()}, received: {figures.messages})")
    window.record(3.0)
    figures.wait_for(lambda m: m.count == 1 and m.latency_p50_ms == 3.0, 10, "the event's figures")
    wait_for(timer.is_canceled, 10, "the timer asleep once the event left the window")
    window.record(7.0)  # as the frame path records: not on the executor's thread
    figures.wait_for(lambda m: m.count == 2 and m.latency_p50_ms == 7.0, 10, "the next event's figures")


def test_readers_that_come_while_the_stage_is_idle_hear_its_figures(stage_node, ros_probe) -> None:
    """An idle stage sends nothing until its figures change, so a reader that comes must get them from DDS: kept for
    it by the writer (transient-local, reliable), not sent once when the writer matched it, which a reader that had
    not yet matched the writer dropped (CI, stop 32: a reader that never heard an idle stage)."""
    node, window = stage_node
    (timer,) = node.timers
    wait_for(timer.is_canceled, 10, "the timer asleep: nothing will be sent until the figures change")
    (offered,) = node.get_publishers_info_by_topic(names.telemetry_topic(window.stage))
    assert offered.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL
    assert offered.qos_profile.reliability == ReliabilityPolicy.RELIABLE
    readers = [ros_probe.subscribe(StageStats, names.telemetry_topic(window.stage), qos.TELEMETRY) for _ in range(3)]
    for reader in readers:
        reader.wait_for(lambda m: m.count == 0 and m.stage == window.stage, 10, "an idle stage's figures")
    assert timer.is_canceled()


def test_the_stages_of_one_process_share_one_timer_and_any_of_them_wakes_it(ros_probe) -> None:
    """Camera, inference and navigation in one process: one wake-up a second while driving, not one per stage."""
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_probe.node.context.get_domain_id())
    nodes = [Node(f"telemetry_test_{next(_stages)}", context=context) for _ in range(3)]
    windows = [StageWindow(node.get_name(), window_s=0.5) for node in nodes]
    for node, window in zip(nodes, windows, strict=True):
        publish_telemetry(node, window, period_s=0.2)
    spinner = Spinner(EventsExecutor(context=context), nodes, "telemetry-test").start()
    try:
        timers = [timer for node in nodes for timer in node.timers]
        assert len(timers) == 1
        readers = [ros_probe.subscribe(StageStats, names.telemetry_topic(w.stage), qos.TELEMETRY) for w in windows]
        for reader, window in zip(readers, windows, strict=True):
            reader.wait_for(lambda m, stage=window.stage: m.stage == stage and m.count == 0, 10,
                            f"{window.stage}'s figures from the shared timer")
        wait_for(timers[0].is_canceled, 10, "the timer asleep while no stage can change")
        windows[1].record(4.0)  # the second stage's event, on this thread
        readers[1].wait_for(lambda m: m.count == 1 and m.latency_p50_ms == 4.0, 10, "the event's figures")
        wait_for(timers[0].is_canceled, 10, "asleep again once the event left the window")
        windows[2].record(5.0)
        readers[2].wait_for(lambda m: m.count == 1 and m.latency_p50_ms == 5.0, 10, "the third stage's figures")
    finally:
        spinner.stop(5.0)
        for node in nodes:
            node.destroy_node()
        rclpy.shutdown(context=context)
