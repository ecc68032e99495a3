"""Keeping a frame rate by the clock, and waiting between retries.

Both schedules are anchored to the clock (tick k is at start + k * period), so the time spent working
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


class RateKeeper:
    """Decides which captures of a source are published so the output keeps `fps`.

    Deadlines follow a schedule one period apart, anchored at the first capture; a capture is published
    when its deadline is open, which is half a source interval early, so jitter around a deadline does
    not push a capture of a same-rate source into the next one. Then:
    - never faster than the source: at most one publish per capture;
    - no drift: the schedule advances one period per publish, whatever the processing took;
    - jitter tolerated: a capture later than half a period still takes its deadline, and the next
      deadline is then at least half a period after it (never two frames closer than that);
    - no burst: after a gap of more than two periods (a stall) the schedule restarts from the capture
      that ends the gap instead of catching up the missed deadlines.
    """

    SMOOTHING = 0.2

    def __init__(self, fps: float) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self._period = 1.0 / fps
        self._next: float | None = None
        self._last: float | None = None
        self._interval: float | None = None

    def due(self, t: float) -> bool:
        """Is the capture taken at monotonic time `t` (seconds) to be published?"""
        gap = None if self._last is None else t - self._last
        self._last = t
        if gap is not None:
            sample = min(max(gap, 0.0), self._period)
            self._interval = sample if self._interval is None else (
                self._interval + self.SMOOTHING * (sample - self._interval))
        if self._next is None or (gap is not None and gap > 2 * self._period):
            self._next = t + self._period
            return True
        if t < self._next - (self._interval or 0.0) / 2:
            return False
        self._next = max(self._next + self._period, t + self._period / 2)
        return True


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
