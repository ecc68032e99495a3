"""Frame-path topics handed on in-process when their producer and reader share a process, and published over DDS
only while a reader outside the process exists.

Why: rclpy has no intra-process transport; every frame published between nodes of one process is still
serialised, handed to DDS, woken up on an executor thread and deserialised. On the car's Atom that cost more than
the frame's real work (issue 23). So the camera hands each frame straight to inference, and inference its result
straight to navigation and the logger, on the capture thread, as plain calls; the DDS publisher stays, for the
logger of another process, a test, compat_node, `ros2 topic echo`, and carries the frame only while one of them
is matched. A reader that drives the work says when it wants messages (inference only while it runs the policy),
and a producer asks `wanted()` before doing the work a message costs (the camera decodes no policy image nobody
reads); the other readers ride along, taking every message produced for anyone (the logger records what the
policy saw, navigation acts on what it chose) without ever causing one.

Which node produces which topic is fixed (PRODUCERS); the process host declares which nodes it runs (`host`) before
any is built, so a reader knows at its construction whether its producer is beside it, whatever the build order.
A node run alone (its own process, or a test) hosts nothing: every topic goes over DDS as before.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rclpy.event_handler import PublisherEventCallbacks
from rclpy.node import Node
from rclpy.qos import QoSProfile

from deepracer_common_pkg import names

# Frame-path topics and the node (default name) that produces each.
PRODUCERS = {
    names.CAMERA_FRAMES: "camera_node",
    names.CAMERA_DISPLAY: "camera_node",  # viewers read it over DDS; the logger beside it while a run drives
    names.INFERENCE_RESULTS: "inference_node",
    names.NAVIGATION_SERVO_CMD: "navigation_node",  # the servo node reads it over DDS; the logger beside it
}

_hosted: frozenset[str] = frozenset()
_lock = threading.Lock()
_readers: dict[str, tuple[_Reader, ...]] = {}


@dataclass(frozen=True)
class _Reader:
    callback: Callable[[Any], None]
    wanted: Callable[[], bool] | None  # None: rides along
    report: Callable[[str], None]


def host(node_names: Iterable[str]) -> None:
    """The process host, before building its nodes: these nodes run in this process (and no reader yet)."""
    global _hosted
    with _lock:
        _hosted = frozenset(node_names)
        _readers.clear()


def in_process(topic: str) -> bool:
    """Is `topic`'s producer one of this process's nodes?"""
    return PRODUCERS.get(topic) in _hosted


def subscribe(node: Node, msg_type: type, topic: str, callback: Callable[[Any], None], qos_profile: QoSProfile,
              *, wanted: Callable[[], bool] | None = None, raw: bool = False) -> None:
    """Read `topic`: in-process when its producer is in this process, else over DDS.

    In-process the callback runs on the producer's thread and gets the message object itself, also when `raw`
    (serialising, if a reader needs bytes, is its own business, off the producer's thread). With `wanted`, the
    reader drives production: it is asked before each in-process message, and a producer none of whose readers
    wants one (and with no reader outside) does not make it. Without, the reader rides along.
    """
    if not in_process(topic):
        node.create_subscription(msg_type, topic, callback, qos_profile, raw=raw)
        return
    logger = node.get_logger()
    reader = _Reader(callback, wanted, lambda text: logger.error(text, throttle_duration_sec=5.0))
    with _lock:
        _readers[topic] = (*_readers.get(topic, ()), reader)


class HandOff:
    """The producer's side: publish to the readers in this process, then over DDS if anyone outside reads."""

    def __init__(self, node: Node, msg_type: type, topic: str, qos_profile: QoSProfile,
                 event_callbacks: PublisherEventCallbacks | None = None) -> None:
        self._topic = topic
        self._dds = node.create_publisher(msg_type, topic, qos_profile, event_callbacks=event_callbacks)

    def _local(self) -> tuple[_Reader, ...]:
        return _readers.get(self._topic, ())

    def outside_readers(self) -> int:
        return self._dds.get_subscription_count()

    def wait_for_all_acked(self, timeout) -> bool:
        """The DDS publisher's: every reliable reader outside has what was published (a node's last word)."""
        return self._dds.wait_for_all_acked(timeout)

    def wanted_here(self) -> bool:
        """Does a reader in this process want the next message?"""
        return any(reader.wanted is not None and reader.wanted() for reader in self._local())

    def wanted(self) -> bool:
        """Would a message published now reach anyone?"""
        return self.wanted_here() or self.outside_readers() > 0

    def publish_outside(self, message: Any) -> None:
        """Over DDS only: a message the readers in this process already had."""
        self._dds.publish(message)

    def publish(self, message: Any, *, outside: bool = True) -> None:
        """Readers in this process first (the frame path), each on its own: one that fails is reported with its
        traceback and does not keep the message from the others or stop the producer's thread. Over DDS too
        unless `outside` is False (a stream its viewers switched off, made for a reader here alone)."""
        for reader in self._local():
            if reader.wanted is not None and not reader.wanted():
                continue
            try:
                reader.callback(message)
            except Exception as error:  # a reader's bug must not end the producer's loop
                reader.report(f"in-process reader of {self._topic} failed: {error!r}\n{traceback.format_exc()}")
        if outside and self.outside_readers() > 0:
            self._dds.publish(message)
