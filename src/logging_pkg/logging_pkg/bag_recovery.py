"""Closes a bag whose logger died with it open (SIGKILL, power loss), keeping every complete chunk.

A killed writer leaves an MCAP file without its summary and footer, which seeking readers (`rosbags`,
`ros2 bag`) refuse. Its chunks are whole records, each with a CRC of its contents: reading the file in order
with `mcap`'s stream reader until the first torn or damaged record gives every message up to the last complete
chunk; they are written to a new file, which then replaces the torn one. Strictly: the stream reader skips
records it does not know, but a damaged stretch read as records looks just like that, so an unknown record or a
chunk without its CRC ends the reading there, and what is kept is always a prefix of the run. The bag is marked
`incomplete` with the reason, so the console lists it as such. Messages stream through: nothing holds the whole
run in memory.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import yaml
from mcap.opcode import Opcode
from mcap.records import Channel, Chunk, McapRecord, Message, Schema
from mcap.stream_reader import StreamReader, breakup_chunk
from mcap.writer import Writer

from logging_pkg.bag_format import (
    COMPLETE,
    INCOMPLETE,
    PROFILE,
    REASON_KEY,
    STATE_KEY,
    TopicSpec,
    mcap_file_name,
    mcap_is_closed,
    metadata_document,
    read_metadata,
    write_metadata,
)
from logging_pkg.bag_writer import COMPRESSION, LIBRARY, KernelFile

KILLED_REASON = "the logger stopped without closing the bag (killed or power lost); kept up to its last complete chunk"


class _DamagedRecord(ValueError):
    pass


class _StrictStreamReader(StreamReader):
    """Our writer writes only records MCAP defines: anything else is damage, not a newer record type."""

    _KNOWN = frozenset(int(opcode) for opcode in Opcode)

    def _read_record(self, opcode: int, length: int) -> McapRecord | None:
        if opcode not in self._KNOWN:
            raise _DamagedRecord(f"unknown record opcode {opcode:#x}")
        return super()._read_record(opcode, length)


def _readable_records(handle):
    """Records in file order, chunks opened and checked, up to the first torn or damaged one."""
    records = _StrictStreamReader(handle, emit_chunks=True, validate_crcs=True).records
    while True:
        try:
            record = next(records)
            if isinstance(record, Chunk):
                if record.uncompressed_crc == 0:  # ours always carry one: a zeroed CRC is damage
                    return
                inner = breakup_chunk(record, validate_crc=True)
        except StopIteration:
            return
        except Exception:  # a torn or damaged record: the mcap reader raises several kinds
            return
        yield from inner if isinstance(record, Chunk) else (record,)


def needs_recovery(folder: Path) -> bool:
    """A bag the logger did not close: its metadata still says recording, or its MCAP file has no end."""
    try:
        info = read_metadata(folder)
    except ValueError:
        return False
    state = (info.get("custom_data") or {}).get(STATE_KEY)
    mcap = folder / mcap_file_name(folder)
    return mcap.is_file() and (state not in (COMPLETE, INCOMPLETE) or not mcap_is_closed(mcap))


def recover(folder: Path, compression: str = "zstd") -> dict[str, int]:
    """Rewrite the bag's MCAP file from its readable records; returns the message count per topic kept."""
    info = read_metadata(folder)
    source = folder / mcap_file_name(folder)
    temporary = source.with_name(f".{source.name}.recovering")
    with contextlib.suppress(FileNotFoundError):
        temporary.unlink()
    output = KernelFile(temporary)
    writer = Writer(output, compression=COMPRESSION[compression])
    writer.start(profile=PROFILE, library=LIBRARY)
    schemas: dict[int, int] = {}
    channels: dict[int, tuple[int, str]] = {}
    counts: dict[str, int] = {}
    first = last = None
    with source.open("rb") as handle:
        for record in _readable_records(handle):
            if isinstance(record, Schema):
                schemas[record.id] = writer.register_schema(record.name, record.encoding, record.data)
            elif isinstance(record, Channel) and record.schema_id in schemas:
                channels[record.id] = (writer.register_channel(record.topic, record.message_encoding,
                                                               schemas[record.schema_id], record.metadata),
                                       record.topic)
            elif isinstance(record, Message) and record.channel_id in channels:
                channel_id, topic = channels[record.channel_id]
                writer.add_message(channel_id, record.log_time, record.data, record.publish_time, record.sequence)
                counts[topic] = counts.get(topic, 0) + 1
                first = record.log_time if first is None else min(first, record.log_time)
                last = record.log_time if last is None else max(last, record.log_time)
    writer.finish()
    output.sync()
    output.close()
    os.replace(temporary, source)
    custom = {**(info.get("custom_data") or {}), STATE_KEY: INCOMPLETE, REASON_KEY: KILLED_REASON}
    topics = [(_spec(entry["topic_metadata"]), entry["topic_metadata"].get("type_description_hash", ""),
               counts.get(entry["topic_metadata"]["name"], 0)) for entry in info["topics_with_message_count"]]
    start = first if first is not None else info["starting_time"]["nanoseconds_since_epoch"]
    write_metadata(folder, metadata_document(folder, topics, start, last if last is not None else start,
                                             compression, custom))
    return counts


def _spec(topic: dict) -> TopicSpec:
    """The recorded topic back from metadata.yaml (QoS numbers to our names)."""
    profiles = yaml.safe_load(topic.get("offered_qos_profiles") or "[]") or [{}]
    first = profiles[0]
    return TopicSpec(topic["name"], topic["type"],
                     reliability="reliable" if first.get("reliability") == 1 else "best_effort",
                     durability="transient_local" if first.get("durability") == 1 else "volatile",
                     depth=int(first.get("depth", 1)))
