"""The logger's own CDR encoding must give exactly rclpy's bytes: a bag's messages are read back by tools that decode
them with the message definitions (rosbags here, ros2 bag, DREM's video tool), so one byte of misplaced padding is a
corrupt bag. Every type a bag records is compared, with the field values that move the alignment (strings of each
length modulo 4 before 8-byte fields, empty and full sequences)."""

from __future__ import annotations

import array
import importlib
import itertools

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseWithCovariance
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import (
    ByteMultiArray,
    Char,
    Float64,
    Float64MultiArray,
    Header,
    Int16,
    MultiArrayDimension,
    MultiArrayLayout,
)

from deepracer_interfaces_pkg.msg import (
    ActionSpace,
    CameraFrames,
    DriveCommand,
    InferenceResult,
    InferResults,
    InferResultsArray,
    ModelState,
    NavigationState,
    PwmWritten,
    SimPose,
    SimState,
    StageStats,
)
from logging_pkg import cdr_encoding
from logging_pkg.cdr_encoding import encoder_for
from logging_pkg.topics import recorded_topics, type_class_path

STRINGS = ["", "a", "ab", "abc", "abcd", "é", "deepracer-sample-model-48"]


def _header(frame_id: str = "camera", sec: int = 1_765_000_000, nanosec: int = 123_456_789) -> Header:
    return Header(stamp=Time(sec=sec, nanosec=nanosec), frame_id=frame_id)


def _same_bytes(message) -> bytes:
    """rclpy's bytes but for its padding, which Fast CDR leaves as the memory held it (not zeros): the padding's
    places are found by encoding again with another filler byte. And read back by rclpy as the same message."""
    encode = encoder_for(type(message))
    assert encode is not None, f"{type(message).__name__} should be written by the logger's own encoder"
    expected = serialize_message(message)
    got = encode(message)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cdr_encoding, "_PAD", [b"\xaa" * n for n in range(8)])
        filled = encode(message)
    padding = {i for i, (a, b) in enumerate(zip(got, filled, strict=True)) if a != b}
    name = type(message).__name__
    assert len(got) == len(expected), f"{name}: {len(got)} bytes, rclpy {len(expected)}"
    wrong = [i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b and i not in padding]
    assert not wrong, f"{name}: byte {wrong[0]} is {got[wrong[0]]:#x}, rclpy's {expected[wrong[0]]:#x}"
    assert all(got[i] == 0 for i in padding)
    again = serialize_message(deserialize_message(got, type(message)))  # read back by rclpy: the same message
    assert [b for i, b in enumerate(again) if i not in padding] == [b for i, b in enumerate(got) if i not in padding]
    return got


def test_every_type_a_bag_records_is_encoded_here():
    for spec in recorded_topics({"deepracer_interfaces_pkg/msg/" + n for n in ("SimPose", "SimState",
                                                                               "InferResultsArray")}):
        module, name = type_class_path(spec.type_name)
        assert encoder_for(getattr(importlib.import_module(module), name)) is not None, spec.type_name


@pytest.mark.parametrize("frame_id", STRINGS)
def test_policy_frames(frame_id):
    grey = np.arange(160 * 120, dtype=np.uint8)
    images = [Image(header=_header(frame_id), height=120, width=160, encoding="mono8", step=160, data=grey.tobytes())]
    _same_bytes(CameraFrames(header=_header(frame_id), sequence=4_000_000_000, images=images))
    _same_bytes(CameraFrames(header=_header(frame_id), sequence=1, images=images * 2))  # stereo
    _same_bytes(CameraFrames(header=_header(frame_id)))  # no image


@pytest.mark.parametrize("model_name, space", itertools.product(STRINGS, ["discrete", "continuous", ""]))
def test_policy_results(model_name, space):
    for outputs in ([], [0.25], [0.1 * i for i in range(12)]):
        _same_bytes(InferenceResult(header=_header(model_name), frame_sequence=7, model_name=model_name,
                                    action_space_type=space, outputs=outputs, action_index=-1, inference_ms=4.2))


