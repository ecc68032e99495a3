"""Test-session isolation: every test and every node process it starts stays on loopback, in a
ROS domain of its own, and logs into a temporary folder (set before anything imports rclpy)."""

from __future__ import annotations

import os
import tempfile
import time

from support.ros_env import isolate_ros_environment

isolate_ros_environment(os.environ, log_dir=tempfile.mkdtemp(prefix="deepracer-test-ros-log-"))

import pytest  # noqa: E402

from support.rosgraph import RosProbe  # noqa: E402
from support.stall_watch import StallWatch  # noqa: E402

_session_probe: list[RosProbe] = []  # the session's probe once a test asked for it


@pytest.fixture(scope="session")
def ros_probe():
    """A test-side node, spun in a background thread, to watch topics and call services."""
    probe = RosProbe()
    _session_probe.append(probe)
    yield probe
    _session_probe.clear()
    probe.close()


@pytest.fixture(scope="module", autouse=True)
def probe_readers_end_with_their_module():
    """The session probe's subscriptions and publishers made during a module go with it (RosProbe.release says
    why); torn down after the module's own fixtures, so its stack is stopped first."""
    mark = _session_probe[0].mark() if _session_probe else 0
    yield
    if _session_probe:
        _session_probe[0].release(mark)


_stall_watch = StallWatch()
_started = pytest.StashKey[float]()


def pytest_sessionstart(session) -> None:
    _stall_watch.start()


def pytest_sessionfinish(session, exitstatus) -> None:
    _stall_watch.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    item.stash[_started] = time.monotonic()
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test says whether the machine stalled while it ran (support/stall_watch.py says why)."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.when == "call":
        stalls = _stall_watch.since(item.stash.get(_started, 0.0))
        if stalls:
            report.sections.append(("machine stalls during this test", "\n".join(map(str, stalls))))
