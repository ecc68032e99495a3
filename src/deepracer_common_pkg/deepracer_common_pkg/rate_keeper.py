"""Keeping an output rate from a stream of inputs, by choosing which inputs pass, never by delaying one.

The camera uses it to publish `fps` out of a faster source, the inference node to honour its rate cap:
a frame that passes is handled the moment it arrives, so the cap costs no latency.
"""

from __future__ import annotations


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
