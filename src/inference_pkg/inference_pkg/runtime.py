"""What decides which frames the inference node runs, and the thread that loads models, free of ROS.

FrameGate: frames are inferred in the subscription callback the moment they arrive (a hand-over to
another thread cost a 0.2 ms wake-up per frame); the newest-only rule comes from the subscription's
depth-1 queue, and the gate applies the rate cap and counts frames that never arrived. ModelSwitcher:
loads run on their own thread (reading a frozen graph blocks for 0.1-0.5 s); a newer request supersedes
an older one, whose result is thrown away even if it finishes later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from deepracer_common_pkg.rate_keeper import RateKeeper

T = TypeVar("T")
R = TypeVar("R")


class LatestSlot(Generic[T]):
    """Holds at most one item: a put replaces what was not yet taken."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._full = False
        self._closed = False

    def put(self, item: T) -> bool:
        """Store `item`; True when it replaced an item nobody took."""
        with self._cond:
            replaced = self._full
            self._item, self._full = item, True
            self._cond.notify_all()
            return replaced

    def take(self) -> T | None:
        """Wait for an item; None once closed."""
        with self._cond:
            while not self._closed:
                if self._full:
                    item, self._item, self._full = self._item, None, False
                    return item
                self._cond.wait()
            return None

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


@dataclass(frozen=True)
class Admission:
    infer: bool
    missed: int  # frames the camera published since the previous one that never reached us


class FrameGate:
    """Per arriving frame: run it (or skip it for the rate cap), and how many frames went missing before it.

    Frames are numbered by the camera; a gap is frames lost on the way or replaced in the depth-1 queue
    while the previous one was being inferred. A number that goes back is a restarted camera, not a loss.
    """

    def __init__(self, max_rate_hz: float = 0.0) -> None:
        self._last: int | None = None
        self._keeper: RateKeeper | None = None
        self.set_rate(max_rate_hz)

    def set_rate(self, max_rate_hz: float) -> None:
        """0 = no cap."""
        self._keeper = RateKeeper(max_rate_hz) if max_rate_hz > 0 else None

    def restart(self) -> None:
        """Inference (re)starts: frames not seen while stopped are not losses."""
        self._last = None

    def admit(self, sequence: int, monotonic_s: float) -> Admission:
        last, self._last = self._last, sequence
        missed = sequence - last - 1 if last is not None and sequence > last else 0
        keeper = self._keeper
        return Admission(keeper is None or keeper.due(monotonic_s), missed)


class ModelSwitcher(Generic[R]):
    """Loads on a thread of its own; only the newest request's outcome is reported.

    `on_loading(target)` runs at once for every request, `on_loaded(target, result)` or
    `on_failed(target, reason)` when the newest request ends; all three under one lock, so a
    superseded load can never report after the newer request said "loading".

    A request for the target already being loaded is that same load: a service request sent again because its
    answer was late (DDS clients resend), or Load pressed twice, must not start the load over and report
    "loading" after a client already saw "loaded" for its first request. Once a load ended, the same target
    loads again (the files may have been replaced).
    """

    def __init__(self, load: Callable[[str], R], *, on_loading: Callable[[str], None],
                 on_loaded: Callable[[str, R], None], on_failed: Callable[[str, str], None]) -> None:
        self._load = load
        self._on_loading = on_loading
        self._on_loaded = on_loaded
        self._on_failed = on_failed
        self._lock = threading.Lock()
        self._generation = 0
        self._pending: str | None = None  # the newest request's target while it loads
        self._slot: LatestSlot[tuple[int, str]] = LatestSlot()
        self._thread = threading.Thread(target=self._run, name="inference-loader", daemon=True)
        self._thread.start()

    def request(self, target: str) -> None:
        with self._lock:
            if target == self._pending:
                return
            self._generation += 1
            self._pending = target
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
                self._pending = None
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
