"""Name the calling thread for the operating system (top -H, /proc/<pid>/task/<tid>/comm), so the CPU of a process
that runs several nodes can be told apart by what each thread does. Python's thread names stay inside Python."""

from __future__ import annotations

import ctypes

_PR_SET_NAME = 15
_LIBC = ctypes.CDLL(None, use_errno=True)


def name_this_thread(name: str) -> None:
    """At most 15 bytes are kept (the kernel's limit)."""
    _LIBC.prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)
