"""The capture thread with scripted cameras: immediate hand-over, loss reported, retries with backoff,
recovery, end of a file, and stopping. Scripted cameras stand in for a USB camera that can be unplugged,
which cannot exist on this machine."""

from __future__ import annotations

import itertools
import threading
import time

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


class QueuedCamera:
    """A USB camera as V4L2 and OpenCV's reader hold it (what cannot exist here): frames arrive on the camera's own
    clock every 1/fps s into the driver's free buffers (`queue`; three on the car: OpenCV's four, less the one the
    reader holds) and are lost while all are full; a grab takes the oldest, or waits for the next one when none is
    queued. With `stamps`, each frame carries the driver's stamp (frame_age_s): `lag_s` before it arrived, as
    uvcvideo stamps where a frame began; without, its age is unknown. `held_up_s`: every grab takes that long even
    when a frame is queued (the capture thread held up by other work)."""

    native_fps = None

    def __init__(self, fps: float, *, stamps: bool = True, queue: int = 3, lag_s: float = 0.0,
                 held_up_s: float = 0.0) -> None:
        self.name = "queued"
        self.period = 1.0 / fps
        self.stamps = stamps
        self.capacity = queue
        self.lag_s = lag_s
        self.held_up_s = held_up_s
        self.start = time.monotonic()
        self.arrived = 0  # frames the camera sent
        self.queue: list[tuple[int, float]] = []  # (number, arrival time)
        self.lost = 0
        self.grabs = 0
        self.waits = 0  # grabs that found no queued frame and waited for the next one
        self.taken: tuple[int, float] | None = None

    def arrival(self, number: int) -> float:
        return self.start + number * self.period

    def _arrive(self, now: float) -> None:
        while self.arrival(self.arrived) <= now:
            if len(self.queue) < self.capacity:
                self.queue.append((self.arrived, self.arrival(self.arrived)))
            else:
                self.lost += 1
            self.arrived += 1

    def grab(self) -> None:
        self._arrive(time.monotonic())
        if self.held_up_s:
            time.sleep(self.held_up_s)
        if not self.queue:
            self.waits += 1
            time.sleep(max(0.0, self.arrival(self.arrived) - time.monotonic()))
        self._arrive(time.monotonic())
        self.taken = self.queue.pop(0)
        self.grabs += 1

    def frame_age_s(self) -> float | None:
        return time.monotonic() - (self.taken[1] - self.lag_s) if self.stamps and self.taken else None

    def retrieve(self) -> np.ndarray:
        return np.full((4, 6, 3), self.taken[0] % 256, np.uint8)

    def close(self) -> None:
        pass


def test_an_idle_capture_takes_what_the_camera_queued_in_one_look_and_loses_no_frame(run_capture):
    """Nobody needs the pixels: the capture thread looks at the camera every 2.5 frames instead of waiting on each
    (the wake-ups were most of an idle car's capture cost), takes every frame queued meanwhile, and so still knows
    the camera's rate. The camera stamps frames where they began, as uvcvideo does; five buffers here (three on the
    car) leave this test room for a slow machine's late wake-ups."""
    camera = QueuedCamera(fps=10, queue=5, lag_s=0.06)
    capture = run_capture(Plug(camera), fps=10.0, wanted=lambda: False, recheck_unwanted_s=0.25)
    wait_for(lambda: camera.arrived >= 25, what="2.5 s of frames")
    assert camera.waits <= 3, f"{camera.waits} of {camera.grabs} grabs waited for their frame: one look per frame"
    assert camera.lost == 0, "a look comes before the camera's buffers are full"
    assert camera.grabs >= camera.arrived - camera.capacity - 1, "every frame is taken"
    assert 8.0 <= capture.health().fps <= 12.0, "the status keeps the camera's rate"


