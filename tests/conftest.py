"""Test-session isolation: every test and every node process it starts stays on loopback, in a
ROS domain of its own, and logs into a temporary folder (set before anything imports rclpy)."""

from __future__ import annotations

import os
import tempfile

from support.ros_env import isolate_ros_environment

isolate_ros_environment(os.environ, log_dir=tempfile.mkdtemp(prefix="deepracer-test-ros-log-"))

import pytest  # noqa: E402

from support.rosgraph import RosProbe  # noqa: E402


@pytest.fixture(scope="session")
def ros_probe():
    """A test-side node, spun in a background thread, to watch topics and call services."""
    probe = RosProbe()
    yield probe
    probe.close()
