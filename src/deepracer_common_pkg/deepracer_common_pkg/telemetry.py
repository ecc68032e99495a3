"""Sliding-window rate and latency of one pipeline stage, for the console and the benchmark.

Pure Python (no rclpy): a node records an event per message it handles and publishes `snapshot()`
as a StageStats message about once a second.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter


@dataclass(frozen=True)
class StageSnapshot:
    stage: str
    rate_hz: float
    latency_p50_ms: float
    latency_p95_ms: float
    count: int
    dropped: int  # inputs not acted on (stale, skipped, unusable)
    errors: int = 0  # failures of our own code (bugs), logged with a traceback


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(0, min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[rank]


class StageWindow:
    """Events of the last `window_s` seconds; thread-safe, since capture threads record too."""

    def __init__(self, stage: str, window_s: float = 5.0, clock=time.monotonic) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self.stage = stage
        self._window_s = window_s
        self._clock = clock
        self._events: deque[tuple[float, float]] = deque()
        self._count = 0
        self._dropped = 0
        self._errors = 0
        self._lock = threading.Lock()
        self._waker: Callable[[], None] | None = None

    def record(self, latency_ms: float) -> None:
        now = self._clock()
        with self._lock:
            self._events.append((now, latency_ms))
            self._count += 1
            self._trim(now)
            waker, self._waker = self._waker, None
        self._wake(waker)

    def drop(self, n: int = 1) -> None:
        with self._lock:
            self._dropped += n
            waker, self._waker = self._waker, None
        self._wake(waker)

    def error(self) -> None:
        """A failure of our own code while handling an input; kept apart from drops, which are the inputs'."""
        with self._lock:
            self._errors += 1
            waker, self._waker = self._waker, None
        self._wake(waker)

    @staticmethod
    def _wake(waker: Callable[[], None] | None) -> None:
        """After an event, outside the lock: the waker set by wake_on_change, taken with the event (one lock a
        record: the frame path records several times a frame)."""
        if waker is not None:
            waker()

    def wake_on_change(self, waker: Callable[[], None]) -> bool:
        """Call `waker` once, from the thread that records, at the next event, when the window holds none now (its
        figures cannot change until one comes); False, and no call, when it still holds some (they age out).
        A publisher of the figures sleeps meanwhile instead of waking to find nothing new."""
        now = self._clock()
        with self._lock:
            self._trim(now)
            if self._events:
                return False
            self._waker = waker
            return True

    def _trim(self, now: float) -> None:
        while self._events and self._events[0][0] < now - self._window_s:
            self._events.popleft()

    def snapshot(self) -> StageSnapshot:
        now = self._clock()
        with self._lock:
            self._trim(now)
            events = list(self._events)
            count, dropped, errors = self._count, self._dropped, self._errors
        latencies = sorted(map(itemgetter(1), events))  # no generator: ~150 events a stage, once a second each
        if len(events) >= 2:
            span = events[-1][0] - events[0][0]
            rate = (len(events) - 1) / span if span > 0 else 0.0
        else:
            rate = 0.0
        return StageSnapshot(self.stage, rate, percentile(latencies, 0.5), percentile(latencies, 0.95),
                             count, dropped, errors)
