"""Pacing clockless sources, and waiting between retries.

The pacer's schedule is anchored to the clock (tick k is at start + k * period), so the time spent working
between ticks never adds up into drift, and a late tick is skipped instead of being made up in a burst.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable


class Pacer:
    """Sleeps until the next tick: gives sources without a clock of their own (files, folders,
    the synthetic track) the steady rhythm a camera has."""

    def __init__(self, fps: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], bool]) -> None:
        """`sleep(seconds)` returns True when it was interrupted (the capture is stopping)."""
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.fps = fps
        self._period = 1.0 / fps
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> bool:
        """Return False when interrupted, True at the next tick."""
        now = self._clock()
        if self._next is None:
            self._next = now
        if now > self._next + self._period:
            self._next += math.floor((now - self._next) / self._period) * self._period
        delay = self._next - now
        self._next += self._period
        return not (delay > 0 and self._sleep(delay))

    def ticks_passed(self, most: int) -> list[float]:
        """How long ago each tick passed since the last one waited for (oldest first, at most the newest `most`), and
        the schedule moved past them: a caller that napped through them (an idle capture) takes their frames at
        once, as a device's queue holds a camera's frames meanwhile."""
        now = self._clock()
        if self._next is None or now < self._next:
            return []
        count = math.floor((now - self._next) / self._period) + 1
        ticks = [now - (self._next + k * self._period) for k in range(max(0, count - most), count)]
        self._next += count * self._period
        return ticks


class Backoff:
    """Retry delays that double from `first_s` up to `max_s`; reset after a success."""

    def __init__(self, first_s: float = 0.25, max_s: float = 2.0) -> None:
        if not 0 < first_s <= max_s:
            raise ValueError(f"need 0 < first_s <= max_s, got first_s={first_s}, max_s={max_s}")
        self._first = first_s
        self._max = max_s
        self._delay = first_s

    def next_delay(self) -> float:
        delay = self._delay
        self._delay = min(self._delay * 2, self._max)
        return delay

    def reset(self) -> None:
        self._delay = self._first
