"""/inference_pkg/rl_results as DeepRacer Event Manager's video job reads it (from a bag, message by message): the
community InferResultsArray, `compressed_imgmsg_to_cv2(msg.images[0])` as the colour camera frame, the frame rate
from `images[0].header.stamp`, and `len(msg.results)` against the model's action space. Against camera (synthetic
source: no camera device here), inference (real OpenVINO, the generated demo model), navigation, servo and
compat_node started by our launcher, over real DDS; and nothing is subscribed for it without a reader.
"""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from deepracer_common_pkg import names, qos
from deepracer_interfaces_pkg.msg import InferResultsArray
from support.rosgraph import wait_for, wait_for_any
from support.stack import LaunchedStack, drive_autonomously, installed_model_dir, temp_data_dir

STARTUP_S = 90.0
FPS = 15
DISPLAY = (640, 480)  # camera_node.display_width x display_height, the defaults: the capture size


@pytest.fixture(scope="module")
def stack():
    launched = LaunchedStack(temp_data_dir(), only="servo_node,camera_node,inference_node,navigation_node,compat_node",
                             sets=["camera_node.source=synthetic", f"camera_node.fps={FPS}"])
    yield launched
    if launched.process.poll() is None:
        launched.stop()


def compressed_imgmsg_to_cv2(message) -> np.ndarray:
    """What cv_bridge's function of that name does with its default 'passthrough': the bytes decoded as they are."""
    return cv2.imdecode(np.frombuffer(bytes(message.data), np.uint8), cv2.IMREAD_UNCHANGED)


def compat_reads_the_camera(probe) -> bool:
    return any(info.node_name == "compat_node" for info in probe.node.get_subscriptions_info_by_topic(
        names.CAMERA_DISPLAY))


def test_rl_results_carry_the_colour_camera_frame_as_drems_video_job_decodes_it(stack, ros_probe):
    model = installed_model_dir(stack, STARTUP_S)
    actions = len(json.loads((model / "model_metadata.json").read_text())["action_space"])
    wait_for(lambda: any(i.node_name == "compat_node" for i in ros_probe.node.get_publishers_info_by_topic(
        names.ORIGINAL_RL_RESULTS)), STARTUP_S, lambda: f"compat_node up\n{stack.output()[-2000:]}")
    # No reader, no work: not even a subscription, over a window longer than compat_node's 1 s reader check.
    assert ros_probe.node.count_subscribers(names.ORIGINAL_RL_RESULTS) == 0, "a reader left by another test"
    assert ros_probe.node.count_subscribers(names.ORIGINAL_CAMERA_DISPLAY) == 0, "a reader left by another test"
    assert not wait_for_any(lambda: compat_reads_the_camera(ros_probe), 1.5)

    drive_autonomously(ros_probe, model, max_speed=0.0, timeout=STARTUP_S)  # the policy runs; the car stays still
    rl_results = ros_probe.subscribe(InferResultsArray, names.ORIGINAL_RL_RESULTS, qos.LATEST)
    rl_results.wait_for(lambda m: len(rl_results.messages) >= 10, 30,
                        lambda: f"ten rl_results\n{stack.output()[-2000:]}")
    messages = rl_results.messages
    for message in messages:
        assert len(message.results) == actions
        frame = compressed_imgmsg_to_cv2(message.images[0])
        assert frame.shape == (DISPLAY[1], DISPLAY[0], 3), frame.shape  # the camera's picture, not the policy's
        blue, green, red = (frame[:, :, c].astype(int) for c in range(3))
        assert np.abs(red - blue).mean() > 5 or np.abs(green - blue).mean() > 5, "a grey picture"
    stamps = [m.images[0].header.stamp.sec + m.images[0].header.stamp.nanosec * 1e-9 for m in messages]
    gaps = np.diff(stamps)
    assert (gaps > 0).all()
    assert 0.5 / FPS < np.median(gaps) < 2.5 / FPS  # the video job's frame rate: the camera's, a frame or two apart

    ros_probe.node.destroy_subscription(rl_results.subscription)
    wait_for(lambda: not compat_reads_the_camera(ros_probe), 10, "compat_node leaving the camera stream")
