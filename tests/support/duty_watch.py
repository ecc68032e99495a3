"""Watch a PWM channel's `duty_cycle` file the way an oscilloscope would watch the wire.

Why: on a real car the sysfs PWM keeps generating the last duty cycle written, whoever wrote it and whether or not
that process still lives, so the file is the truth about what the wheels get. Tests that kill, stop or cut off
parts of the stack read it every 2 ms from a thread. On a loaded 2-core machine that thread can be starved for
a good part of a second (a restarted node's imports compete for both cores), so a change is dated by the file's
own modification time (when it was written), not by when the thread got round to reading it.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from deepracer_common_pkg.car_clock import boot_ns
from support.rosgraph import wait_for

PERIOD_S = 0.002
KEEP = 15_000  # samples: the last 30 s


class DutyWatch:
    """(monotonic time, ns) samples of one duty_cycle file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._samples: list[tuple[float, int]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(PERIOD_S):
            try:
                text = self._path.read_text().strip()
                written_ns = os.stat(self._path).st_mtime_ns
            except OSError:
                continue
            if not text:  # the writer's open-truncate-write can be caught between truncate and write
                continue
            now, value = time.monotonic(), int(text)
            with self._lock:
                if self._samples and self._samples[-1][1] != value:
                    # The newest write's time: no later than now, no earlier than the change itself, and after
                    # the last reading of the old value.
                    now = max(self._samples[-1][0], min(now, now - (boot_ns() - written_ns) / 1e9))
                self._samples.append((now, value))
                del self._samples[:-KEEP]

    def value(self) -> int:
        """The newest reading; -1 before the first."""
        with self._lock:
            return self._samples[-1][1] if self._samples else -1

    def since(self, start: float) -> list[tuple[float, int]]:
        with self._lock:
            return [s for s in self._samples if s[0] >= start]

    def first_after(self, start: float, ns: int, timeout: float) -> float:
        """Seconds from `start` (a monotonic time) until the file first read `ns`."""
        sample = wait_for(lambda: next((s for s in self.since(start) if s[1] == ns), None), timeout,
                          f"{ns} ns in {self._path}")
        return sample[0] - start

    def others_during(self, seconds: float, ns: int) -> list[int]:
        """Watch for `seconds` (an observation window, not a synchronisation); readings other than `ns` in it."""
        start = time.monotonic()
        wait_for(lambda: time.monotonic() - start >= seconds, seconds + 5, "the observation window")
        return [value for _, value in self.since(start) if value != ns]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
