"""Share one camera subscription among every viewer of the live video.

The first viewer opens the subscription and the last one to leave closes it, so a console nobody
watches costs the camera nothing (it encodes display frames only while subscribed). Each viewer
only ever gets the newest frame: a slow phone skips frames instead of queueing them, and never
slows the car or the other viewers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from importlib.resources import files

Subscribe = Callable[[Callable[[bytes], None]], Callable[[], None]]

BOUNDARY = "frame"
# With no new frame for this long a viewer is sent something anyway, so a closed tab is noticed
# (the write fails) and its thread freed even when the camera is silent.
KEEPALIVE_S = 2.0
# What that something is before the camera's first frame: a valid picture part (16x12, dark grey), never
# bytes in the multipart preamble. Chromium 156 skips one CRLF there; two or more, and it shows no part of
# the stream ever after (measured in a headless Chromium: an empty or a text/plain part breaks it too).
NO_PICTURE = files("webserver_pkg").joinpath("static/no-picture.jpg").read_bytes()


class FrameHub:
    def __init__(self, subscribe: Subscribe, keepalive_s: float = KEEPALIVE_S) -> None:
        self._subscribe = subscribe
        self.keepalive_s = keepalive_s
        self._cond = threading.Condition()
        self._frame: bytes | None = None
        self._sequence = 0
        self._viewers = 0
        self._unsubscribe: Callable[[], None] | None = None
        self._closed = False

    @property
    def viewers(self) -> int:
        with self._cond:
            return self._viewers

    @property
    def subscribed(self) -> bool:
        with self._cond:
            return self._unsubscribe is not None

    def publish(self, jpeg: bytes) -> None:
        """Called from the subscription callback with each new display frame."""
        with self._cond:
            self._frame = jpeg
            self._sequence += 1
            self._cond.notify_all()

    def close(self) -> None:
        """End every stream (server shutdown)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def stream(self) -> Iterator[bytes]:
        """multipart/x-mixed-replace body parts for one viewer; closing the iterator leaves the hub."""
        self._join()
        try:
            seen = 0
            while True:
                with self._cond:
                    self._cond.wait_for(lambda last=seen: self._closed or self._sequence != last,
                                        self.keepalive_s)
                    if self._closed:
                        return
                    frame, seen = self._frame, self._sequence
                yield part(frame if frame is not None else NO_PICTURE)
        finally:
            self._leave()

    def _join(self) -> None:
        with self._cond:
            self._viewers += 1
            if self._unsubscribe is None:
                self._frame, self._sequence = None, 0
                self._unsubscribe = self._subscribe(self.publish)

    def _leave(self) -> None:
        unsubscribe = None
        with self._cond:
            self._viewers -= 1
            if self._viewers == 0:
                unsubscribe, self._unsubscribe = self._unsubscribe, None
        # Outside the lock: the subscription callback takes it too.
        if unsubscribe is not None:
            unsubscribe()


def part(jpeg: bytes) -> bytes:
    header = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode()
    return header + jpeg + b"\r\n"
