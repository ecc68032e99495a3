"""The camera's display pictures for the console's viewers: on the local link while it is up, else over DDS.

The console of the camera's own car takes the pictures on deepracer_common_pkg.picture_link: one wake-up of its
receiving thread per picture instead of Fast DDS's delivery, the executor's and a ROS message built per picture
(issue 23). While the link is down (the camera node not up yet, restarting, or not on this machine) the topic is
read instead; it is not read while the link is up, or the camera would publish every picture over DDS as well.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from rclpy.node import Node
from sensor_msgs.msg import CompressedImage

from deepracer_common_pkg import names, picture_link, qos

CAMERA_NODE = "camera_node"  # the node the pictures come from, in this node's namespace (launch/graph.yaml)


class DisplayWatch:
    def __init__(self, node: Node, on_picture: Callable[[bytes], None]) -> None:
        self._node = node
        self._on_picture = on_picture
        self._lock = threading.Lock()
        self._subscription = None
        self._closed = False
        self._read_topic(True)  # until the link is up
        camera = f"{node.get_namespace().rstrip('/')}/{CAMERA_NODE}"
        logger = node.get_logger()
        self._receiver = picture_link.PictureReceiver(
            picture_link.address(node.context.get_domain_id(), camera), on_picture,
            lambda up: self._read_topic(not up), lambda text: logger.error(text, throttle_duration_sec=5.0))

    def _read_topic(self, wanted: bool) -> None:
        with self._lock:
            if wanted and self._subscription is None and not self._closed:
                self._subscription = self._node.create_subscription(
                    CompressedImage, names.CAMERA_DISPLAY, lambda message: self._on_picture(bytes(message.data)),
                    qos.LATEST)
            elif not wanted and self._subscription is not None:
                self._node.destroy_subscription(self._subscription)
                self._subscription = None

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._receiver.close()
        self._read_topic(False)
