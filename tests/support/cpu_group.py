"""A CPU budget for a set of processes: a slower computer (the car's) emulated on this one with a cgroup quota.

Why a quota and not a slower clock: a CFS quota gives every process in the group together at most `quota_us` of
CPU time per `period_us` of wall time, whatever core they run on, which is how much work the car's CPU gets done
in that time (platform notes, "Measured 2026-12-05"). It throttles in bursts (full speed, then a wait), so latency
under it is rougher than on a slow CPU; throughput matches. cgroup v1's cpu controller is used where it is
mounted (`cpu.cfs_period_us`, `cpu.cfs_quota_us`), cgroup v2's `cpu.max` otherwise. Creating a group needs root.

Processes join the group before they run anything: `wrap()` makes a command write its own pid into the group and
then exec the real program, so everything it starts later (a launcher's nodes, a node's helpers) is born inside.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from support.rosgraph import wait_for

V1_CPU_ROOT = Path("/sys/fs/cgroup/cpu")
# The group's entry for a command: the shell writes its pid ($$) into the group, then becomes the command.
_ENTER = 'echo $$ > "$0" && exec "$@"'
REMOVE_TIMEOUT_S = 10.0


class CpuGroupError(RuntimeError):
    """The group cannot be made or used; the message says why and what to do."""


@dataclass(frozen=True)
class Throttling:
    """Cumulative counters of the group's cpu.stat."""

    periods: int  # enforcement periods in which the group had runnable work
    throttled: int  # of those, the periods in which it used up its quota and was made to wait
    throttled_s: float  # total time its processes were held back

    def since(self, earlier: Throttling) -> Throttling:
        return Throttling(self.periods - earlier.periods, self.throttled - earlier.throttled,
                          self.throttled_s - earlier.throttled_s)

    @property
    def throttled_fraction(self) -> float:
        return self.throttled / self.periods if self.periods else 0.0


def _cgroup2_roots() -> list[Path]:
    """Mount points of the unified hierarchy, from /proc/mounts."""
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return []
    mounts = (line.split() for line in lines)
    return [Path(fields[1]) for fields in mounts if len(fields) > 2 and fields[2] == "cgroup2"]


class CpuGroup:
    """A cpu cgroup named `name` with `quota_us` of CPU time per `period_us`; created on entry, removed on exit.

    `v1_root` and `v2_roots` are where the controllers are looked for (the system's by default)."""

    def __init__(self, name: str, quota_us: int, period_us: int, *, v1_root: Path = V1_CPU_ROOT,
                 v2_roots: list[Path] | None = None) -> None:
        if quota_us < 1000 or not 1000 <= period_us <= 1_000_000:
            raise ValueError(f"quota_us ({quota_us}) and period_us ({period_us}) must be at least 1000 us, "
                             f"the period at most 1 s")
        self.name, self.quota_us, self.period_us = name, quota_us, period_us
        self._v1_root = v1_root
        self._v2_roots = _cgroup2_roots() if v2_roots is None else v2_roots
        self.path: Path | None = None
        self.version = 0

    @property
    def share(self) -> float:
        """The budget in cores of this machine (0.4 = 40% of one core)."""
        return self.quota_us / self.period_us

    def create(self) -> CpuGroup:
        try:
            if (self._v1_root / "cpu.cfs_quota_us").is_file():
                self.version, self.path = 1, self._v1_root / self.name
                self.path.mkdir(exist_ok=True)
                # The period first: a quota is checked against the period in force when it is written.
                (self.path / "cpu.cfs_period_us").write_text(str(self.period_us))
                (self.path / "cpu.cfs_quota_us").write_text(str(self.quota_us))
                return self
            root = next((r for r in self._v2_roots if "cpu" in _words(r / "cgroup.controllers")), None)
            if root is None:
                raise CpuGroupError("no cgroup cpu controller on this machine: neither cgroup v1's "
                                    f"{self._v1_root}/cpu.cfs_quota_us nor a cgroup v2 mount offering 'cpu' "
                                    "(see /proc/mounts)")
            if "cpu" not in _words(root / "cgroup.subtree_control"):
                (root / "cgroup.subtree_control").write_text("+cpu")
            self.version, self.path = 2, root / self.name
            self.path.mkdir(exist_ok=True)
            (self.path / "cpu.max").write_text(f"{self.quota_us} {self.period_us}")
            return self
        except OSError as error:
            where = self.path or self._v1_root
            self.remove()
            raise CpuGroupError(f"cannot set up the cpu cgroup {where}: {error.strerror or error}. This needs root "
                                "(run it with sudo) and a writable cgroup cpu controller (cgroup v1 "
                                f"{self._v1_root}, or cgroup v2 cpu.max)") from None

    def __enter__(self) -> CpuGroup:
        return self.create()

    def __exit__(self, *exc: object) -> None:
        self.remove()

    @property
    def procs_file(self) -> Path:
        if self.path is None:
            raise CpuGroupError("the cpu group has not been created")
        return self.path / "cgroup.procs"

    def wrap(self, command: list[str]) -> list[str]:
        """`command`, started inside the group (and with it everything it starts)."""
        return ["/bin/sh", "-c", _ENTER, str(self.procs_file), *map(str, command)]

    def add(self, pid: int) -> None:
        self.procs_file.write_text(str(pid))

    def pids(self) -> list[int]:
        try:
            return [int(line) for line in self.procs_file.read_text().split()]
        except FileNotFoundError:
            return []

    def throttling(self) -> Throttling:
        stat = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines() if line.strip())
        if self.version == 1:
            held_s = int(stat.get("throttled_time", 0)) / 1e9
        else:
            held_s = int(stat.get("throttled_usec", 0)) / 1e6
        return Throttling(int(stat.get("nr_periods", 0)), int(stat.get("nr_throttled", 0)), held_s)

    def remove(self) -> None:
        """Move whatever still runs in the group out to its parent, then delete the group (idempotent)."""
        path, self.path = self.path, None
        if path is None or not path.is_dir():
            return
        parent_procs = path.parent / "cgroup.procs"

        def emptied() -> bool:
            for pid in _words(path / "cgroup.procs"):
                with contextlib.suppress(OSError):  # it exited meanwhile
                    parent_procs.write_text(str(pid))
            try:
                os.rmdir(path)
            except OSError:  # busy: a process still leaving; try again
                return False
            return True

        wait_for(emptied, REMOVE_TIMEOUT_S, f"the cpu cgroup {path} to be removed", interval=0.1)


def _words(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError:
        return []
