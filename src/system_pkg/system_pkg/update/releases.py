"""Software update without ever leaving the car half-updated: releases side by side, one symlink says which runs.

Layout under the install root:
    releases/<version>/      one complete install each (the running one is never written to)
    current -> releases/<v>  what the car's service starts
A new version is built in releases/.staging-<version>/, renamed to releases/<version>/ when complete, then its own
self-check runs (the release's `bin/deepracer-self-check`: it starts the new stack's parts and exits 0 when they
came up). Only then is `current` switched, by renaming a new symlink over it (rename(2) is atomic: a power cut
leaves the old link or the new one). A failed build or self-check removes the new release; `current` was never
touched. The previous release stays beside the new one, so `rollback()` is one more symlink swap.

Progress goes to `on_progress(status, percent)`, the original's `status:<s>|update_pct:<n>` stream.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

RELEASES = "releases"
CURRENT = "current"
SELF_CHECK = Path("bin") / "deepracer-self-check"
SELF_CHECK_TIMEOUT_S = 120.0
KEEP_RELEASES = 2  # the running one and the one before it
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$")

Progress = Callable[[str, int], None]


class UpdateError(RuntimeError):
    """The update did not happen; the car runs the version it ran. str(error) says why."""


def progress_line(status: str, percent: int) -> str:
    """One event of /api/update_status, as the original console read it."""
    return f"status:{status}|update_pct:{percent}"


class Releases:
    def __init__(self, install_root: Path, *, self_check_timeout_s: float = SELF_CHECK_TIMEOUT_S) -> None:
        self.root = install_root
        self.self_check_timeout_s = self_check_timeout_s

    def current(self) -> str:
        link = self.root / CURRENT
        return Path(os.readlink(link)).name if link.is_symlink() else ""

    def installed(self) -> list[str]:
        folder = self.root / RELEASES
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    def install(self, version: str, build: Callable[[Path], None], on_progress: Progress = lambda s, p: None) -> None:
        """Build `version` with `build(folder)` beside the running release; switch to it if its self-check passes."""
        if not _VERSION.match(version):
            raise UpdateError(f"{version!r} is not a version name (letters, digits, '.', '+', '_', '-')")
        if version == self.current():
            raise UpdateError(f"version {version} is the one running")
        releases = self.root / RELEASES
        releases.mkdir(parents=True, exist_ok=True)
        staging = releases / f".staging-{version}"
        target = releases / version
        shutil.rmtree(staging, ignore_errors=True)  # what a crash mid-build left
        on_progress("installing", 10)
        try:
            staging.mkdir()
            build(staging)
            on_progress("installing", 60)
            shutil.rmtree(target, ignore_errors=True)  # a same-named release that never ran (not current: checked)
            os.rename(staging, target)
            on_progress("verifying", 70)
            self._self_check(target)
        except BaseException as error:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(target, ignore_errors=True)
            on_progress("failed", 100)
            if isinstance(error, UpdateError):
                raise
            if isinstance(error, Exception):
                raise UpdateError(f"version {version} could not be installed ({error}); still running "
                                  f"{self.current() or 'the old version'}") from error
            raise
        on_progress("switching", 90)
        self._point_current_at(version)
        self._prune()
        on_progress("complete", 100)

    def _self_check(self, release: Path) -> None:
        check = release / SELF_CHECK
        if not check.is_file():
            raise UpdateError(f"the new release has no {SELF_CHECK}: it cannot prove it starts, so it is not used")
        try:
            done = subprocess.run([str(check)], cwd=release, capture_output=True, text=True,
                                  timeout=self.self_check_timeout_s, check=False)
        except subprocess.TimeoutExpired as error:
            raise UpdateError(f"the new release's self-check did not finish within {self.self_check_timeout_s:.0f} "
                              f"s; still running {self.current() or 'the old version'}") from error
        if done.returncode != 0:
            said = (done.stderr.strip() or done.stdout.strip()).splitlines()
            raise UpdateError(f"the new release failed its self-check ({said[-1] if said else done.returncode}); "
                              f"still running {self.current() or 'the old version'}")

    def _point_current_at(self, version: str) -> None:
        link = self.root / CURRENT
        fresh = self.root / f".{CURRENT}.new"
        with contextlib.suppress(FileNotFoundError):
            fresh.unlink()
        os.symlink(Path(RELEASES) / version, fresh)
        os.replace(fresh, link)
        folder = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def _prune(self) -> None:
        running = self.current()
        others = [v for v in self.installed() if v != running]
        by_age = sorted(others, key=lambda v: (self.root / RELEASES / v).stat().st_mtime)
        for version in by_age[: max(0, len(others) - (KEEP_RELEASES - 1))]:
            shutil.rmtree(self.root / RELEASES / version, ignore_errors=True)

    def rollback(self) -> str:
        """Back to the release before the running one; returns its version."""
        running = self.current()
        others = [v for v in self.installed() if v != running]
        if not others:
            raise UpdateError("there is no earlier version on this car to go back to")
        previous = max(others, key=lambda v: (self.root / RELEASES / v).stat().st_mtime)
        self._point_current_at(previous)
        return previous
