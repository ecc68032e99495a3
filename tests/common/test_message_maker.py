"""Every message maker of the stack makes the message its type's generated constructor makes: equal, serialised to
the same bytes, read back alike, and changeable afterwards through the usual fields."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from array import array

import pytest
from builtin_interfaces.msg import Time
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from camera_pkg import camera_node
from compat_pkg import rl_results
from deepracer_common_pkg import heartbeat, stamps, telemetry_node
from deepracer_common_pkg.message_maker import CHECK_FIELDS_VARIABLE, maker
from deepracer_interfaces_pkg.msg import (
    CameraFrames,
    DriveCommand,
    Heartbeat,
    InferenceResult,
    InferResults,
    InferResultsArray,
    PwmWritten,
    StageStats,
)
from inference_pkg import inference_node
from logging_pkg.cdr_encoding import encoder_for
from navigation_pkg import navigation_node
from servo_pkg import servo_node

STAMP_NS = 1_796_646_569_644_422_191


def stamp() -> Time:
    return Time(sec=STAMP_NS // 10**9, nanosec=STAMP_NS % 10**9)


def header(frame_id: str = "") -> Header:
    return Header(stamp=stamp(), frame_id=frame_id)


def picture() -> CompressedImage:
    return CompressedImage(header=header("camera"), format="jpeg", data=bytes(range(256)) * 3)


def image() -> Image:
    return Image(header=header("camera"), height=2, width=3, encoding="mono8", is_bigendian=0, step=3,
                 data=bytes([0, 7, 255, 128, 1, 2]))


# (the maker a module uses, its arguments, the same message from the generated constructor); numbers a float32 holds
# exactly, so that a reading equals the original
CASES = {
    "from_ns": (stamps.from_ns, (STAMP_NS,), stamp),
    "header_at": (stamps.header_at, (STAMP_NS, "camera"), lambda: header("camera")),
    "camera frames": (camera_node._frames, (header("camera"), 4_000_000_000, [image(), image()]),
                      lambda: CameraFrames(header=header("camera"), sequence=4_000_000_000, images=[image(), image()])),
    "policy image": (camera_node._image, (header("camera"), 2, 3, "mono8", 0, 3, array("B", [0, 7, 255, 128, 1, 2])),
                     image),
    "display picture": (camera_node._picture, (header("camera"), "jpeg", array("B", bytes(range(256)) * 3)),
                        picture),
    "policy output": (inference_node._result,
                      (header("camera"), 17, "model_48", "discrete", array("f", [0.25, 0.5, 1e-7]), 2, 4.75),
                      lambda: InferenceResult(header=header("camera"), frame_sequence=17, model_name="model_48",
                                              action_space_type="discrete", outputs=[0.25, 0.5, 1e-7], action_index=2,
                                              inference_ms=4.75)),
    "drive command": (navigation_node._command, (header(), -0.5, 0.75),
                      lambda: DriveCommand(header=header(), angle=-0.5, throttle=0.75)),
    "heartbeat": (heartbeat._heartbeat, (header(), "servo_node", "0123456789ab", "calibration file unreadable"),
                  lambda: Heartbeat(header=header(), node="servo_node", boot_id="0123456789ab",
                                    fault="calibration file unreadable")),
    "telemetry": (telemetry_node._stats, (header(), "inference", 29.75, 6.5, 8.25, 2**40, 3, 0),
                  lambda: StageStats(header=header(), stage="inference", rate_hz=29.75, latency_p50_ms=6.5,
                                     latency_p95_ms=8.25, count=2**40, dropped=3, errors=0)),
    "servo write": (servo_node._written, (header(), stamp(), 1_450_000, 1_500_000, True, "command"),
                    lambda: PwmWritten(header=header(), written=stamp(), steering_ns=1_450_000, throttle_ns=1_500_000,
                                       enabled=True, reason="command")),
    "original class result": (rl_results._class_result, (3, 0.125, 0.0, 0.0, 0.0, 0.0),
                              lambda: InferResults(class_label=3, class_prob=0.125)),
    "original results": (rl_results._results_array,
                         ([InferResults(class_label=0, class_prob=0.5)], [picture()]),
                         lambda: InferResultsArray(results=[InferResults(class_label=0, class_prob=0.5)],
                                                   images=[picture()])),
}


@pytest.mark.parametrize("case", CASES)
def test_a_maker_makes_what_the_constructor_makes(case: str) -> None:
    make, arguments, constructed = CASES[case]
    made, expected = make(*arguments), constructed()
    assert made == expected
    assert repr(made) == repr(expected)
    # rclpy's CDR leaves alignment padding as memory held it, so its bytes are compared through a reading and their
    # length; the logger's own encoding writes zeros there and is compared byte for byte.
    data = serialize_message(made)
    assert len(data) == len(serialize_message(expected))
    assert deserialize_message(data, type(expected)) == expected
    encode = encoder_for(type(expected))
    assert encode is not None and encode(made) == encode(expected)


def test_a_made_message_changes_like_any_other() -> None:
    made = navigation_node._command(header(), 0.0, 0.0)
    made.throttle = 0.5
    made.header.stamp = stamps.from_ns(5)
    assert made == DriveCommand(header=Header(stamp=Time(sec=0, nanosec=5)), throttle=0.5)


def test_the_stacks_results_of_every_action_are_the_original_ones() -> None:
    result = InferenceResult(header=header("camera"), action_space_type="discrete", outputs=[0.75, 0.25])
    made = rl_results.rl_results(result, picture())
    assert made == InferResultsArray(results=[InferResults(class_label=0, class_prob=0.75),
                                              InferResults(class_label=1, class_prob=0.25)], images=[picture()])


def test_with_field_checks_on_a_maker_is_the_checking_constructor() -> None:
    """A developer who turns rosidl's field checks on gets them on the frame path's messages as well. (The generated
    modules read the setting when imported: a process of its own.)"""
    program = textwrap.dedent("""
        from std_msgs.msg import Header
        from deepracer_common_pkg.message_maker import maker
        from deepracer_interfaces_pkg.msg import DriveCommand
        make = maker(DriveCommand, "header", "angle", "throttle")
        assert make(Header(), 0.25, 0.5) == DriveCommand(angle=0.25, throttle=0.5)
        make(Header(), 0.25, "full")
    """)
    for checks, refused in (("1", True), ("", False)):
        done = subprocess.run([sys.executable, "-c", program], env={**os.environ, CHECK_FIELDS_VARIABLE: checks},
                              capture_output=True, text=True, timeout=120)
        assert (done.returncode != 0) == refused, done.stderr
        assert ("AssertionError: The 'throttle' field must be of type 'float'" in done.stderr) == refused, done.stderr


def test_a_maker_takes_every_field_once() -> None:
    with pytest.raises(ValueError, match="angle, header, throttle"):
        maker(DriveCommand, "header", "angle")
    with pytest.raises(ValueError, match="each of its fields once"):
        maker(DriveCommand, "header", "angle", "throttle", "angle")
