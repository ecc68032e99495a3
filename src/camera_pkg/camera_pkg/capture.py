"""The capture thread: keeps a rig delivering, hands each capture on at once, and knows the camera's health.

Each capture is handed to `on_capture` on this thread, the moment it is retrieved: a hop to another
thread would cost a wake-up (0.2 ms here) on every frame's path to the policy, and nothing waits in a
queue. The executor is not involved, so a busy executor cannot delay or stall capture either.

Failures: a camera that cannot be opened or stops delivering is closed and retried with a doubling
delay (no busy loop); `health()` reports a camera as lost as soon as no frame arrived for
`loss_timeout_s`, even while the thread is still blocked waiting on the device.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from camera_pkg.frames import Frame, frame_size
from camera_pkg.sources import Rig, SourceEnded, SourceError
from camera_pkg.timing import Backoff, Pacer
from deepracer_common_pkg.rate_keeper import RateKeeper
from deepracer_common_pkg.telemetry import StageWindow
from deepracer_common_pkg.thread_names import name_this_thread

SHORT_NAP_S = 0.1  # a paced source's wait longer than this (a slow folder) stays interruptible at once
# While nobody needs the pixels, the capture naps and then takes every frame the camera queued meanwhile, instead of
# waking for each: an idle car's capture cost was its wake-ups, 30 a second (issue 23). A nap lasts at most this many
# frames: OpenCV's V4L2 reader keeps 4 buffers and holds one (modules/videoio/src/cap_v4l.cpp), so the driver queues
# 3 frames before it loses one; half a frame is left for a late wake-up.
IDLE_NAP_FRAMES = 2.5
MOST_QUEUED = 4  # a device's look takes at most one frame more than this, whatever its stamps say
WAITED_FRACTION = 0.25  # a grab that took this part of a frame period waited for a new frame: none was queued


@dataclass(frozen=True)
class Capture:
    """Frames of one capture (left first) and when the left one arrived."""

    sequence: int
    stamp_ns: int  # the stack's clock (deepracer_common_pkg.stack_clock): the car's boot clock, or simulated time
    monotonic_s: float
    frames: tuple[Frame, ...]


@dataclass(frozen=True)
class Health:
    connected: bool
    finished: bool
    stereo: bool
    width: int
    height: int
    source: str
    error: str
    fps: float = 0.0  # captures the camera delivered, read or not


class CaptureThread:
    """Runs `open_rig()` (called again on every retry, so auto-detection probes again) in a thread."""

    def __init__(self, open_rig: Callable[[], Rig], *, fps: float, loss_timeout_s: float, source: str,
                 on_capture: Callable[[Capture], None] = lambda capture: None,
                 wanted: Callable[[], bool] = lambda: True, recheck_unwanted_s: float = 0.0,
                 backoff: Backoff | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock_ns: Callable[[], int] = time.time_ns,
                 pace_clock: Callable[[], float] = time.monotonic) -> None:
        """`clock` (seconds) and `wall_clock_ns` are the stack's clock, which stamps and ages frames; `pace_clock`
        paces the sources without a clock of their own, in real seconds whatever the stack's clock is.
        `wanted()` is asked on every capture while someone needs the pixels (one that goes is noticed at once).
        After a no, with `recheck_unwanted_s` > 0, the capture naps (at most that long, at most IDLE_NAP_FRAMES
        frames), takes the frames queued meanwhile and asks again on the newest: a Start, a viewer or a recording
        gets its first frame up to a nap and a frame later, and a new one, not one the camera queued. With 0 (a
        simulation in lockstep, whose time stands still while the stack thinks) it takes every frame as it comes."""
        self._open_rig = open_rig
        self._fps = fps
        self._period = 1.0 / fps
        self._loss_timeout = loss_timeout_s
        self._on_capture = on_capture
        self._wanted = wanted
        self._idle_nap_s = min(recheck_unwanted_s, IDLE_NAP_FRAMES / fps)
        self._stamp_lag_s: float | None = None  # the least age of a device's frame that was new when grabbed
        self._backoff = backoff or Backoff()
        self._clock = clock
        self._wall_clock_ns = wall_clock_ns
        self._pace_clock = pace_clock
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run_reporting_bugs, name="camera-capture", daemon=True)
        self._sequence = 0
        # Guarded by _lock:
        self._source = source
        self._stereo = False
        self._size = (0, 0)
        self._delivered = StageWindow("camera-capture", clock=clock)
        self._last_frame: float | None = None
        self._problem = ""
        self._finished = False

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> bool:
        """Ask the thread to end; True when it did within `timeout` (a device read can hold it ~1 s)."""
        self._stopping.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def health(self, now: float | None = None) -> Health:
        now = self._clock() if now is None else now
        with self._lock:
            age = None if self._last_frame is None else now - self._last_frame
            connected = not self._finished and age is not None and age <= self._loss_timeout and not self._problem
            if self._problem or self._finished:
                error = self._problem
            elif age is None:
                error = f"waiting for the first frame from {self._source}"
            elif age > self._loss_timeout:
                error = f"no frame from {self._source} for {age:.1f} s"
            else:
                error = ""
            return Health(connected, self._finished, self._stereo, self._size[0], self._size[1],
                          self._source, error, self._delivered.snapshot().rate_hz if connected else 0.0)

    def _now(self) -> tuple[float, int]:
        return self._clock(), self._wall_clock_ns()

    def _report(self, problem: str, *, finished: bool = False) -> None:
        with self._lock:
            self._problem = problem
            self._finished = finished

    def _run_reporting_bugs(self) -> None:
        """A failure that is not a camera's (a bug) ends capture, but visibly in the status, not silently."""
        name_this_thread("camera-capture")  # the frame path: inference and navigation run on it too
        try:
            self._run()
        except Exception as error:
            self._report(f"capture stopped by an internal error: {error!r}", finished=True)
            raise

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                rig = self._open_rig()
            except SourceError as error:
                self._report(f"{error}; retrying")
                self._stopping.wait(self._backoff.next_delay())
                continue
            with self._lock:
                self._source = rig.description
                self._stereo = rig.stereo
            try:
                self._capture_from(rig)
            except SourceEnded as end:
                self._report(str(end), finished=True)
                return
            except SourceError as error:
                self._report(f"{error}; retrying")
                self._stopping.wait(self._backoff.next_delay())
            finally:
                rig.close()

    def _nap(self, seconds: float) -> bool:
        """A paced source's wait for its next frame; True when the capture is stopping. A frame's wait is a plain
        sleep, as a camera's blocking read is: an interruptible Event.wait cost 124 us of CPU against sleep's 78 here,
        30 times a second, also on an idle car (issue 23); a stop then waits at most that one frame."""
        if seconds > SHORT_NAP_S:
            return self._stopping.wait(seconds)
        time.sleep(seconds)
        return self._stopping.is_set()

    def _grab(self, rig: Rig) -> tuple[float, int]:
        monotonic_s, stamp_ns = rig.grab(self._now)
        with self._lock:
            self._last_frame = monotonic_s
            self._problem = ""
        return monotonic_s, stamp_ns

    def _capture_from(self, rig: Rig) -> None:
        pacer = None if rig.native_fps is None else Pacer(rig.native_fps, clock=self._pace_clock, sleep=self._nap)
        keeper = RateKeeper(self._fps)
        self._stamp_lag_s = None
        idle = False
        while not self._stopping.is_set():
            if idle:
                if self._nap(self._idle_nap_s):
                    return
                grabbed = self._look(rig, pacer, keeper)
                if grabbed is None:
                    continue
            else:
                if pacer is not None and not pacer.wait():
                    return
                grabbed = self._grab(rig)
                if not keeper.due(grabbed[0]):
                    continue
                self._delivered.record(0.0)
            if self._size != (0, 0) and not self._wanted():
                idle = self._idle_nap_s > 0
                continue  # nobody needs its pixels: nap, then take what the camera queued meanwhile
            if idle:  # the schedule starts again at this frame: no second one a source's period after it
                keeper = RateKeeper(self._fps)
                keeper.due(grabbed[0])
            idle = False
            monotonic_s, stamp_ns = grabbed
            frames = rig.retrieve()
            self._backoff.reset()
            with self._lock:
                self._size = frame_size(frames[0])
            self._sequence += 1
            self._on_capture(Capture(self._sequence, stamp_ns, monotonic_s, frames))

    def _look(self, rig: Rig, pacer: Pacer | None, keeper: RateKeeper) -> tuple[float, int] | None:
        """After an idle nap: take every frame the camera delivered meanwhile, each counted in the camera's rate as
        while driving, and return the newest's times (None when none came)."""
        if pacer is None:
            return self._look_at_device(rig, keeper)
        grabbed = None
        for age in pacer.ticks_passed(max(MOST_QUEUED, math.ceil(2 * self._idle_nap_s * pacer.fps))):
            if self._stopping.is_set():
                return None
            grabbed = self._grab(rig)
            if keeper.due(grabbed[0] - age):
                self._delivered.record(0.0)
        return grabbed

    def _look_at_device(self, rig: Rig, keeper: RateKeeper) -> tuple[float, int]:
        """Take a device's queue up to a new frame. By the driver's stamp when there is one: uvcvideo stamps a frame
        where it began (V4L2_BUF_FLAG_TSTAMP_SRC_SOE), so a new frame is already a little old (the lag, learnt from
        grabs that waited; at most a period, as a camera sends a frame within its period) and a queued one older by
        a period each; a frame at most a period older than the lag is new. A grab that seemed to wait because the
        thread was held up is judged by its stamp too, so the frame handed on is never more than a period older than
        the newest. Without a stamp, a grab that had to wait got a new frame."""
        for _ in range(MOST_QUEUED + 1):
            began = self._pace_clock()
            grabbed = self._grab(rig)
            waited = self._pace_clock() - began >= WAITED_FRACTION * self._period
            age = rig.frame_age_s()
            if age is None:
                self._delivered.record(0.0)
                if waited:
                    break
                continue
            if keeper.due(grabbed[0] - age):
                self._delivered.record(0.0)
            if waited and (self._stamp_lag_s is None or age < self._stamp_lag_s):
                self._stamp_lag_s = min(age, self._period)
            if self._stamp_lag_s is not None and age <= self._stamp_lag_s + self._period:
                break
        return grabbed
