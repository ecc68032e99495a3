"""The capture thread with scripted cameras: immediate hand-over, loss reported, retries with backoff,
recovery, end of a file, and stopping. Scripted cameras stand in for a USB camera that can be unplugged,
which cannot exist on this machine."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

from camera_pkg.capture import CaptureThread
from camera_pkg.sources import Rig, SourceEnded, SourceError
from camera_pkg.timing import Backoff
from support.rosgraph import wait_for


class ScriptedCamera:
    """Delivers numbered frames at `fps`; can be made to fail, to hang, or to end."""

    def __init__(self, fps: float = 200.0) -> None:
        self.name = "scripted"
        self.native_fps = fps
        self.frames = 0
        self.failing = threading.Event()
        self.ending = threading.Event()
        self.running = threading.Event()
        self.running.set()
        self.blocked = threading.Event()

    def grab(self) -> None:
        if not self.running.is_set():
            self.blocked.set()
        self.running.wait()
        if self.failing.is_set():
            raise SourceError("scripted camera stopped delivering")
        if self.ending.is_set():
            raise SourceEnded("scripted file ended")
        self.frames += 1

    def retrieve(self) -> np.ndarray:
        return np.full((4, 6, 3), self.frames % 256, np.uint8)

    def close(self) -> None:
        pass


class RecordingBackoff(Backoff):
    def __init__(self) -> None:
        super().__init__(0.01, 0.04)
        self.delays: list[float] = []

    def next_delay(self) -> float:
        delay = super().next_delay()
        self.delays.append(delay)
        return delay


class Plug:
    """open_rig for the capture thread: fails while unplugged, and counts attempts."""

    def __init__(self, camera: ScriptedCamera, cameras: int = 1) -> None:
        self.camera = camera
        self.cameras = cameras
        self.plugged = threading.Event()
        self.plugged.set()
        self.attempts = 0

    def __call__(self) -> Rig:
        self.attempts += 1
        if not self.plugged.is_set():
            raise SourceError("camera /dev/video0 not found")
        return Rig([self.camera] * self.cameras)


@pytest.fixture
def run_capture():
    threads: list[CaptureThread] = []

    def start(plug: Plug, **kwargs) -> CaptureThread:
        kwargs.setdefault("fps", 200.0)
        kwargs.setdefault("loss_timeout_s", 0.5)
        capture = CaptureThread(plug, source="scripted", **kwargs)
        threads.append(capture)
        capture.start()
        return capture

    yield start
    for capture in threads:
        assert capture.stop(), "the capture thread did not stop"


class Received:
    """Captures handed over, as the node gets them: on the capture thread."""

    def __init__(self) -> None:
        self.captures: list = []
        self.threads: set[str] = set()

    def __call__(self, capture) -> None:
        self.threads.add(threading.current_thread().name)
        self.captures.append(capture)


def test_every_capture_is_handed_over_at_once_on_the_capture_thread(run_capture):
    camera = ScriptedCamera()
    received = Received()
    run_capture(Plug(camera), on_capture=received)
    wait_for(lambda: len(received.captures) >= 20, what="20 captures")
    captures = received.captures[:20]
    assert [c.sequence for c in captures] == list(range(1, 21)), "none skipped, none queued twice"
    assert all(b.stamp_ns > a.stamp_ns and b.monotonic_s > a.monotonic_s for a, b in itertools.pairwise(captures))
    assert captures[0].frames[0].shape == (4, 6, 3)
    assert received.threads == {"camera-capture"}


def test_health_while_delivering(run_capture):
    capture = run_capture(Plug(ScriptedCamera()))
    health = wait_for(lambda: (h := capture.health()).connected and h, what="connected")
    assert (health.width, health.height, health.stereo, health.error) == (6, 4, False, "")
    assert health.source == "scripted"


def test_stereo_rig_is_reported(run_capture):
    received = Received()
    capture = run_capture(Plug(ScriptedCamera(), cameras=2), on_capture=received)
    health = wait_for(lambda: (h := capture.health()).connected and h, what="connected")
    assert health.stereo and health.source == "scripted+scripted"
    assert len(wait_for(lambda: received.captures, what="a capture")[0].frames) == 2


def test_a_camera_that_fails_is_reported_retried_with_backoff_and_resumes(run_capture):
    camera = ScriptedCamera()
    plug = Plug(camera)
    backoff = RecordingBackoff()
    capture = run_capture(plug, backoff=backoff)
    wait_for(lambda: capture.health().connected, what="connected")
    plug.plugged.clear()
    camera.failing.set()
    health = wait_for(lambda: (h := capture.health()).error and h, what="the loss reported")
    assert not health.connected
    assert "stopped delivering" in health.error or "not found" in health.error
    wait_for(lambda: len(backoff.delays) >= 5, what="five retries")
    assert backoff.delays[:5] == [0.01, 0.02, 0.04, 0.04, 0.04], "each retry waits, doubling: no busy loop"
    assert "camera /dev/video0 not found; retrying" in capture.health().error
    camera.failing.clear()
    plug.plugged.set()
    frames_before = camera.frames
    wait_for(lambda: capture.health().connected and camera.frames > frames_before + 5, what="recovery")
    assert capture.health().error == ""
    attempts = plug.attempts
    wait_for(lambda: camera.frames > frames_before + 50, what="frames after recovery")
    assert plug.attempts == attempts, "no reopening while the camera delivers"


def test_a_camera_that_hangs_is_reported_lost_after_the_loss_timeout(run_capture):
    camera = ScriptedCamera()
    received = Received()
    capture = run_capture(Plug(camera), loss_timeout_s=0.5, on_capture=received)
    wait_for(lambda: capture.health().connected, what="connected")
    camera.running.clear()  # grab() now blocks, as a device read can
    wait_for(camera.blocked.is_set, what="the capture thread blocked in grab()")
    last = received.captures[-1].monotonic_s
    frozen = capture.health(now=last + 0.4)
    assert frozen.connected, "a frame gap shorter than the loss timeout is not a loss"
    lost = capture.health(now=last + 0.6 + 0.01)
    assert not lost.connected and "no frame from scripted for" in lost.error
    camera.running.set()
    wait_for(lambda: capture.health().connected, what="connected again")


def test_an_unopenable_source_keeps_being_retried_and_says_why(run_capture):
    plug = Plug(ScriptedCamera())
    plug.plugged.clear()
    capture = run_capture(plug, backoff=RecordingBackoff())
    # Until its first attempt the camera is only "waiting for the first frame"; then it says why it cannot open.
    health = wait_for(lambda: (h := capture.health()).error.endswith("retrying") and h, what="the error")
    assert health.error == "camera /dev/video0 not found; retrying" and not health.connected
    wait_for(lambda: plug.attempts >= 3, what="retries")


def test_the_end_of_a_file_is_reported_as_finished_and_capture_stops(run_capture):
    camera = ScriptedCamera()
    capture = run_capture(Plug(camera))
    wait_for(lambda: capture.health().connected, what="connected")
    camera.ending.set()
    health = wait_for(lambda: (h := capture.health()).finished and h, what="finished")
    assert not health.connected and health.error == "scripted file ended"


def test_stop_interrupts_a_backoff_wait(run_capture):
    plug = Plug(ScriptedCamera())
    plug.plugged.clear()
    capture = run_capture(plug, backoff=Backoff(30.0, 60.0))
    wait_for(lambda: plug.attempts == 1, what="the first attempt")
    assert capture.stop(timeout=2.0), "stop must not wait out a 30 s backoff"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_internal_error_ends_capture_visibly(run_capture):
    def broken() -> Rig:
        raise RuntimeError("bug")

    capture = CaptureThread(broken, fps=15.0, loss_timeout_s=0.5, source="scripted")
    capture.start()
    health = wait_for(lambda: (h := capture.health()).finished and h, what="finished")
    assert "internal error" in health.error and "bug" in health.error
    assert capture.stop()


def test_while_nobody_needs_the_pixels_it_is_asked_once_a_recheck_period_and_on_every_capture_once_needed(
        run_capture):
    """The capture's own clock is the camera's frame count (10 ms a frame), so the period is counted in frames."""
    camera = ScriptedCamera()
    asked: list[int] = []
    needed = threading.Event()

    def wanted() -> bool:
        asked.append(camera.frames)
        return needed.is_set()

    received = Received()
    asks_at_capture: list[int] = []

    def on_capture(capture) -> None:
        asks_at_capture.append(len(asked))
        received(capture)

    run_capture(Plug(camera), on_capture=on_capture, wanted=wanted, recheck_unwanted_s=0.1,
                clock=lambda: camera.frames / 100)
    wait_for(lambda: camera.frames >= 80, what="80 frames grabbed")
    unwanted = list(asked)
    grabbed = camera.frames
    assert len(received.captures) == 1, "only the first, which tells the size"
    assert 6 <= len(unwanted) <= grabbed / 10 + 1, f"asked {len(unwanted)} times in {grabbed} frames, not once each 10"
    assert all(b - a >= 10 for a, b in itertools.pairwise(unwanted))
    asked_before = camera.frames
    needed.set()
    wait_for(lambda: len(received.captures) >= 12, what="captures once needed")
    first_needed = received.captures[1]
    assert first_needed.monotonic_s <= (asked_before + 11) / 100, "handed on within one recheck period"
    assert all(b - a == 1 for a, b in itertools.pairwise(asks_at_capture[1:12])), "asked on every capture"
    needed.clear()
    handed = len(received.captures)
    asked_then = len(asked)
    wait_for(lambda: len(asked) >= asked_then + 2, what="asked again")
    assert len(received.captures) <= handed + 1, "a reader that goes is noticed on the next capture"
