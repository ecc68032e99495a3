"""A topic's newest message that no reader took, for the reader that matches next, if it still stands.

Discovery matches the topics of two processes one by one, so a stack just come up can send on a topic whose reader
has not matched yet while another topic between the same processes already works. In lockstep the simulator waits up
to 5 s for each frame's answer, and a lost first command (navigation) or write report (servo) made the run
unreproducible (deepracer-eval beside busy neighbours). What still stands is the sender's rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class NewestUnread(Generic[T]):
    def __init__(self) -> None:
        self._kept: tuple[T, int] | None = None

    def sent(self, message: T, taken: bool, now_ns: int) -> None:
        """After each send: kept when nobody took it, forgotten when a reader did (a newer one always replaces)."""
        self._kept = None if taken else (message, now_ns)

    def take(self, now_ns: int, stands: Callable[[T, float], bool]) -> T | None:
        """For a reader that just matched: the kept message, once, if `stands(message, age_s)`."""
        if self._kept is None:
            return None
        (message, sent_ns), self._kept = self._kept, None
        return message if stands(message, (now_ns - sent_ns) / 1e9) else None
