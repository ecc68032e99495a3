"""From a captured BGR frame to what leaves the node: a greyscale policy image and a display JPEG."""

from __future__ import annotations

import cv2
import numpy as np


def resize_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area averaging when shrinking (no aliasing shimmer on track lines), bilinear when growing."""
    current_height, current_width = image.shape[:2]
    if (current_width, current_height) == (width, height):
        return image
    shrinking = width * height < current_width * current_height
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def to_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def policy_image(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """Greyscale uint8 `height` x `width`, C-contiguous so it can be sent as mono8 without a copy.

    Resizing before the colour conversion converts 16x fewer pixels at the default sizes.
    """
    return np.ascontiguousarray(to_grey(resize_to(frame, width, height)))


def display_jpeg(frame: np.ndarray, width: int, height: int, quality: int) -> bytes:
    """JPEG bytes of `frame` scaled to `width` x `height` (what a browser shows)."""
    ok, encoded = cv2.imencode(".jpg", resize_to(frame, width, height), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"JPEG encoding failed for a frame of shape {frame.shape}")
    return encoded.tobytes()
