"""A bag left open by a killed logger is closed by the next one, keeping every complete chunk, marked incomplete.

"Killed" here is the writer dropped without finishing (what SIGKILL leaves: every chunk it handed to the kernel,
no summary, no footer) plus a torn half-record at the end; the real SIGKILL of the node is in
tests/integration/test_logging_stack.py.
"""

from __future__ import annotations

import pytest
import yaml
from rosbags.highlevel import AnyReader, AnyReaderError

from deepracer_common_pkg import names
from logging_pkg.bag_format import INCOMPLETE, REASON_KEY, STATE_KEY, mcap_is_closed
from logging_pkg.bag_recovery import needs_recovery, recover
from logging_pkg.bag_writer import BagWriter
from logging_pkg.msg_definitions import DefinitionLibrary
from logging_pkg.topics import recorded_topics
from support.bag_messages import frame, result

T0 = 1_700_000_000_000_000_000
FRAMES = 120


def _killed_run(folder):
    writer = BagWriter(folder, recorded_topics(set()), DefinitionLibrary(), start_ns=T0, chunk_bytes=64 * 1024,
                       compression="zstd")
    for i in range(FRAMES):
        t = T0 + i * 33_000_000
        writer.write(names.CAMERA_FRAMES, frame(i, t), t)
        writer.write(names.INFERENCE_RESULTS, result(i), t + 1)
    writer.abandon()
    with writer.path.open("ab") as handle:
        handle.write(b"\x06" + (900_000).to_bytes(8, "little") + b"torn chunk")  # a chunk record cut short
    return writer.path


def _frame_sequences(folder):
    with AnyReader([folder]) as reader:
        connections = [c for c in reader.connections if c.topic == names.CAMERA_FRAMES]
        return [reader.deserialize(raw, c.msgtype).sequence for c, _, raw in reader.messages(connections=connections)]


def test_a_killed_bag_is_refused_by_readers_until_recovered_then_reads_up_to_its_last_complete_chunk(tmp_path):
    folder = tmp_path / "demo-20261201-101500"
    path = _killed_run(folder)
    assert needs_recovery(folder)
    with pytest.raises(AnyReaderError, match="magic"):
        _frame_sequences(folder)

    counts = recover(folder)

    assert mcap_is_closed(path)
    assert not needs_recovery(folder)
    sequences = _frame_sequences(folder)
    assert 0 < len(sequences) < FRAMES  # the chunk being filled is lost, the rest kept
    assert sequences == list(range(len(sequences)))  # in order, nothing missing before the end
    assert counts[names.CAMERA_FRAMES] == len(sequences)
    info = yaml.safe_load((folder / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    assert info["custom_data"][STATE_KEY] == INCOMPLETE
    assert "last complete chunk" in info["custom_data"][REASON_KEY]
    frames_entry = next(t for t in info["topics_with_message_count"]
                        if t["topic_metadata"]["name"] == names.CAMERA_FRAMES)
    assert frames_entry["message_count"] == len(sequences)


def test_damage_anywhere_keeps_only_what_comes_before_it(tmp_path):
    # Zeroed stretches (a bad sector) at many places: inside a chunk its CRC fails, on a record boundary the
    # zeros read as unknown records, which the stream reader would skip and then go on reading garbage or
    # later chunks. Either way what is kept must be a prefix of the run.
    pristine = _killed_run(tmp_path / "pristine-20261201-101500").read_bytes()
    for tenth in range(1, 10):
        folder = tmp_path / f"demo{tenth}-20261201-101500"
        path = _killed_run(folder)
        data = bytearray(pristine)
        at = len(data) * tenth // 10
        data[at:at + 64] = bytes(64)
        path.write_bytes(bytes(data))

        recover(folder)

        try:
            sequences = _frame_sequences(folder)
        except AnyReaderError as error:  # damage among the schemas at the start: nothing readable, nothing kept
            assert "no type definitions" in str(error), tenth
            sequences = []
        assert len(sequences) < FRAMES, tenth
        assert sequences == list(range(len(sequences))), tenth
