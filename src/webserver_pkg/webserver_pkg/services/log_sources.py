"""The two logs the Logs page shows, newest first: the robot log and the system log.

The robot log is /rosout as collected by the node. The system log is the system's log file when
it is readable (the car's syslog) and otherwise this console's own log, kept in memory by
`RecentLog`, so the page never comes back empty-handed without saying where lines came from.
The log type is looked up in a fixed allow-list: the original resolved the URL's name with getattr.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable
from pathlib import Path

LOG_TYPES = ("robot", "system")
MAX_LINES = 1000
# Only the tail of a large syslog is read; a page of 1000 lines never needs more.
TAIL_BYTES = 4 * 1024 * 1024


class RecentLog(logging.Handler):
    """The last `capacity` formatted records of the console's own Python logging."""

    def __init__(self, capacity: int = MAX_LINES) -> None:
        super().__init__()
        self._lines: deque[str] = deque(maxlen=capacity)
        self._guard = threading.Lock()
        self.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] [%(name)s] %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        with self._guard:
            self._lines.append(line)

    def lines(self) -> list[str]:
        with self._guard:
            return list(self._lines)


CONSOLE_LOG = RecentLog()


def attach_console_log() -> None:
    """Keep the console's own log lines (package logger `webserver_pkg`) for the system-log fallback."""
    logger = logging.getLogger("webserver_pkg")
    if CONSOLE_LOG not in logger.handlers:
        logger.addHandler(CONSOLE_LOG)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def read_tail(path: Path, max_bytes: int = TAIL_BYTES) -> list[str] | None:
    """The complete lines within the last `max_bytes` of a text file (oldest first), or None when it
    cannot be read."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            start = max(0, size - max_bytes)
            # One byte more, so a line that starts exactly at `start` is known to be complete.
            handle.seek(max(0, start - 1))
            data = handle.read()
    except OSError:
        return None
    if start > 0:
        data = data[data.find(b"\n") + 1:] if b"\n" in data else b""
    return data.decode(errors="replace").splitlines()


def redact(lines: Iterable[str], secrets: Iterable[str]) -> list[str]:
    """Lines with every secret masked: the default password reaches the system log when the console's
    terminal is the journal, and the Logs page must not show it."""
    masks = [secret for secret in secrets if secret]
    if not masks:
        return list(lines)
    result = []
    for line in lines:
        for secret in masks:
            line = line.replace(secret, "********")
        result.append(line)
    return result


def newest_first(lines: Iterable[str], count: int, text_filter: str = "") -> list[str]:
    """The newest `count` lines (input oldest first) containing `text_filter`, case-insensitive."""
    needle = text_filter.casefold()
    chosen = [line for line in lines if needle in line.casefold()] if needle else list(lines)
    return chosen[::-1][:count]
