"""A bag our writer makes opens in an independent reader (`rosbags`) with the real message definitions."""

from __future__ import annotations

import yaml
from rosbags.highlevel import AnyReader

from deepracer_common_pkg import names
from logging_pkg.bag_format import COMPLETE, RECORDING, STATE_KEY, mcap_is_closed
from logging_pkg.bag_writer import BagWriter
from logging_pkg.msg_definitions import DefinitionLibrary
from logging_pkg.topics import recorded_topics
from support.bag_messages import command, frame, result

T0 = 1_700_000_000_000_000_000


def _write_run(folder, frames: int = 40, chunk_bytes: int = 64 * 1024) -> BagWriter:
    writer = BagWriter(folder, recorded_topics(set()), DefinitionLibrary(), start_ns=T0, chunk_bytes=chunk_bytes)
    for i in range(frames):
        t = T0 + i * 33_000_000
        writer.write(names.CAMERA_FRAMES, frame(i, t), t)
        writer.write(names.INFERENCE_RESULTS, result(i, i % 5), t + 2_000_000)
        writer.write(names.NAVIGATION_SERVO_CMD, command(-0.5 + i / frames, 0.6), t + 3_000_000)
    return writer


def test_a_closed_bag_reads_back_with_rosbags_types_fields_and_counts(tmp_path):
    folder = tmp_path / "demo-20261201-101500"
    _write_run(folder).close()
    assert mcap_is_closed(folder / "demo-20261201-101500_0.mcap")
    info = yaml.safe_load((folder / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    assert info["custom_data"][STATE_KEY] == COMPLETE
    assert info["storage_identifier"] == "mcap"

    with AnyReader([folder]) as reader:
        counts = {c.topic: c.msgcount for c in reader.connections}
        assert counts[names.CAMERA_FRAMES] == 40 and counts[names.INFERENCE_RESULTS] == 40
        assert counts[names.SERVO_PWM_WRITTEN] == 0
        types = {c.topic: c.msgtype for c in reader.connections}
        assert types[names.CAMERA_FRAMES] == "deepracer_interfaces_pkg/msg/CameraFrames"
        frames = [reader.deserialize(raw, c.msgtype) for c, _, raw in reader.messages(
            connections=[c for c in reader.connections if c.topic == names.CAMERA_FRAMES])]
        results = [reader.deserialize(raw, c.msgtype) for c, _, raw in reader.messages(
            connections=[c for c in reader.connections if c.topic == names.INFERENCE_RESULTS])]
    assert [f.sequence for f in frames] == list(range(40))
    assert frames[7].images[0].width == 160 and frames[7].images[0].data[0] == 7
    assert frames[7].header.stamp.sec * 10**9 + frames[7].header.stamp.nanosec == T0 + 7 * 33_000_000
    assert results[3].action_index == 3 and abs(results[3].outputs[3] - 0.8) < 1e-6


def test_an_open_bag_says_recording_and_has_no_end_yet(tmp_path):
    folder = tmp_path / "demo-20261201-101500"
    writer = _write_run(folder)
    info = yaml.safe_load((folder / "metadata.yaml").read_text())["rosbag2_bagfile_information"]
    assert info["custom_data"][STATE_KEY] == RECORDING
    assert not mcap_is_closed(writer.path)
    assert writer.size_bytes > 0  # complete chunks are in the file already, not in a user-space buffer
    writer.close()


def test_the_schema_carries_every_nested_definition(tmp_path):
    folder = tmp_path / "demo-20261201-101500"
    _write_run(folder, frames=2).close()
    with AnyReader([folder]) as reader:
        frames = next(c for c in reader.connections if c.topic == names.CAMERA_FRAMES)
        text = frames.msgdef.data
    for nested in ("sensor_msgs/Image", "std_msgs/Header", "builtin_interfaces/Time"):
        assert f"MSG: {nested}\n" in text
