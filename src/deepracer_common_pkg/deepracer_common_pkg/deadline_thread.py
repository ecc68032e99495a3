"""A check that runs when its time comes, on a thread of its own, at a time callers move without waking anyone.

Why: a node's watchdog must run when its inputs stop, and only then. An rclpy timer beats whether or not there is
anything to decide (a Python callback on the executor each time), and one pushed back on every input wakes the
executor's timer thread each time instead: navigation's pushed back 30 times a second cost 60-120 us of CPU a frame
here, a thread that sleeps until the newest input's deadline 20-40 (measured with the same 30 Hz loop; issue 23).
Callers write the time of the next check (`due`); the thread reads it when it wakes, and sleeps on if it moved
later. It is woken (`poke`) only when a check became due sooner than it sleeps for.

The car's clock only: it sleeps in real seconds, so in simulation (time stands still while the stack thinks) the
node keeps an rclpy timer on the simulator's clock.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections.abc import Callable

from deepracer_common_pkg.thread_names import name_this_thread


class DeadlineThread:
    def __init__(self, name: str, clock: Callable[[], float], due: Callable[[], float | None],
                 check: Callable[[], None], report: Callable[[str], None]) -> None:
        """`due()`: when (on `clock`, seconds) `check()` must run next, None while nothing is due; `check` must move
        it later or to None (it runs again at once otherwise). `report`: what a failing check said (the thread goes
        on: a watchdog that stopped at its first bug would leave the car to the next layer's timeout)."""
        self._name = name
        self._clock = clock
        self._due = due
        self._check = check
        self._report = report
        self._closing = False
        self._wake_read, self._wake_write = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self._poll = select.poll()
        self._poll.register(self._wake_read, select.POLLIN)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Look at `due()` again now: it became sooner than the thread may be sleeping for."""
        if self._closing:
            return
        with contextlib.suppress(BlockingIOError):  # pokes already pending: it looks again anyway
            os.write(self._wake_write, b"p")

    def close(self, timeout_s: float = 2.0) -> None:
        """No check after this returns (unless one is running and outlasts `timeout_s`)."""
        if self._closing:
            return
        self._closing = True
        with contextlib.suppress(BlockingIOError):
            os.write(self._wake_write, b"x")
        self._thread.join(timeout_s)
        os.close(self._wake_read)
        os.close(self._wake_write)

    def _run(self) -> None:
        name_this_thread(self._name)
        while not self._closing:
            due = self._due()
            wait_s = None if due is None else due - self._clock()
            if wait_s is not None and wait_s <= 0:
                try:
                    self._check()
                except Exception as error:  # reported, and the next check still comes
                    self._report(f"{self._name}: the check failed: {error!r}")
                continue
            # poll() takes milliseconds; rounded up, so a wake-up never comes just before the deadline
            if self._poll.poll(None if wait_s is None else wait_s * 1000 + 1):
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_read, 64)
