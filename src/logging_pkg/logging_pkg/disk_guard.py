"""The disk never fills: all runs together stay under a size cap and the disk keeps a free-space floor.

Oldest runs are removed first, each with a log line. When removing every older run is not enough, the run
being recorded must stop (the caller closes it cleanly, so it stays readable). Only folders whose names are
run folders (run_naming.py) are ever removed: output_path may be a USB stick with other files on it.
The free space comes from an injected reader, so the rule is tested without filling a disk.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from logging_pkg.run_naming import parse_run_folder_name

MB = 1024 * 1024


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


def folder_bytes(folder: Path) -> int:
    total = 0
    for item in folder.rglob("*"):
        try:
            if item.is_file():
                total += item.stat().st_size
        except OSError:
            continue
    return total


def run_folders_oldest_first(parent: Path) -> list[Path]:
    runs = []
    for child in parent.iterdir() if parent.is_dir() else ():
        parsed = parse_run_folder_name(child.name)
        if parsed is not None and child.is_dir():
            runs.append((parsed[1], child.name, child))
    return [path for _, _, path in sorted(runs)]


@dataclass
class DiskVerdict:
    removed: list[Path] = field(default_factory=list)
    stop_current: bool = False
    reason: str = ""


class DiskGuard:
    def __init__(self, max_total_bytes: int, min_free_bytes: int, log: Callable[[str], None],
                 free_reader: Callable[[Path], int] = free_bytes) -> None:
        self.max_total_bytes = max_total_bytes
        self.min_free_bytes = min_free_bytes
        self._log = log
        self._free = free_reader

    def room_to_start(self, parent: Path) -> str:
        """'' when a new run may start here (after removing old runs if needed); else why not."""
        verdict = self.enforce(parent, current=None)
        return verdict.reason

    def enforce(self, parent: Path, current: Path | None) -> DiskVerdict:
        """Remove the oldest runs (never `current`) until the cap and the floor hold; say if `current` must stop."""
        verdict = DiskVerdict()
        if not parent.is_dir():
            return verdict
        sizes = {run: folder_bytes(run) for run in run_folders_oldest_first(parent)}
        if current is not None and current not in sizes and current.is_dir():
            sizes[current] = folder_bytes(current)
        free = self._free(parent)
        for run in [r for r in sizes if r != current]:
            total = sum(sizes.values())
            if total <= self.max_total_bytes and free >= self.min_free_bytes:
                break
            why = (f"runs total {total / MB:.1f} MB, over the {self.max_total_bytes / MB:.1f} MB cap"
                   if total > self.max_total_bytes else
                   f"{free / MB:.1f} MB free, under the {self.min_free_bytes / MB:.1f} MB floor")
            try:
                shutil.rmtree(run)
            except OSError as error:
                self._log(f"could not remove old run {run.name} ({error.strerror}); {why}")
                continue
            self._log(f"removed old run {run.name} ({sizes[run] / MB:.1f} MB): {why}")
            verdict.removed.append(run)
            free += sizes.pop(run)
            free = max(free, self._free(parent))
        total = sum(sizes.values())
        if free < self.min_free_bytes:
            verdict.reason = (f"only {free / MB:.1f} MB free on {parent}, under the {self.min_free_bytes / MB:.1f} MB "
                              f"floor (min_free_mb), with no older run left to remove")
        elif total > self.max_total_bytes:
            verdict.reason = (f"runs in {parent} total {total / MB:.1f} MB, over the "
                              f"{self.max_total_bytes / MB:.1f} MB cap (max_total_mb), no older run left to remove")
        verdict.stop_current = bool(verdict.reason) and current is not None
        return verdict
