"""Navigation's commands for the Control page's readout: on navigation's local readout link while it is up, else
over DDS, and only while the readout is read.

Why: a reader of /navigation_pkg/servo_cmd in the console made navigation publish every command over DDS (its servo
node takes them on a local link, command_link) and the servo node receive each one a second time there: with a
Control page open, about 7 % of a core here at 30 fps (bench_car.py with the page's state poll, 2026-12-07), a
sixth of the car. On the link navigation sends a sample (navigation_pkg.readout_sampler) and only the console's
receiving thread wakes for it. While the link is down (navigation not up yet, restarting, or not on this machine)
the topic is read instead, as the video does (display_watch).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rclpy.node import Node

from deepracer_common_pkg import command_link, names, picture_link, qos
from deepracer_interfaces_pkg.msg import DriveCommand

NAVIGATION_NODE = "navigation_node"  # in this node's namespace (launch/graph.yaml)


class CommandReadout:
    """The newest command heard (anything with `angle` and `throttle`) and when, from the first read until
    drop_if_unread. Safe from any thread."""

    def __init__(self, node: Node) -> None:
        self._node = node
        navigation = f"{node.get_namespace().rstrip('/')}/{NAVIGATION_NODE}"
        self._address = command_link.readout_address(node.context.get_domain_id(), navigation)
        self._lock = threading.Lock()
        self._heard: tuple[Any, float] | None = None
        self._read_at = 0.0
        self._receiver: picture_link.PictureReceiver | None = None
        self._subscription = None
        self._closed = False

    def latest(self) -> tuple[Any, float] | None:
        with self._lock:
            self._read_at = time.monotonic()
            if self._receiver is None and not self._closed:
                self._read_topic(True)  # until the link is up
                logger = self._node.get_logger()
                self._receiver = picture_link.PictureReceiver(
                    self._address, self._on_bytes, self._on_link,
                    lambda text: logger.error(text, throttle_duration_sec=5.0), name="command-readout")
            return self._heard

    def drop_if_unread(self, idle_s: float) -> None:
        with self._lock:
            if time.monotonic() - self._read_at <= idle_s:
                return
        self._drop()

    def close(self) -> None:
        """For good (the node's end): a later read reads nothing."""
        with self._lock:
            self._closed = True
        self._drop()

    def _drop(self) -> None:
        with self._lock:
            receiver, self._receiver, self._heard = self._receiver, None, None
            self._read_topic(False)
        if receiver is not None:
            receiver.close()  # outside the lock: its thread's last word (_on_link) takes it

    def _on_bytes(self, data: bytes) -> None:
        command = command_link.command_from_bytes(data)
        if command is not None:
            with self._lock:
                self._heard = (command, time.monotonic())

    def _on_message(self, message: DriveCommand) -> None:
        with self._lock:
            self._heard = (message, time.monotonic())

    def _on_link(self, up: bool) -> None:
        with self._lock:
            if self._receiver is not None:  # not dropped meanwhile
                self._read_topic(not up)

    def _read_topic(self, wanted: bool) -> None:
        """Under the lock."""
        if wanted and self._subscription is None:
            self._subscription = self._node.create_subscription(DriveCommand, names.NAVIGATION_SERVO_CMD,
                                                                self._on_message, qos.COMMAND)
        elif not wanted and self._subscription is not None:
            self._node.destroy_subscription(self._subscription)
            self._subscription = None
