"""Model uploads: streamed to disk as they arrive, installed one at a time on one thread.

Werkzeug's default keeps each uploaded part in a spooled temporary file in the system temp folder (RAM on
cars whose /tmp is tmpfs) and the view then copied it again. Here the multipart parser writes the part
straight into `<console_dir>/uploads` (same disk as the models), and the file is the one installed.

Installing reads the graph with OpenVINO, whose per-thread allocations stay with the thread that made them:
spread over the server's 32 worker threads, each upload on another thread left memory behind (issue 19:
117 -> 900 MB after 17 uploads of real models; here +41 MB over 20 uploads of the 20 MB demo model). One
installer thread does every install, one at a time (two uploads at once no longer double the peak), and hands
freed heap back to the system afterwards (`malloc_trim`): +7 MB over the same 20 (test_console_uploads).

An upload under an installed model's name is never installed silently over it: the uploader says `replace`
or `keep_both` (the new one goes in under a free name, `name-2`), and `ask` (the default) is answered with
the question (`NameTaken`), asked only about a valid package. The name is chosen on the installer thread,
so two uploads cannot pick the same one.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TypeVar

from flask import Request, current_app

from inference_pkg.model_package import free_name

SPOOL_DIR = "uploads"
SPOOL_PREFIX = ".upload-"
ASK, REPLACE, KEEP_BOTH = "ask", "replace", "keep_both"
ON_CONFLICT = (ASK, REPLACE, KEEP_BOTH)
T = TypeVar("T")
log = logging.getLogger(__name__)


def spool_folder(console_dir: Path) -> Path:
    folder = console_dir / SPOOL_DIR
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def clear_spool(console_dir: Path) -> None:
    """Parts left by a process that died mid-upload (a live upload's file is open and deleted on close)."""
    for stale in spool_folder(console_dir).glob(f"{SPOOL_PREFIX}*"):
        stale.unlink(missing_ok=True)
        log.info("removed %s, left by an upload that did not finish", stale)


class UploadRequest(Request):
    """A request whose uploaded files go straight to the console's spool folder on disk."""

    def _get_file_stream(self, total_content_length: int | None, content_type: str | None,
                         filename: str | None = None, content_length: int | None = None) -> IO[bytes]:
        folder = current_app.config["UPLOAD_SPOOL"]
        return tempfile.NamedTemporaryFile(dir=folder, prefix=SPOOL_PREFIX, suffix=".part")


def _malloc_trim() -> Callable[[], None]:
    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    if trim is None:  # not glibc
        return lambda: None
    return lambda: trim(0)


class Installer:
    """Runs installs on one thread, one at a time; the caller waits for its own result."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model-installer")
        self._trim = _malloc_trim()

    def run(self, work: Callable[[], T]) -> T:
        return self._pool.submit(self._then_trim, work).result()

    def _then_trim(self, work: Callable[[], T]) -> T:
        try:
            return work()
        finally:
            with contextlib.suppress(OSError):
                self._trim()

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class NameTaken(Exception):
    """An upload's name is an installed model's, and the uploader has not said whether to replace it."""

    def __init__(self, name: str, free: str) -> None:
        super().__init__(f"a model named {name} is installed already: replace it, or keep both (the new one is "
                         f"installed as {free})")
        self.name = name
        self.free = free


def target_name(models_root: Path, name: str, on_conflict: str) -> str:
    """The folder an upload named `name` installs into, as `on_conflict` decides; NameTaken for `ask`."""
    if on_conflict == REPLACE or not (models_root / name).exists():
        return name
    if on_conflict == KEEP_BOTH:
        return free_name(models_root, name)
    raise NameTaken(name, free_name(models_root, name))


def same_file_warning(others: list[str]) -> str:
    """What the uploader reads when the graph just installed is already there under other names ('' if not)."""
    if not others:
        return ""
    return f"the same file is installed already as {', '.join(others)}: delete one of them if you do not need both"
