"""Whether the package index holds a newer version than the running release, as last found out.

The index is asked on the system node's own thread (at start and every update_check_period_s, as the original
checked every 15 min) and after each update, never while a console request waits: PyPI can take seconds, or not
answer at all on a car without internet. The console and the begin-update service read the latest answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from system_pkg.update.package_index import PackageIndex
from system_pkg.update.releases import UpdateError


@dataclass(frozen=True)
class Availability:
    newer: str = ""  # the version to install; "" = up to date (or not known)
    problem: str = ""  # why the last check failed, in words for the car's owner
    checked: bool = False  # the index answered at least once, or failed to

    def describe(self, index_url: str) -> str:
        """What the console says when there is nothing to install."""
        if not self.checked:
            return f"the package index {index_url} has not been checked yet: ask again in a minute"
        return self.problem or f"this car runs the newest version on {index_url}"


class AvailabilityCheck:
    def __init__(self, index: PackageIndex, running: Callable[[], str]) -> None:
        self.index = index
        self._running = running
        self._lock = threading.Lock()
        self._latest = Availability()

    def check(self) -> Availability:
        """Ask the index now; the answer replaces the last one (a failure forgets an earlier "newer")."""
        try:
            found = Availability(newer=self.index.newer_than(self._running()), checked=True)
        except UpdateError as error:
            found = Availability(problem=str(error), checked=True)
        with self._lock:
            self._latest = found
        return found

    def latest(self) -> Availability:
        with self._lock:
            return self._latest
