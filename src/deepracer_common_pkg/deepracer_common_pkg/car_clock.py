"""The clock the car's processes compare moments with: CLOCK_BOOTTIME, nanoseconds since the board booted.

Why not the wall clock: a Raspberry Pi has no real-time clock, so its wall clock starts wherever it was saved at
the last shutdown and NTP then steps it, forwards or back. A Start stamped before a step backwards would look like
it came after a servo node that restarted later, and that node would drive a run it knows nothing of; a run timer
would jump by the step. Boot time only moves forward, is the same for every process on the board, and is what
Linux keeps a process's start in (/proc/<pid>/stat).
"""

from __future__ import annotations

import functools
import time

# Each a single C call, no Python frame: the frame path and the servo node read the clock about fifteen times a
# frame, and on the car's two cores every Python call is paid cold after an inference (issue 23).
boot_ns = functools.partial(time.clock_gettime_ns, time.CLOCK_BOOTTIME)
boot_s = functools.partial(time.clock_gettime, time.CLOCK_BOOTTIME)
