"""A run folder as a .tar.gz, produced piece by piece while it downloads (a bag can be larger than memory).

`tarfile` writes a member in one go, so the archive is assembled here from its parts instead: per file a
ustar header (`TarInfo.tobuf`), the content in blocks, padding to 512 bytes, and two zero blocks at the end
(POSIX ustar layout), all through one gzip stream (zlib with a gzip wrapper).
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Iterator
from pathlib import Path

BLOCK = 512
READ_BYTES = 256 * 1024


def stream_tar_gz(folder: Path) -> Iterator[bytes]:
    gzip = zlib.compressobj(6, zlib.DEFLATED, 31)
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        with path.open("rb") as handle:
            size = path.stat().st_size
            info = tarfile.TarInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}")
            info.size, info.mtime, info.mode = size, int(path.stat().st_mtime), 0o644
            yield gzip.compress(info.tobuf(format=tarfile.USTAR_FORMAT))
            sent = 0
            while sent < size:
                block = handle.read(min(READ_BYTES, size - sent))
                if not block:  # the file shrank while we read it: keep the header's promise with zeros
                    block = bytes(min(READ_BYTES, size - sent))
                sent += len(block)
                yield gzip.compress(block)
            yield gzip.compress(bytes(-size % BLOCK))
    yield gzip.compress(bytes(2 * BLOCK))
    yield gzip.flush()
