"""Hand memory a finished job freed back to the system.

Why: glibc keeps what Python and OpenVINO free inside the process for reuse. After a model load (reading a 23 MB
frozen graph, converting and compiling it: some 150 MB at its peak) the inference node kept all of it, on a car with
4 GB and a stack that must stay within 500 MB (issue 23). malloc_trim returns the free pages at the top of every
heap arena; on a C library without it (musl), nothing happens.
"""

from __future__ import annotations

import ctypes


def release_free_memory() -> None:
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except AttributeError:
        return
    trim(0)
