"""Colour pixels to the grey the policies see, written once: the camera node (OpenCV's BGR and BGRA frames)
and the inference node (sensor_msgs/Image encodings, BGR or RGB order) both call it, so the grey a model gets
does not depend on which node made it. OpenCV's weights (0.299 R + 0.587 G + 0.114 B, ITU-R BT.601), as the
original car's OpenCV pipeline used.
"""

from __future__ import annotations

import cv2
import numpy as np

BGR = "bgr"
RGB = "rgb"
_CONVERSIONS = {(BGR, 3): cv2.COLOR_BGR2GRAY, (RGB, 3): cv2.COLOR_RGB2GRAY,
                (BGR, 4): cv2.COLOR_BGRA2GRAY, (RGB, 4): cv2.COLOR_RGBA2GRAY}


def to_grey(pixels: np.ndarray, order: str = BGR) -> np.ndarray:
    """uint8 H x W grey of H x W (already grey), H x W x 1, x 3 or x 4 pixels in `order` (alpha ignored)."""
    if pixels.ndim == 2:
        return pixels
    channels = pixels.shape[2]
    if channels == 1:
        return pixels[:, :, 0]
    if (order, channels) not in _CONVERSIONS:
        raise ValueError(f"cannot make grey of {channels}-channel {order} pixels")
    return cv2.cvtColor(np.ascontiguousarray(pixels), _CONVERSIONS[(order, channels)])
