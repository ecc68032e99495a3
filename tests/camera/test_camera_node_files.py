"""The real camera node on recorded media (stand-ins for the car's USB cameras, which cannot exist on this
machine): a stereo pair of video files at 30 fps, a file played once, a folder of JPEGs with a broken one
(as an MJPEG camera can send), and a path that does not exist."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from camera.camera_media import frame_level, index_for_level, level_of

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.stamps import to_ns
from deepracer_interfaces_pkg.msg import CameraFrames, CameraStatus, StageStats
from support.rosgraph import NodeProcess, wait_for


def pixels(image) -> np.ndarray:
    return np.frombuffer(bytes(image.data), np.uint8).reshape(image.height, image.width)


def test_stereo_files_are_published_as_pairs_left_first_at_30_fps(write_video, ros_probe):
    left = write_video("left.avi", frames=10, width=640, height=480, fps=30.0, mark="left")
    right = write_video("right.avi", frames=10, width=640, height=480, fps=30.0, mark="right", colour=False)
    frames = ros_probe.subscribe(CameraFrames, names.CAMERA_FRAMES, qos.LATEST)
    status = ros_probe.subscribe(CameraStatus, names.CAMERA_STATUS, qos.LATCHED)
    with NodeProcess("camera_pkg", "camera_node", {"source": f"file:{left},file:{right}", "fps": 30.0}) as node:
        frames.wait_for(timeout=20, what="the first stereo frames")
        frames.clear()
        wait_for(lambda: len(frames.messages) >= 90, timeout=10, what="three seconds of frames")
        received = frames.messages
        for message in received:
            assert len(message.images) == 2
            first, second = (pixels(image) for image in message.images)
            assert first.shape == second.shape == (120, 160)
            assert first[3, 3] > 240 and second[3, -3] > 240, "left camera first"
            assert level_of(first) == pytest.approx(level_of(second), abs=4), "one pair = one moment"
        indexes = [index_for_level(level_of(pixels(m.images[0]))) for m in received]
        assert None not in indexes
        steps = [(b - a) % 10 for a, b in itertools.pairwise(indexes)]
        assert steps.count(1) >= 0.9 * len(steps), "every file frame in order, looping"
        sequences = [m.sequence for m in received]
        stamps = [to_ns(m.header.stamp) for m in received]
        rate = (sequences[-1] - sequences[0]) / ((stamps[-1] - stamps[0]) / 1e9)
        assert rate == pytest.approx(30.0, rel=0.10)
        latest = status.wait_for(lambda s: s.connected, what="a connected status")
        assert latest.stereo and (latest.width, latest.height) == (640, 480)
        assert latest.source == f"file:{left}+file:{right}"
        assert node.running()


def test_a_file_played_once_is_reported_finished(write_video, ros_probe):
    clip = write_video("once.avi", frames=8, fps=30.0)
    frames = ros_probe.subscribe(CameraFrames, names.CAMERA_FRAMES, qos.LATEST)
    status = ros_probe.subscribe(CameraStatus, names.CAMERA_STATUS, qos.LATCHED)
    with NodeProcess("camera_pkg", "camera_node", {"source": f"file:{clip}", "fps": 30.0,
                                                   "loop_video": False}) as node:
        finished = status.wait_for(lambda s: "ended" in s.error, timeout=20, what="the end reported")
        assert not finished.connected and "loop_video is false" in finished.error
        assert {frame_level(i) for i in range(8)} >= {
            frame_level(index_for_level(level_of(pixels(m.images[0])))) for m in frames.messages}
        assert node.running(), "the node stays up after the file ends"


def test_a_frame_that_cannot_be_decoded_is_skipped_counted_and_capture_goes_on(write_folder, ros_probe):
    folder = write_folder("mjpeg", images=4, suffix=".jpg", width=640, height=480)
    good = (folder / "frame_0002.jpg").read_bytes()
    header_end = good.index(b"\xff\xc0") + 2 + int.from_bytes(good[good.index(b"\xff\xc0") + 2:][:2], "big")
    (folder / "frame_0002.jpg").write_bytes(good[:header_end] + b"\xff\xd9")  # a frame header, then no image
    frames = ros_probe.subscribe(CameraFrames, names.CAMERA_FRAMES, qos.LATEST)
    telemetry = ros_probe.subscribe(StageStats, names.telemetry_topic("camera"), qos.TELEMETRY)
    with NodeProcess("camera_pkg", "camera_node", {"source": f"folder:{folder}", "fps": 20.0}) as node:
        frames.wait_for(timeout=20, what="the first frame")
        telemetry.clear()  # counts from a report sent after frames reach us, so every loop counted is seen here
        before = telemetry.wait_for(timeout=10, what="camera telemetry").dropped
        wait_for(lambda: telemetry.latest().dropped >= before + 2, timeout=10,
                 what="the broken frame counted in two more loops")
        levels = {index_for_level(level_of(pixels(m.images[0]))) for m in frames.messages}
        assert levels == {0, 1, 3}, "every other frame published, the broken one never"
        assert node.running()


def test_a_missing_file_stops_the_node_with_a_clear_error(tmp_path):
    missing = tmp_path / "nowhere.avi"
    node = NodeProcess("camera_pkg", "camera_node", {"source": f"file:{missing}"})
    wait_for(lambda: not node.running(), timeout=20, what="the node to refuse to start")
    output = node.output()  # read before stop(), which closes the log
    assert node.stop() != 0
    assert f"video file '{missing}' does not exist; give an existing file" in output
