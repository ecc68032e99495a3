"""Notes when the test machine stalled: a short sleep that took far longer than asked, with the CPU time the hypervisor
took from this VM meanwhile ("steal" in /proc/stat). A timing test that fails beside such a stall, with steal in it,
failed because the whole machine stopped (a servo node and its guard frozen together: the guard fires on waking), not
because of the stack; CI's output said neither until this. Watching costs one wake-up per period in the test
process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PERIOD_S = 0.05
STALLED_S = 0.25  # a sleep this much longer than asked: the servo's command timeout, which a guard fires after


@dataclass(frozen=True)
class Stall:
    at: float  # time.monotonic() when the sleep ended
    late_s: float
    steal_s: float  # CPU time the hypervisor took from this VM during the sleep, all CPUs together

    def __str__(self) -> str:
        return f"the test process stalled: a {PERIOD_S:g} s sleep came back {self.late_s:.2f} s late; the " \
               f"hypervisor took {self.steal_s:.2f} s of this VM's CPU meanwhile (0: this machine was not paused)"


def steal_s(stat: Path = Path("/proc/stat")) -> float:
    """CPU time stolen from this machine so far, in seconds (0 where the kernel does not count it)."""
    try:
        fields = stat.read_text().split("\n", 1)[0].split()
        return int(fields[8]) / 100.0  # USER_HZ, 100 on Linux
    except (OSError, IndexError, ValueError):
        return 0.0


class StallWatch:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 steal: Callable[[], float] = steal_s) -> None:
        self._clock, self._sleep, self._steal = clock, sleep, steal
        self._stalls: list[Stall] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="stall-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(1.0)

    def step(self) -> None:
        """One period: sleep, and note the sleep if it came back STALLED_S late."""
        before, stolen = self._clock(), self._steal()
        self._sleep(PERIOD_S)
        after = self._clock()
        late_s = after - before - PERIOD_S
        if late_s >= STALLED_S:
            self._stalls.append(Stall(after, late_s, self._steal() - stolen))

    def since(self, start: float) -> list[Stall]:
        return [stall for stall in list(self._stalls) if stall.at >= start]

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.step()
