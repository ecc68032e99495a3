"""Publish a StageWindow as StageStats on the stage's telemetry topic, once a second while its figures change.

A stage that handles nothing (an idle car) has nothing new to say, and every message costs each reader a wake-up (the
console reads all four stages): its figures are sent when they change, and kept by DDS for a reader that comes
(latched: reliable, transient-local, the last one), so a reader never waits for a change to hear them, whichever side
of the match discovery completes first (a best-effort message sent when the writer had matched the reader could be
dropped by a reader that had not yet matched the writer: it never heard an idle stage). Its timer sleeps while nothing
can change (no event left in the window) until the stage handles something again. The console takes figures older than
a few seconds for a stage that stopped (webserver_pkg.services.device_info.STALE_TELEMETRY_S), which is what an
unchanged stage is.
"""

from __future__ import annotations

import contextlib

from rclpy.exceptions import InvalidHandle
from rclpy.node import Node

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.message_maker import maker
from deepracer_common_pkg.stack_clock import StackClock
from deepracer_common_pkg.stamps import stamped_header
from deepracer_common_pkg.telemetry import StageSnapshot, StageWindow
from deepracer_interfaces_pkg.msg import StageStats

_stats = maker(StageStats, "header", "stage", "rate_hz", "latency_p50_ms", "latency_p95_ms", "count", "dropped",
               "errors")  # without the generated constructor's defaults (message_maker)


def publish_telemetry(node: Node, window: StageWindow, period_s: float = 1.0) -> None:
    """Attach a timer to `node` that publishes `window` on /<stage>_pkg/telemetry, on the stack's clock."""
    clock = StackClock(node)
    sent: list[StageSnapshot] = []  # the last snapshot published

    def publish() -> None:
        snap = window.snapshot()
        if sent and snap == sent[0]:
            # Nothing new, and nothing that can change until the stage handles something (an idle car): the timer
            # stops until then instead of waking each second for nothing (the car's idle CPU, issue 23). On the
            # car's clock only: a simulated clock reaches the node through its executor, and its timers keep beating.
            if not clock.simulated:
                timer.cancel()
                if not window.wake_on_change(wake):
                    timer.reset()  # an event came meanwhile, or old ones still age out of the window
            return
        publisher.publish(_stats(stamped_header(clock.stamp()), snap.stage, snap.rate_hz, snap.latency_p50_ms,
                                 snap.latency_p95_ms, snap.count, snap.dropped, snap.errors))
        sent[:] = [snap]

    publisher = node.create_publisher(StageStats, names.telemetry_topic(window.stage), qos.TELEMETRY)

    def wake() -> None:
        """On the thread that recorded (the frame path's, often): the timer runs again."""
        with contextlib.suppress(InvalidHandle):  # the node is being destroyed: nothing left to publish
            timer.reset()

    timer = clock.create_timer(period_s, publish)  # no parameter: rclpy passes TimerInfo to one with
