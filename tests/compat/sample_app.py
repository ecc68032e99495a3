"""An AWS sample app's navigation node as the car sees it on the wire, run as a process of its own by the tests.

What it copies from the apps' sources (read, not taken: aws-deepracer-follow-the-leader-sample-project and
aws-deepracer-offroad-sample-project, their navigation node, constants and launch file): a node in the app's
namespace publishing `ServoCtrlMsg` (`float32 angle`, `float32 throttle`, nothing else) on the relative topic from
the app's constants, QoS best effort, keep last 1, from a thread of its own, one message every 0.08 s (the apps'
DEFAULT_SLEEP). Nothing of our stack is used but the message type, which
is the original type (tests/compat/test_original_message_types.py checks its hash).

    python sample_app.py <namespace> <node name> <topic> <angle> <throttle>
"""

from __future__ import annotations

import sys
import threading

import rclpy
from rclpy.node import Node
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

from deepracer_interfaces_pkg.msg import ServoCtrlMsg

APP_PERIOD_S = 0.08


def main() -> None:
    namespace, node_name, topic, angle, throttle = sys.argv[1:6]
    rclpy.init()
    node = Node(node_name, namespace=namespace)
    profile = QoSProfile(reliability=ReliabilityPolicy.BEST_EFFORT, depth=1, history=HistoryPolicy.KEEP_LAST)
    publisher = node.create_publisher(ServoCtrlMsg, topic, profile)
    message = ServoCtrlMsg(angle=float(angle), throttle=float(throttle))
    stop = threading.Event()

    def publish_forever() -> None:
        while not stop.wait(APP_PERIOD_S):
            publisher.publish(message)

    thread = threading.Thread(target=publish_forever, daemon=True)
    thread.start()
    print(f"publishing on {publisher.topic_name}", flush=True)
    try:
        rclpy.spin(node)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        thread.join()
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
