"""Small state files (calibration, tail light, console password and key) written so that a crash or a
power cut at any moment leaves either the old file or the new one, never a torn one.

The bytes go to a temporary file in the same folder (same file system, so the rename is atomic), are
fsynced, the file is renamed over the target, and the folder is fsynced so the rename itself is on disk
(rename(2) alone is not durable: ext4 and others may lose it on power loss until the directory is synced).
Every writer of the stack's small files uses this module; `read_json` is the matching read.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

PUBLIC = 0o644  # e.g. calibration: the original car's tools read it as another user
PRIVATE = 0o600  # secrets: the owner only


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = PUBLIC, folder_mode: int = 0o755) -> None:
    """Replace `path` with `data` atomically and durably; a missing folder is created with `folder_mode`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=folder_mode)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def atomic_write_json(path: Path, data: Any, *, mode: int = PUBLIC, folder_mode: int = 0o755) -> None:
    """`data` as indented JSON (4 spaces, as the original car's files), written with atomic_write_bytes."""
    text = json.dumps(data, indent=4) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode, folder_mode=folder_mode)


def read_json(path: Path) -> Any:
    """The decoded JSON of a file written above. Raises FileNotFoundError (no file yet), OSError or
    UnicodeDecodeError (unreadable), json.JSONDecodeError (not JSON): callers turn each into their reason."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
