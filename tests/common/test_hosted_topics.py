"""Frame-path topics handed on in-process (issue 23): a reader beside its producer gets the message on the producer's
thread with no DDS hop, only readers that drive the work make the producer do it, one failing reader costs the
others nothing, and a reader whose producer is elsewhere reads over DDS as before. Real rclpy nodes, one context."""

from __future__ import annotations

import threading

import pytest
import rclpy
from rclpy.node import Node

from deepracer_common_pkg import hosted_topics, names, qos
from deepracer_interfaces_pkg.msg import CameraFrames, InferenceResult
from support.rosgraph import wait_for


@pytest.fixture
def node():
    context = rclpy.Context()
    rclpy.init(context=context)
    made = Node("hosted_topics_test", context=context)
    yield made
    made.destroy_node()
    rclpy.try_shutdown(context=context)
    hosted_topics.host(())


def _own_readers(node: Node, topic: str) -> int:
    """This node's DDS subscriptions on `topic` (the graph-wide count would include other tests' readers)."""
    return sum(subscription.topic_name == topic for subscription in node.subscriptions)


def test_a_reader_beside_its_producer_gets_the_message_itself_on_the_producers_thread(node):
    hosted_topics.host({"camera_node", "inference_node"})
    got: list[tuple[object, str]] = []
    hosted_topics.subscribe(node, CameraFrames, names.CAMERA_FRAMES,
                            lambda m: got.append((m, threading.current_thread().name)), qos.LATEST,
                            wanted=lambda: True)
    assert _own_readers(node, names.CAMERA_FRAMES) == 0  # no DDS reader made
    frames = hosted_topics.HandOff(node, CameraFrames, names.CAMERA_FRAMES, qos.LATEST)
    message = CameraFrames(sequence=7)
    thread = threading.Thread(target=frames.publish, args=(message,), name="camera-capture")
    thread.start()
    thread.join()
    assert got == [(message, "camera-capture")]


def test_only_readers_that_drive_the_work_make_the_producer_do_it(node):
    hosted_topics.host({"inference_node"})
    running = threading.Event()
    driving, riding = [], []
    hosted_topics.subscribe(node, InferenceResult, names.INFERENCE_RESULTS, driving.append, qos.LATEST,
                            wanted=running.is_set)
    hosted_topics.subscribe(node, InferenceResult, names.INFERENCE_RESULTS, riding.append, qos.LATEST)
    results = hosted_topics.HandOff(node, InferenceResult, names.INFERENCE_RESULTS, qos.LATEST)
    assert not results.wanted()  # the rider alone does not ask for anything
    results.publish(InferenceResult(action_index=1))
    assert (driving, [m.action_index for m in riding]) == ([], [1])  # what is made anyway, it takes
    running.set()
    assert results.wanted()
    results.publish(InferenceResult(action_index=2))
    assert [m.action_index for m in driving] == [2] and [m.action_index for m in riding] == [1, 2]


def test_a_failing_reader_is_reported_and_the_others_still_get_the_message(node, caplog):
    hosted_topics.host({"inference_node"})
    got = []

    def broken(_message) -> None:
        raise RuntimeError("a bug in a reader")

    hosted_topics.subscribe(node, InferenceResult, names.INFERENCE_RESULTS, broken, qos.LATEST)
    hosted_topics.subscribe(node, InferenceResult, names.INFERENCE_RESULTS, got.append, qos.LATEST)
    hosted_topics.HandOff(node, InferenceResult, names.INFERENCE_RESULTS, qos.LATEST).publish(InferenceResult())
    assert len(got) == 1


def test_a_reader_whose_producer_is_in_another_process_reads_over_dds(node):
    hosted_topics.host({"navigation_node"})
    assert not hosted_topics.in_process(names.CAMERA_FRAMES)
    hosted_topics.subscribe(node, CameraFrames, names.CAMERA_FRAMES, lambda m: None, qos.LATEST)
    assert _own_readers(node, names.CAMERA_FRAMES) == 1


def test_a_producer_publishes_over_dds_only_while_someone_outside_reads(node):
    hosted_topics.host({"camera_node"})
    topic = "/hosted_topics_test/frames"  # a topic of its own: no other test's reader is matched on it
    frames = hosted_topics.HandOff(node, CameraFrames, topic, qos.LATEST)
    assert frames.outside_readers() == 0 and not frames.wanted()
    reader = node.create_subscription(CameraFrames, topic, lambda m: None, qos.LATEST)
    try:
        wait_for(lambda: frames.outside_readers() == 1, 10, "the reader matched")
        assert frames.wanted()
    finally:
        node.destroy_subscription(reader)
