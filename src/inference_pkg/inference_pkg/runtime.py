"""The two worker threads of the inference node, free of ROS so they are tested with plain functions.

FrameWorker: the executor thread hands over each frame; the worker runs the newest one, each at most
once, no faster than the rate cap. A frame replaced before it ran counts as dropped; there is never a
queue. ModelSwitcher: loads run on their own thread (reading a frozen graph blocks for 0.1-0.5 s); a newer
request supersedes an older one, whose result is thrown away even if it finishes later.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class LatestSlot(Generic[T]):
    """Holds at most one item: a put replaces what was not yet taken."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._full = False
        self._closed = False
        self._clock = clock

    def put(self, item: T) -> bool:
        """Store `item`; True when it replaced an item nobody took."""
        with self._cond:
            replaced = self._full
            self._item, self._full = item, True
            self._cond.notify_all()
            return replaced

    def take(self, not_before: float | None = None) -> T | None:
        """Wait for an item, and until `not_before` (clock time) if given; None once closed."""
        with self._cond:
            while not self._closed:
                if self._full:
                    wait = 0.0 if not_before is None else not_before - self._clock()
                    if wait <= 0:
                        item, self._item, self._full = self._item, None, False
                        return item
                    self._cond.wait(wait)
                else:
                    self._cond.wait()
            return None

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class FrameWorker(Generic[T]):
    """Runs `process` on the newest submitted item, on its own thread, at most `max_rate_hz` (0 = no cap)."""

    def __init__(self, process: Callable[[T], None], *, max_rate_hz: float = 0.0,
                 on_drop: Callable[[], None] = lambda: None, on_error: Callable[[Exception], None] = lambda e: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._process = process
        self._on_drop = on_drop
        self._on_error = on_error
        self._clock = clock
        self._rate = max_rate_hz
        self._slot: LatestSlot[T] = LatestSlot(clock)
        self._thread = threading.Thread(target=self._run, name="inference-frames", daemon=True)
        self._thread.start()

    def set_rate(self, max_rate_hz: float) -> None:
        self._rate = max_rate_hz

    def submit(self, item: T) -> None:
        if self._slot.put(item):
            self._on_drop()

    def _run(self) -> None:
        not_before = None
        while (item := self._slot.take(not_before)) is not None:
            started = self._clock()
            try:
                self._process(item)
            except Exception as error:  # a bad frame must not stop the worker; the node reports it
                self._on_error(error)
            not_before = started + 1.0 / self._rate if self._rate > 0 else None

    def close(self, timeout: float = 5.0) -> None:
        self._slot.close()
        self._thread.join(timeout)


class ModelSwitcher(Generic[R]):
    """Loads on a thread of its own; only the newest request's outcome is reported.

    `on_loading(target)` runs at once for every request, `on_loaded(target, result)` or
    `on_failed(target, reason)` when the newest request ends; all three under one lock, so a
    superseded load can never report after the newer request said "loading".
    """

    def __init__(self, load: Callable[[str], R], *, on_loading: Callable[[str], None],
                 on_loaded: Callable[[str, R], None], on_failed: Callable[[str, str], None]) -> None:
        self._load = load
        self._on_loading = on_loading
        self._on_loaded = on_loaded
        self._on_failed = on_failed
        self._lock = threading.Lock()
        self._generation = 0
        self._slot: LatestSlot[tuple[int, str]] = LatestSlot()
        self._thread = threading.Thread(target=self._run, name="inference-loader", daemon=True)
        self._thread.start()

    def request(self, target: str) -> None:
        with self._lock:
            self._generation += 1
            self._slot.put((self._generation, target))
            self._on_loading(target)

    def _run(self) -> None:
        while (job := self._slot.take()) is not None:
            generation, target = job
            try:
                result, reason = self._load(target), ""
            except Exception as error:  # any failure becomes the "error" state with its reason
                result, reason = None, str(error) or type(error).__name__
            with self._lock:
                if generation != self._generation:
                    continue
                if reason:
                    self._on_failed(target, reason)
                else:
                    self._on_loaded(target, result)  # type: ignore[arg-type]

    def close(self, timeout: float = 5.0) -> None:
        """Stop; a load still running is abandoned and reports nothing (the node is going away)."""
        with self._lock:
            self._generation += 1
        self._slot.close()
        self._thread.join(timeout)
