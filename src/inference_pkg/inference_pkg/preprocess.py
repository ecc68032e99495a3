"""Camera frames -> the policy's image input: grey, 160x120, float 0-255, NHWC.

FRONT_FACING_CAMERA, LEFT_CAMERA and observation take one grey channel (the first image of a frame set,
the left camera on a stereo car); STEREO_CAMERAS takes the left and right images as two channels. The
/255 scaling is inside the trained graphs, so pixels stay 0-255. Downscaling uses area averaging: the
simulator renders 160x120 directly, which averaging approximates better than sampling every 4th pixel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from deepracer_common_pkg.grey import BGR, RGB, to_grey
from inference_pkg import tensor_names
from inference_pkg.frame_failures import FrameError

# encoding -> (channels, channel order); 8UC3 is OpenCV's BGR
_LAYOUTS = {"mono8": (1, BGR), "8UC1": (1, BGR), "bgr8": (3, BGR), "8UC3": (3, BGR), "rgb8": (3, RGB),
            "bgra8": (4, BGR), "rgba8": (4, RGB)}
ENCODINGS = tuple(_LAYOUTS)


@dataclass(frozen=True)
class RawImage:
    """The fields of a sensor_msgs/Image that matter here, without ROS types."""

    encoding: str
    height: int
    width: int
    step: int
    data: bytes | bytearray | memoryview | np.ndarray


def grey_image(image: RawImage) -> np.ndarray:
    """A uint8 HxW grey view/copy of the image; FrameError for encodings and sizes that do not fit."""
    channels, order = _LAYOUTS.get(image.encoding, (0, BGR))
    if not channels:
        raise FrameError(f"image encoding {image.encoding!r} is not supported: use one of {', '.join(ENCODINGS)}")
    row = image.width * channels
    buffer = np.frombuffer(image.data, dtype=np.uint8)
    if image.height <= 0 or image.width <= 0 or image.step < row or buffer.size < image.step * image.height:
        raise FrameError(f"image of {image.width}x{image.height} {image.encoding} with step {image.step} "
                         f"does not fit its {buffer.size} bytes")
    pixels = buffer[: image.step * image.height].reshape(image.height, image.step)[:, :row]
    return to_grey(pixels.reshape(image.height, image.width, channels), order)


def _policy_size(grey: np.ndarray) -> np.ndarray:
    size = (tensor_names.IMAGE_WIDTH, tensor_names.IMAGE_HEIGHT)
    if grey.shape[1] == size[0] and grey.shape[0] == size[1]:
        return grey
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


def camera_input(sensor: str, images: Sequence[RawImage]) -> np.ndarray:
    """float32 [1, 120, 160, C] for the model's camera sensor; FrameError when the frame set lacks images."""
    needed = tensor_names.camera_channels(sensor)
    if len(images) < needed:
        raise FrameError(f"sensor {sensor} needs {needed} camera image(s) per frame, the frame has {len(images)}")
    channels = [_policy_size(grey_image(image)) for image in images[:needed]]
    return np.stack(channels, axis=-1).astype(np.float32)[np.newaxis]
