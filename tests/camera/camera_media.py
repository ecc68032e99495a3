"""Stand-ins for the car's USB camera (which cannot exist here): frames whose brightness says which frame
they are, so a test can tell order, looping and stereo pairing from what it receives."""

from __future__ import annotations

import cv2
import numpy as np

from camera_pkg.frames import Frame, JpegFrame


def frame_level(index: int) -> int:
    """The grey level frame `index` is filled with: far enough apart to survive JPEG and resizing."""
    return 20 + (index * 20) % 220


def marked_frame(index: int, width: int, height: int, *, colour: bool = True, mark: str = "") -> np.ndarray:
    """A flat frame at frame_level(index); `mark` "left"/"right" puts a white block in that top corner."""
    frame = np.full((height, width, 3) if colour else (height, width), frame_level(index), np.uint8)
    block = (slice(0, height // 4), slice(0, width // 4) if mark == "left" else slice(width - width // 4, width))
    if mark:
        frame[block] = 255
    return frame


def pixels(frame: Frame) -> np.ndarray:
    """A source's frame as BGR pixels: JPEG frames (MJPEG-like sources) decoded in full."""
    if isinstance(frame, JpegFrame):
        image = cv2.imdecode(np.frombuffer(frame.data, np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[:2] == (frame.height, frame.width)
        return image
    return frame


def level_of(image: np.ndarray) -> int:
    """Which frame_level a received image shows (its median grey, so a corner mark does not count)."""
    return int(np.median(image))


def index_for_level(level: int, tolerance: int = 6) -> int | None:
    for index in range(11):
        if abs(frame_level(index) - level) <= tolerance:
            return index
    return None
