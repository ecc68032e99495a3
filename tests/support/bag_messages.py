"""Real serialized messages of the recorded types (rclpy's serializer, as the node receives them)."""

from __future__ import annotations

import random

from rclpy.serialization import serialize_message
from sensor_msgs.msg import Image

from deepracer_common_pkg import names
from deepracer_interfaces_pkg.msg import CameraFrames, DriveCommand, InferenceResult, NavigationState


def frame(sequence: int, stamp_ns: int, *, noise: bool = False) -> bytes:
    """A 160x120 mono8 policy frame; every pixel = sequence % 256, or (noise) random bytes no codec shrinks."""
    pixels = random.Random(sequence).randbytes(160 * 120) if noise else bytes([sequence % 256]) * 160 * 120
    image = Image(height=120, width=160, encoding="mono8", step=160, data=pixels)
    return serialize_message(_stamped(CameraFrames(sequence=sequence, images=[image]), stamp_ns))


def _stamped(message, stamp_ns: int):
    message.header.stamp.sec, message.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    return message


def result(sequence: int, action: int = 2, stamp_ns: int = 0) -> bytes:
    """A discrete policy result for frame `sequence` (captured at `stamp_ns`): `action` at 0.8."""
    outputs = [0.05] * 5
    outputs[action] = 0.8
    return serialize_message(_stamped(InferenceResult(frame_sequence=sequence, model_name="demo",
                                                      action_space_type="discrete", outputs=outputs,
                                                      action_index=action, inference_ms=1.0), stamp_ns))


def command(angle: float, throttle: float, stamp_ns: int = 0) -> bytes:
    return serialize_message(_stamped(DriveCommand(angle=angle, throttle=throttle), stamp_ns))


def navigation(mode: str, started: bool) -> bytes:
    return serialize_message(NavigationState(mode=mode, started=started, model_name="demo", model_ready=True))


DRIVING_TOPICS = (names.CAMERA_FRAMES, names.INFERENCE_RESULTS, names.NAVIGATION_SERVO_CMD)


def write_run(folder, frames: int = 30, *, close: bool = True, start_ns: int = 1_764_579_600_000_000_000,
              period_ns: int = 50_000_000, model_dir: str = "/models/Sample-model"):
    """A recorded run as the logging node writes it: frame i has every pixel = i, action i % 5, steering
    going from -1 to 1 over the run, throttle 0.5; `close=False` leaves it as a killed logger does."""
    from logging_pkg.bag_format import MODEL_KEY
    from logging_pkg.bag_writer import BagWriter
    from logging_pkg.msg_definitions import DefinitionLibrary
    from logging_pkg.topics import recorded_topics

    writer = BagWriter(folder, recorded_topics(set()), DefinitionLibrary(), start_ns=start_ns, chunk_bytes=32 * 1024,
                       custom={MODEL_KEY: model_dir})
    for i in range(frames):
        t = start_ns + i * period_ns
        writer.write(names.CAMERA_FRAMES, frame(i, t), t)
        writer.write(names.INFERENCE_RESULTS, result(i, i % 5, t), t + 1_000)
        writer.write(names.NAVIGATION_SERVO_CMD, command(-1 + 2 * i / max(1, frames - 1), 0.5, t), t + 2_000)
    if close:
        writer.close()
    else:
        writer.abandon()
    return folder
