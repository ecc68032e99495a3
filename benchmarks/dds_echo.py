"""Echo process for the bare-DDS-hop limit: republishes each message it gets, unchanged, on <topic>_echo.

Run by bench_pipeline.py as a separate process so the measured hop crosses processes like the graph's do.
"""

import sys

from deepracer_common_pkg import qos
from deepracer_common_pkg.node_main import run_node
from deepracer_interfaces_pkg.msg import CameraFrames, DriveCommand, InferenceResult

TYPES = {"CameraFrames": (CameraFrames, qos.LATEST), "InferenceResult": (InferenceResult, qos.LATEST),
         "DriveCommand": (DriveCommand, qos.COMMAND)}


def make_echo():
    from rclpy.node import Node

    node = Node("dds_echo")
    for name, (msg_type, profile) in TYPES.items():
        publisher = node.create_publisher(msg_type, f"/bench/{name}_echo", profile)
        node.create_subscription(msg_type, f"/bench/{name}", publisher.publish, profile)
    return node


if __name__ == "__main__":
    run_node(make_echo, sys.argv)
