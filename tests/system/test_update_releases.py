"""Software update into a temporary install root: a release whose self-check fails is removed and the running
one stays; a passing one is switched in by one symlink; rollback goes back. The self-checks are real programs."""

from __future__ import annotations

from pathlib import Path

import pytest

from system_pkg.update.releases import SELF_CHECK, Releases, UpdateError, progress_line


def _build(passes: bool, marker: str = ""):
    def build(folder: Path) -> None:
        (folder / "VERSION").write_text(marker)
        check = folder / SELF_CHECK
        check.parent.mkdir(parents=True)
        check.write_text("#!/bin/sh\n" + ("exit 0\n" if passes else "echo 'camera node did not start' >&2\nexit 3\n"))
        check.chmod(0o755)
    return build


def test_a_release_that_fails_its_self_check_is_rolled_back_and_the_old_one_keeps_running(tmp_path):
    releases = Releases(tmp_path)
    releases.install("1.0.0", _build(True, "one"))
    events = []
    refused = r"failed its self-check \(camera node did not start\); still running 1\.0\.0"
    with pytest.raises(UpdateError, match=refused):
        releases.install("1.1.0", _build(False), on_progress=lambda s, p: events.append(progress_line(s, p)))
    assert releases.current() == "1.0.0" and releases.installed() == ["1.0.0"]
    assert (tmp_path / "current" / "VERSION").read_text() == "one"
    assert events[-1] == "status:failed|update_pct:100" and "status:verifying|update_pct:70" in events


def test_a_passing_release_is_switched_in_and_the_previous_kept_for_rollback(tmp_path):
    releases = Releases(tmp_path)
    releases.install("1.0.0", _build(True, "one"))
    events = []
    releases.install("1.1.0", _build(True, "two"), on_progress=lambda s, p: events.append(progress_line(s, p)))
    assert releases.current() == "1.1.0" and (tmp_path / "current" / "VERSION").read_text() == "two"
    assert events[-1] == "status:complete|update_pct:100"
    releases.install("1.2.0", _build(True, "three"))
    assert releases.installed() == ["1.1.0", "1.2.0"]  # the running one and the one before
    assert releases.rollback() == "1.1.0" and (tmp_path / "current" / "VERSION").read_text() == "two"


def test_a_build_that_breaks_midway_leaves_nothing_behind(tmp_path):
    releases = Releases(tmp_path)
    releases.install("1.0.0", _build(True))

    def broken(folder: Path) -> None:
        (folder / "half").write_text("x")
        raise OSError(28, "No space left on device")

    with pytest.raises(UpdateError, match=r"No space left on device.*still running 1\.0\.0"):
        releases.install("2.0.0", broken)
    assert releases.installed() == ["1.0.0"]
    assert [p.name for p in (tmp_path / "releases").iterdir()] == ["1.0.0"]


def test_a_release_without_a_self_check_is_not_used(tmp_path):
    releases = Releases(tmp_path)
    with pytest.raises(UpdateError, match="cannot prove it starts"):
        releases.install("1.0.0", lambda folder: (folder / "VERSION").write_text("x"))
    assert releases.current() == "" and releases.installed() == []
