"""Publish a StageWindow as StageStats on the stage's telemetry topic once a second."""

from __future__ import annotations

from rclpy.node import Node

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.stack_clock import StackClock
from deepracer_common_pkg.telemetry import StageWindow
from deepracer_interfaces_pkg.msg import StageStats


def publish_telemetry(node: Node, window: StageWindow, period_s: float = 1.0) -> None:
    """Attach a timer to `node` that publishes `window` on /<stage>_pkg/telemetry, on the stack's clock."""
    publisher = node.create_publisher(StageStats, names.telemetry_topic(window.stage), qos.LATEST)
    clock = StackClock(node)

    def publish() -> None:
        snap = window.snapshot()
        message = StageStats(stage=snap.stage, rate_hz=snap.rate_hz, latency_p50_ms=snap.latency_p50_ms,
                             latency_p95_ms=snap.latency_p95_ms, count=snap.count, dropped=snap.dropped,
                             errors=snap.errors)
        message.header.stamp = clock.stamp()
        publisher.publish(message)

    clock.create_timer(period_s, publish)
