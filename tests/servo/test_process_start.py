"""The servo node's "came up" time is its process's start, read from the kernel, not when the code asks."""

from __future__ import annotations

import subprocess
import sys

from deepracer_common_pkg.car_clock import boot_ns

CHILD = """
import time
time.sleep(0.5)  # a node still importing and waiting for its guard when a Start comes
from deepracer_common_pkg.car_clock import boot_ns
from servo_pkg.process_start import process_started_ns
print(process_started_ns(), boot_ns())
"""


def test_the_start_is_the_processs_not_the_callers() -> None:
    spawned_ns = boot_ns()
    started_ns, asked_ns = map(int, subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                                                   check=True).stdout.split())
    assert asked_ns - started_ns >= 0.5e9
    assert spawned_ns - 0.05e9 <= started_ns <= spawned_ns + 0.5e9  # clock ticks are 10 ms; the spawn takes some
