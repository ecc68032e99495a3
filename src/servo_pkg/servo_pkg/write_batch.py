"""The servo node's writes gathered for a reader that keeps every one (the run logger), sent a few times a second.

Why: each message between processes costs its reader an executor wake-up and its sender a DDS send (about 0.5 ms
of CPU each here at 30 a second, more on the car's Atom); one per write, 30 a second, was the largest cost the
logger put on a driving car. A write that is not a drive command (neutral on a stop, a timeout, a fault, the node's
shutdown) goes at once, with the writes before it: the last word of a run is never held back.
"""

from __future__ import annotations

from typing import Generic, TypeVar

BATCH_PERIOD_S = 0.5  # the longest a drive command's write waits before it is sent
BATCH_MAX = 32  # writes per batch at most (30 fps: a batch every 0.5 s holds 15)

Write = TypeVar("Write")


class WriteBatch(Generic[Write]):
    def __init__(self, period_s: float = BATCH_PERIOD_S, most: int = BATCH_MAX) -> None:
        self._period_s = period_s
        self._most = most
        self._writes: list[Write] = []
        self._first_s = 0.0

    def add(self, write: Write, now_s: float, *, at_once: bool) -> list[Write]:
        """Keep `write`; the writes to send now (empty while the batch is not due)."""
        if not self._writes:
            self._first_s = now_s
        self._writes.append(write)
        if at_once or len(self._writes) >= self._most or now_s - self._first_s >= self._period_s:
            return self.take()
        return []

    def take(self) -> list[Write]:
        """Every write kept, now (a reader that left, the node's end)."""
        writes, self._writes = self._writes, []
        return writes
