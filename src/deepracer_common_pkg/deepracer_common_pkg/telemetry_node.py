"""Publish a StageWindow as StageStats on the stage's telemetry topic, once a second while its figures change.

A stage that handles nothing (an idle car) has nothing new to say, and every message costs each reader a wake-up (the
console reads all four stages): its figures are sent when they change, and kept by DDS for a reader that comes
(latched: reliable, transient-local, the last one), so a reader never waits for a change to hear them, whichever side
of the match discovery completes first (a best-effort message sent when the writer had matched the reader could be
dropped by a reader that had not yet matched the writer: it never heard an idle stage). Its timer sleeps while nothing
can change (no event left in the window) until the stage handles something again. The console takes figures older than
a few seconds for a stage that stopped (webserver_pkg.services.device_info.STALE_TELEMETRY_S), which is what an
unchanged stage is. The stages of one process (camera, inference and navigation on the car) share one timer: one
wake-up a second while driving instead of one per stage (issue 23).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from rclpy.context import Context
from rclpy.exceptions import InvalidHandle
from rclpy.node import Node
from rclpy.publisher import Publisher

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.message_maker import maker
from deepracer_common_pkg.stack_clock import StackClock
from deepracer_common_pkg.stamps import stamped_header
from deepracer_common_pkg.telemetry import StageSnapshot, StageWindow
from deepracer_interfaces_pkg.msg import StageStats

_stats = maker(StageStats, "header", "stage", "rate_hz", "latency_p50_ms", "latency_p95_ms", "count", "dropped",
               "errors")  # without the generated constructor's defaults (message_maker)


def publish_telemetry(node: Node, window: StageWindow, period_s: float = 1.0) -> None:
    """Publish `window` on /<stage>_pkg/telemetry from `node`, by the timer of its process (made on the first node of
    the process that asks, with that period), on the stack's clock."""
    publisher = node.create_publisher(StageStats, names.telemetry_topic(window.stage), qos.TELEMETRY)
    with _made:
        shared = _timers.get(node.context)
        if shared is None or not shared.alive:  # none yet, or its node was destroyed (a test's nodes come and go)
            shared = _timers[node.context] = _StageTimer(node, period_s)
    shared.add(_Stage(window, publisher))


@dataclass
class _Stage:
    window: StageWindow
    publisher: Publisher
    sent: StageSnapshot | None = None  # the last snapshot published


class _StageTimer:
    def __init__(self, node: Node, period_s: float) -> None:
        self._owner = node
        self._clock = StackClock(node)
        self._stages: list[_Stage] = []
        self._timer = self._clock.create_timer(period_s, self._publish)  # no parameter: rclpy passes TimerInfo to
        # a callback with one

    @property
    def alive(self) -> bool:
        return any(timer is self._timer for timer in self._owner.timers)

    def add(self, stage: _Stage) -> None:
        self._stages = [*self._stages, stage]  # a new list: the timer's callback may be going through the old one
        self._wake()  # its first figures at the next tick, also when the others' sleep

    def _publish(self) -> None:
        changed = False
        for stage in self._stages:
            snap = stage.window.snapshot()
            if snap == stage.sent:
                continue
            try:
                stage.publisher.publish(_stats(stamped_header(self._clock.stamp()), snap.stage, snap.rate_hz,
                                               snap.latency_p50_ms, snap.latency_p95_ms, snap.count, snap.dropped,
                                               snap.errors))
            except InvalidHandle:  # its node was destroyed before this timer's
                self._stages = [other for other in self._stages if other is not stage]
                continue
            stage.sent, changed = snap, True
        # Nothing new, and nothing that can change until a stage handles something (an idle car): the timer stops
        # until then instead of waking each second for nothing (the car's idle CPU, issue 23). On the car's clock
        # only: a simulated clock reaches the node through its executor, and its timers keep beating.
        if changed or self._clock.simulated:
            return
        self._timer.cancel()
        if not all(stage.window.wake_on_change(self._wake) for stage in self._stages):
            self._timer.reset()  # an event came meanwhile, or old ones still age out of a window

    def _wake(self) -> None:
        """On the thread that recorded (the frame path's, often): the timer runs again."""
        with contextlib.suppress(InvalidHandle):  # the node is being destroyed: nothing left to publish
            self._timer.reset()


# One timer per process: by rclpy context, which a process host's nodes share (a test's own context has its own).
_timers: WeakKeyDictionary[Context, _StageTimer] = WeakKeyDictionary()
_made = threading.Lock()
