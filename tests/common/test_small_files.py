"""Atomic small-file writes: every writer of the stack's state files goes through one module, which syncs the
file and its folder, so a crash or power cut leaves the old file or the new one."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from deepracer_common_pkg.small_files import PRIVATE, atomic_write_json, read_json
from servo_pkg.calibration_files import save_calibration, save_led_color
from servo_pkg.led_color import LedColor
from servo_pkg.pwm_math import Calibration
from webserver_pkg.services.credentials import write_private

WRITERS = {
    "calibration": lambda path: save_calibration(path, Calibration()),
    "tail light": lambda path: save_led_color(path, LedColor(1, 2, 3)),
    "console secret": lambda path: write_private(path, b"secret"),
}


@pytest.mark.parametrize("writer", WRITERS, ids=list(WRITERS))
def test_every_writer_syncs_the_file_and_its_folder(tmp_path: Path, monkeypatch, writer: str) -> None:
    synced: list[bool] = []  # True for a folder
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    path = tmp_path / "state" / "file.json"
    WRITERS[writer](path)
    assert synced == [False, True], "the file, then the folder holding the rename"
    assert [p.name for p in path.parent.iterdir()] == ["file.json"]


def test_modes_are_exact_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        atomic_write_json(tmp_path / "public.json", {"a": 1})
    finally:
        os.umask(old)
    atomic_write_json(tmp_path / "private.json", {"b": 2}, mode=PRIVATE)
    assert stat.S_IMODE((tmp_path / "public.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
    assert read_json(tmp_path / "private.json") == {"b": 2}


def test_crash_between_write_and_rename_keeps_the_old_file(tmp_path: Path) -> None:
    """A real crash: a child process dies (os._exit, no cleanup) at the moment it would rename."""
    path = tmp_path / "state.json"
    path.write_text('{"old": true}')
    child = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from deepracer_common_pkg.small_files import atomic_write_json
        os.replace = lambda *args: os._exit(9)
        atomic_write_json(Path({str(path)!r}), {{"new": True}})
    """)
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert result.returncode == 9, result.stderr
    assert read_json(path) == {"old": True}
    leftovers = [p for p in tmp_path.iterdir() if p != path]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".state.json.")
    assert json.loads(leftovers[0].read_text()) == {"new": True}
    atomic_write_json(path, {"next": 1})  # the leftover never confuses the next save
    assert read_json(path) == {"next": 1}


def test_failed_rename_cleans_up_and_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "state.json"
    path.write_text('{"old": true}')

    def refuse(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_json(path, {"new": True})
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]
    assert read_json(path) == {"old": True}
