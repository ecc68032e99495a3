"""Every node says it is alive, who it is this time, and whether it can do its part: the heartbeat.

Why: a node on the driving path that crashes and is restarted by the launcher (or by `ros2 launch`'s respawn, or
systemd) comes back in a state that knows nothing of the run in progress; a car must not resume driving because a
camera or servo process came back. Navigation watches these beats (navigation_pkg/peer_watch.py) and stops the run,
with the reason, when one of its driving path's nodes restarts (new boot_id), goes silent, or reports a fault.
run_node publishes the beat for every node; a node with something to report defines `heartbeat_fault() -> str`.
"""

from __future__ import annotations

import uuid

from rclpy.node import Node

from deepracer_common_pkg import names, qos
from deepracer_interfaces_pkg.msg import Heartbeat

HEARTBEAT_PERIOD_S = 0.1


def publish_heartbeat(node: Node, period_s: float = HEARTBEAT_PERIOD_S) -> str:
    """Attach the heartbeat timer to `node`; returns this process's boot id."""
    boot_id = uuid.uuid4().hex[:12]
    publisher = node.create_publisher(Heartbeat, names.HEARTBEAT, qos.HEARTBEAT)
    fault = getattr(node, "heartbeat_fault", None)

    def beat() -> None:
        message = Heartbeat(node=node.get_name(), boot_id=boot_id, fault=fault() if fault else "")
        message.header.stamp = node.get_clock().now().to_msg()
        publisher.publish(message)

    beat()
    node.create_timer(period_s, beat)
    return boot_id
