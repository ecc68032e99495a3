"""When this process started, on the car's boot clock (car_clock): the servo node's "came up" for the restart
rule (ServoCore).

Why the process's start and not the moment the node object is built: on a loaded board the servo node spends a
second or more importing and waiting for its actuation guard, and a racer may press Start meanwhile; that run began
while this node was coming up, so it is this node's run. A node restarted after a crash starts its process at least
the launcher's backoff after the run began, so the rule still tells the two apart. Linux keeps the start in
/proc/self/stat (field 22, clock ticks since boot); elsewhere the time of this call stands in for it.
"""

from __future__ import annotations

import os

from deepracer_common_pkg.car_clock import boot_ns


def process_started_ns() -> int:
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:  # "pid (comm) state ...": comm may hold spaces
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[19]) * 1_000_000_000 // os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return boot_ns()
