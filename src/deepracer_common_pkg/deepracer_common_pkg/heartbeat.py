"""Every node says it is alive, who it is this time, and whether it can do its part: the heartbeat.

Why: a node on the driving path that crashes and is restarted by the launcher (or by `ros2 launch`'s respawn, or
systemd) comes back in a state that knows nothing of the run in progress; a car must not resume driving because a
camera or servo process came back. Navigation watches these beats (navigation_pkg/peer_watch.py) and stops the run,
with the reason, when one of its driving path's nodes restarts (new boot_id), goes silent, or reports a fault.
run_nodes publishes the beats of every node of its process from one timer (the nodes live and die together, so
one boot id serves them all); a node with something to report defines `heartbeat_fault() -> str`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from rclpy.node import Node

from deepracer_common_pkg import names, qos
from deepracer_interfaces_pkg.msg import Heartbeat

HEARTBEAT_PERIOD_S = 0.1


def publish_heartbeats(nodes: Sequence[Node], period_s: float = HEARTBEAT_PERIOD_S) -> str:
    """Beat for each of `nodes` every `period_s`; returns this process's boot id.

    The timer lives on a node spun by the process's main executor: a node with an executor of its own may block in
    a callback for seconds (a Wi-Fi join), and the others' beats must not stop with it.
    """
    boot_id = uuid.uuid4().hex[:12]
    if not nodes:
        return boot_id
    owner = next((node for node in nodes if getattr(type(node), "OWN_EXECUTOR", None) is None), nodes[0])
    publisher = owner.create_publisher(Heartbeat, names.HEARTBEAT, qos.HEARTBEAT)
    beating = [(node.get_name(), getattr(node, "heartbeat_fault", None)) for node in nodes]
    clock = owner.get_clock()

    def beat() -> None:
        stamp = clock.now().to_msg()
        for name, fault in beating:
            message = Heartbeat(node=name, boot_id=boot_id, fault=fault() if fault else "")
            message.header.stamp = stamp
            publisher.publish(message)

    beat()
    owner.create_timer(period_s, beat)
    return boot_id
