"""Writes one run as a rosbag2 folder with MCAP storage, from messages already serialized (CDR bytes).

The format is written by `mcap`, the MCAP reference library of the format's authors (Foxglove): chunked,
CRC-checked, compressed per chunk, with the summary and indexes that make a finished file seekable. We give it
the bytes rclpy received (raw subscriptions), so recording never deserializes a frame.

The file is written without a user-space buffer: whatever the writer handed over is in the kernel, so a
SIGKILL loses only the chunk being filled (bag_recovery.py then closes the file). metadata.yaml is written when
the bag opens (state `recording`) and again when it closes (`complete`, with the counts).
"""

from __future__ import annotations

import os
from pathlib import Path

from mcap.writer import CompressionType, Writer

from logging_pkg.bag_format import (
    COMPLETE,
    MESSAGE_ENCODING,
    PROFILE,
    RECORDING,
    SCHEMA_ENCODING,
    STATE_KEY,
    TopicSpec,
    mcap_file_name,
    metadata_document,
    offered_qos_yaml,
    write_metadata,
)
from logging_pkg.msg_definitions import DefinitionLibrary

LIBRARY = "deepracer logging_pkg (mcap)"
COMPRESSION = {"zstd": CompressionType.ZSTD, "lz4": CompressionType.LZ4, "none": CompressionType.NONE}


class KernelFile:
    """A new file whose every write goes straight to the kernel. Not an io.RawIOBase on purpose: `mcap` would
    wrap one in a BufferedWriter, whose buffer a SIGKILL loses."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self.closed = False
        self._position = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def sync(self) -> None:
        os.fsync(self._fd)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self._fd)


class BagWriter:
    def __init__(self, folder: Path, topics: list[TopicSpec], definitions: DefinitionLibrary, *, start_ns: int,
                 chunk_bytes: int = 512 * 1024, compression: str = "zstd",
                 custom: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.path = folder / mcap_file_name(folder)
        self._custom = dict(custom or {})
        self._compression = compression
        self._start_ns = start_ns
        self._first_ns: int | None = None
        self._last_ns = start_ns
        folder.mkdir(parents=True, exist_ok=False)
        self._topics: dict[str, tuple[TopicSpec, str, int]] = {}
        self._counts: dict[str, int] = {}
        self._stream = KernelFile(self.path)
        self._writer = Writer(self._stream, chunk_size=chunk_bytes, compression=COMPRESSION[compression])
        self._writer.start(profile=PROFILE, library=LIBRARY)
        for spec in topics:
            definition = definitions.definition(spec.type_name)
            schema_id = self._writer.register_schema(spec.type_name, SCHEMA_ENCODING, definition.text.encode())
            channel_id = self._writer.register_channel(
                spec.name, MESSAGE_ENCODING, schema_id,
                {"offered_qos_profiles": offered_qos_yaml(spec), "topic_type_hash": definition.type_hash})
            self._topics[spec.name] = (spec, definition.type_hash, channel_id)
            self._counts[spec.name] = 0
        self._write_metadata(RECORDING)
        self.closed = False

    @property
    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    @property
    def size_bytes(self) -> int:
        """Bytes on disk so far (the chunk being filled is not yet among them)."""
        return self._stream.tell()

    def write(self, topic: str, data: bytes, log_time_ns: int) -> None:
        _, _, channel_id = self._topics[topic]
        count = self._counts[topic]
        self._writer.add_message(channel_id, log_time_ns, data, log_time_ns, sequence=count)
        self._counts[topic] = count + 1
        if self._first_ns is None:
            self._first_ns = log_time_ns
        self._last_ns = max(self._last_ns, log_time_ns)

    def close(self, custom: dict[str, str] | None = None) -> None:
        """Finish the MCAP file (summary, indexes, footer) and write the final metadata.yaml."""
        if self.closed:
            return
        self.closed = True
        try:
            self._writer.finish()
            self._stream.sync()
        finally:
            self._stream.close()
        self._custom.update(custom or {})
        self._write_metadata(COMPLETE)

    def abandon(self) -> None:
        """Let go of the file without finishing it (it cannot be written): recovery closes it later."""
        self.closed = True
        self._stream.close()

    def _write_metadata(self, state: str) -> None:
        start = self._first_ns if self._first_ns is not None else self._start_ns
        topics = [(spec, type_hash, self._counts[spec.name]) for spec, type_hash, _ in self._topics.values()]
        write_metadata(self.folder, metadata_document(self.folder, topics, start, self._last_ns, self._compression,
                                                      {**self._custom, STATE_KEY: state}))
