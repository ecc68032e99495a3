"""Camera loss and recovery in the real node: the image folder it reads (a stand-in for a USB camera,
which cannot exist here) disappears, then comes back."""

from __future__ import annotations

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.stamps import to_ns
from deepracer_interfaces_pkg.msg import CameraFrames, CameraStatus
from support.rosgraph import NodeProcess

LOSS_REPORT_S = 1.0  # the promise: a lost camera is reported within one second


def test_a_source_that_disappears_is_reported_and_resumes_when_back(write_folder, ros_probe):
    folder = write_folder("camera", images=5)
    away = folder.with_name("camera-unplugged")
    frames = ros_probe.subscribe(CameraFrames, names.CAMERA_FRAMES, qos.LATEST)
    status = ros_probe.subscribe(CameraStatus, names.CAMERA_STATUS, qos.LATCHED)
    with NodeProcess("camera_pkg", "camera_node", {"source": f"folder:{folder}", "fps": 15.0}) as node:
        status.wait_for(lambda s: s.connected, timeout=20, what="connected")
        frames.wait_for(what="frames")
        status.clear()
        folder.rename(away)
        lost = status.wait_for(lambda s: not s.connected, timeout=LOSS_REPORT_S, what="the loss reported")
        assert str(folder) in lost.error and "retrying" in lost.error
        last_before = max(to_ns(m.header.stamp) for m in frames.messages)
        away.rename(folder)
        status.wait_for(lambda s: s.connected and s.error == "", timeout=10, what="connected again")
        frames.wait_for(lambda m: to_ns(m.header.stamp) > last_before, what="frames again")
        assert node.running()
