"""The real camera node process on the synthetic source, watched over real DDS: policy frames, rate,
stamps, status, the display stream and the video toggle. (The synthetic source stands in for the USB
camera, which cannot exist on this machine.)"""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest
from sensor_msgs.msg import CompressedImage
from std_srvs.srv import SetBool

from deepracer_common_pkg import names, picture_link, qos
from deepracer_common_pkg.car_clock import boot_ns
from deepracer_common_pkg.stamps import to_ns
from deepracer_interfaces_pkg.msg import CameraFrames, CameraStatus, StageStats
from support.rosgraph import NodeProcess, wait_for

FPS = 15.0
DISPLAY = (320, 240)


@pytest.fixture(scope="module")
def node():
    process = NodeProcess("camera_pkg", "camera_node", {
        "source": "synthetic", "fps": FPS, "display_width": DISPLAY[0], "display_height": DISPLAY[1],
        "display_quality": 70,
    })
    yield process
    assert process.stop() == 0, process.output()


@pytest.fixture(scope="module")
def frames(node, ros_probe):
    collector = ros_probe.subscribe(CameraFrames, names.CAMERA_FRAMES, qos.LATEST)
    collector.wait_for(timeout=20, what="the first policy frames")
    return collector


def set_video(ros_probe, on: bool) -> None:
    response = ros_probe.call(SetBool, names.CAMERA_MEDIA_STATE, SetBool.Request(data=on))
    assert response.success


def test_policy_frames_are_mono8_160x120_stamped_at_capture(frames):
    frames.clear()
    message = frames.wait_for(what="a policy frame")
    received_ns = boot_ns()
    assert len(message.images) == 1
    image = message.images[0]
    assert (image.encoding, image.width, image.height, image.step) == ("mono8", 160, 120, 160)
    assert len(image.data) == 160 * 120
    pixels = np.frombuffer(bytes(image.data), np.uint8)
    assert pixels.max() > 200 and pixels.min() < 80, "a track view, not a blank frame"
    assert 0 < received_ns - to_ns(message.header.stamp) < 1_000_000_000, "stamped with ROS (system) time"
    assert image.header.stamp == message.header.stamp


def test_rate_within_ten_percent_with_increasing_stamps(frames):
    frames.clear()
    wait_for(lambda: len(frames.messages) >= 3 * FPS, timeout=10, what="three seconds of frames")
    received = frames.messages
    stamps = [to_ns(m.header.stamp) for m in received]
    sequences = [m.sequence for m in received]
    assert all(b > a for a, b in itertools.pairwise(stamps)), "stamps increase"
    assert all(b > a for a, b in itertools.pairwise(sequences))
    # The node's own publishing rate: published count over the capture-time span (robust to a lost datagram).
    rate = (sequences[-1] - sequences[0]) / ((stamps[-1] - stamps[0]) / 1e9)
    assert rate == pytest.approx(FPS, rel=0.10)


def test_status_says_what_the_console_shows(frames, ros_probe):
    status = ros_probe.subscribe(CameraStatus, names.CAMERA_STATUS, qos.LATCHED)
    latest = status.wait_for(lambda s: s.connected and s.fps > 0, what="a connected status with fps")
    assert (latest.stereo, latest.width, latest.height, latest.source, latest.error) == (
        False, 640, 480, "synthetic", "")
    assert latest.fps == pytest.approx(FPS, rel=0.15)


def test_display_stream_is_jpeg_at_the_asked_size(frames, ros_probe):
    set_video(ros_probe, True)
    display = ros_probe.subscribe(CompressedImage, names.CAMERA_DISPLAY, qos.LATEST)
    message = display.wait_for(what="a display frame")
    assert message.format == "jpeg"
    decoded = cv2.imdecode(np.frombuffer(bytes(message.data), np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and (decoded.shape[1], decoded.shape[0]) == DISPLAY
    assert decoded.std() > 10, "the track view, in colour"


def test_display_pictures_go_to_the_console_on_the_local_link_while_it_is_connected(frames, ros_probe):
    """Issue 23: the console of the same car takes the display pictures on a local socket (picture_link); the test
    stands in for it, while a DDS reader of the topic is there too (the earlier tests')."""
    set_video(ros_probe, True)
    pictures: list[bytes] = []
    console = picture_link.PictureReceiver(
        picture_link.address(ros_probe.node.context.get_domain_id(), "/camera_node"), pictures.append,
        lambda up: None, pytest.fail)
    try:
        wait_for(lambda: len(pictures) >= 3, 15, "display pictures on the local link")
    finally:
        console.close()
    decoded = cv2.imdecode(np.frombuffer(pictures[-1], np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and (decoded.shape[1], decoded.shape[0]) == DISPLAY


def test_video_toggle_stops_and_restarts_the_display(frames, ros_probe):
    display = ros_probe.subscribe(CompressedImage, names.CAMERA_DISPLAY, qos.LATEST)
    status = ros_probe.subscribe(CameraStatus, names.CAMERA_STATUS, qos.LATCHED)
    display.wait_for(what="display frames while video is on")
    set_video(ros_probe, False)
    status.wait_for(lambda s: not s.video_on, what="status video_on false")
    frames.clear()
    first_after = to_ns(frames.wait_for(what="a policy frame after switching off").header.stamp)
    wait_for(lambda: len(frames.messages) >= 10, what="ten more policy frames")
    assert not [m for m in display.messages if to_ns(m.header.stamp) >= first_after], \
        "no display frame while video is off (policy frames go on)"
    set_video(ros_probe, True)
    status.wait_for(lambda s: s.video_on and s is status.latest(), what="status video_on true")
    display.wait_for(lambda m: to_ns(m.header.stamp) > first_after, what="display frames again")


def test_telemetry_reports_rate_and_capture_to_publish_latency(frames, ros_probe):
    telemetry = ros_probe.subscribe(StageStats, names.telemetry_topic("camera"), qos.TELEMETRY)
    stats = telemetry.wait_for(lambda s: s.count > 30, what="camera telemetry")
    assert stats.stage == "camera"
    assert stats.rate_hz == pytest.approx(FPS, rel=0.15)
    assert 0 < stats.latency_p50_ms <= stats.latency_p95_ms