@pytest.mark.parametrize("reason", STRINGS)
def test_commands_and_writes(reason):
    _same_bytes(DriveCommand(header=_header(reason), angle=-0.52, throttle=0.75))
    _same_bytes(PwmWritten(header=_header(reason), written=Time(sec=5, nanosec=6), steering_ns=1_450_000,
                           throttle_ns=-1, enabled=reason != "", reason=reason))


@pytest.mark.parametrize("fmt", STRINGS)
def test_original_rl_results(fmt):
    picture = CompressedImage(header=_header(fmt), format=fmt, data=bytes(range(256)) * 3 + b"\x01")
    results = [InferResults(class_label=i, class_prob=0.5 / (i + 1), x_min=1.0, y_max=-2.5) for i in range(12)]
    _same_bytes(InferResultsArray(results=results, images=[picture]))
    _same_bytes(InferResultsArray(results=[], images=[picture, picture]))
    _same_bytes(InferResultsArray())


@pytest.mark.parametrize("text", STRINGS)
def test_state_and_figures_with_eight_byte_fields_after_strings(text):
    _same_bytes(StageStats(header=_header(text), stage=text, rate_hz=30.0, latency_p50_ms=1.5, latency_p95_ms=2.5,
                           count=2**63 + 5, dropped=3, errors=0))
    _same_bytes(NavigationState(mode=text, started=True, run_started_ns=-(2**62), emergency_stop=False,
                                max_speed=0.5, model_name=text, model_ready=True, last_command_age_s=0.1,
                                neutral_reason=text))
    _same_bytes(ModelState(state=text, model_name=text, model_dir=text, reason=text, training_algorithm=text,
                           sensors=[text, "FRONT_FACING_CAMERA"][: len(text) % 3], action_space=ActionSpace(),
                           load_seconds=1.0, running=True))
    _same_bytes(SimPose(header=_header(text), track=text, x=1.5, y=-2.25, yaw=3.0))
    _same_bytes(SimState(track=text, laps=3, lap_times_s=[12.5, 11.0][: len(text) % 3], lap_off_track=[1, 2, 3],
                         off_track=1, sim_time_s=100.125, unanswered_frames=0, held=True, progress=0.5,
                         on_track=False, x=1.0, y=2.0, yaw=0.5, speed_m_s=1.25))


def test_other_field_kinds_rclpy_has():
    """Fixed arrays (a numpy array in rclpy), bytes and chars, nested sequences: in no recorded type today, written
    right if one comes."""
    covariance = np.linspace(-1.0, 1.0, 36)
    _same_bytes(PoseWithCovariance(covariance=covariance))
    _same_bytes(ByteMultiArray(data=[b"\x01", b"\xff"]))
    _same_bytes(Char(data=65))
    _same_bytes(Int16(data=-2))
    _same_bytes(Float64(data=0.1))
    _same_bytes(InferResults(class_label=3, class_prob=0.25))
    layout = MultiArrayLayout(dim=[MultiArrayDimension(label=s, size=len(s), stride=2) for s in STRINGS],
                              data_offset=9)
    for count in (0, 1, 5):
        _same_bytes(Float64MultiArray(layout=layout, data=array.array("d", [0.5] * count)))


def test_a_field_kind_it_does_not_write_falls_back_to_rclpy():
    class WideText:  # no installed message has a wide string; the encoder reads only this of a message class
        @staticmethod
        def get_fields_and_field_types() -> dict[str, str]:
            return {"header": "std_msgs/Header", "text": "wstring"}

    class Bounded:
        @staticmethod
        def get_fields_and_field_types() -> dict[str, str]:
            return {"name": "string<=8", "values": "sequence<int32, 3>"}

    assert encoder_for(WideText) is None
    assert encoder_for(Bounded) is None