def test_an_idle_paced_source_is_looked_at_as_a_camera_is(run_capture):
    """A folder or the synthetic track (paced here, no queue) idles as a device does: the frames of the ticks that
    passed are taken together, so the benchmark's stand-in for the car's camera costs what the camera costs."""
    camera = ScriptedCamera(fps=50.0)
    grabbed_at: list[float] = []
    grab = camera.grab
    camera.grab = lambda: (grab(), grabbed_at.append(time.monotonic()))[0]
    capture = run_capture(Plug(camera), fps=50.0, wanted=lambda: False, recheck_unwanted_s=0.1)
    wait_for(lambda: len(grabbed_at) >= 60, what="60 frames")
    start = grabbed_at[10]
    span = grabbed_at[-1] - start
    assert len(grabbed_at) - 11 >= 50 * span - 10, "every tick's frame is taken"
    together = sum(1 for a, b in itertools.pairwise(grabbed_at[10:]) if b - a < 0.005)
    assert together >= (len(grabbed_at) - 11) / 3, "taken in looks of several frames, not one wake-up each"
    assert 40.0 <= capture.health().fps <= 60.0


@pytest.mark.parametrize(("camera_kwargs", "stale_periods"), [
    ({"lag_s": 0.06}, 1), ({"stamps": False}, 1), ({"held_up_s": 0.03}, 2)],
    ids=["stamped where the frame began", "unstamped", "stamped, the capture thread held up"])
def test_a_start_after_idling_hands_on_a_new_frame_not_one_the_camera_queued(run_capture, camera_kwargs,
                                                                            stale_periods):
    """The frame handed on at a Start is at most a period old (two when every grab seems to wait, as when the
    capture thread is held up: then the stamps decide), and it comes within a nap and two frames."""
    camera = QueuedCamera(fps=10, queue=5, **camera_kwargs)
    needed = threading.Event()
    received = Received()
    handed_at: list[float] = []

    def on_capture(capture) -> None:
        handed_at.append(time.monotonic())
        received(capture)

    run_capture(Plug(camera), fps=10.0, on_capture=on_capture, wanted=needed.is_set, recheck_unwanted_s=0.25)
    wait_for(lambda: camera.arrived >= 12, what="idle for a while")
    started = time.monotonic()
    needed.set()
    wait_for(lambda: len(received.captures) >= 4, what="captures once needed")
    assert handed_at[1] - started <= 0.25 + 2 * camera.period + 0.15, "handed on within a nap and two frames"
    first = int(received.captures[1].frames[0][0, 0, 0])
    age = handed_at[1] - camera.arrival(first)
    assert age < stale_periods * camera.period + 0.05, f"frame {first} handed on {age:.3f} s after it arrived"
    numbers = [int(c.frames[0][0, 0, 0]) for c in received.captures[1:4]]
    if stale_periods == 1:
        assert numbers == list(range(numbers[0], numbers[0] + 3)), "then every frame, in order"
    else:  # the frame queued behind the one handed on comes at once: the rate keeper passes it by
        assert numbers == sorted(set(numbers)), "then frames in order"


def test_while_nobody_needs_the_pixels_it_is_asked_once_a_look_and_on_every_capture_once_needed(run_capture):
    camera = ScriptedCamera(fps=100.0)
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

    run_capture(Plug(camera), fps=100.0, on_capture=on_capture, wanted=wanted, recheck_unwanted_s=0.1)
    wait_for(lambda: camera.frames >= 80, what="80 frames grabbed")
    unwanted = list(asked)
    grabbed = camera.frames
    assert len(received.captures) == 1, "only the first, which tells the size"
    assert len(unwanted) <= grabbed / 2 + 1, f"asked {len(unwanted)} times in {grabbed} frames, not once each"
    needed.set()
    wait_for(lambda: len(received.captures) >= 12, what="captures once needed")
    assert all(b - a == 1 for a, b in itertools.pairwise(asks_at_capture[1:12])), "asked on every capture"
    needed.clear()
    handed = len(received.captures)
    asked_then = len(asked)
    wait_for(lambda: len(asked) >= asked_then + 2, what="asked again")
    assert len(received.captures) <= handed + 1, "a reader that goes is noticed on the next capture"
