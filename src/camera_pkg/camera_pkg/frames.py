"""From a captured frame to what leaves the node: a greyscale policy image and a display JPEG.

A frame is either decoded pixels (BGR, BGRA or grey) or a JPEG still as an MJPEG camera sent it. A JPEG
is decoded only as far as each output needs: the policy image straight to grey at 1/2, 1/4 or 1/8 scale
(libjpeg skips the discarded detail, ten times cheaper than a full colour decode at 640x480), and the
display stream not at all when it is shown at the camera's own size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from deepracer_common_pkg.grey import to_grey

# libjpeg's DCT scaling: decoding to 1/scale of the size, biggest reduction first.
_REDUCED_GREY = ((8, cv2.IMREAD_REDUCED_GRAYSCALE_8), (4, cv2.IMREAD_REDUCED_GRAYSCALE_4),
                 (2, cv2.IMREAD_REDUCED_GRAYSCALE_2), (1, cv2.IMREAD_GRAYSCALE))


@dataclass(frozen=True)
class JpegFrame:
    """A frame still compressed; `width` x `height` is its size once decoded."""

    data: bytes
    width: int
    height: int


Frame = np.ndarray | JpegFrame


class UndecodableFrame(ValueError):
    """A camera sent bytes that are not a JPEG (a USB glitch, a truncated frame): skip it, keep going."""


# Start-of-frame markers (baseline, progressive, ...): every one but DHT (C4), JPG (C8) and DAC (CC).
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def jpeg_frame(data: bytes) -> JpegFrame:
    """A JPEG with its size read from its start-of-frame header, without decoding any pixel."""
    position = 2
    if data[:2] == b"\xff\xd8":
        while position + 9 <= len(data) and data[position] == 0xFF:
            marker = data[position + 1]
            if marker in _SOF_MARKERS:
                height = int.from_bytes(data[position + 5:position + 7], "big")
                width = int.from_bytes(data[position + 7:position + 9], "big")
                if width and height:
                    return JpegFrame(data, width, height)
                break
            position += 2 + int.from_bytes(data[position + 2:position + 4], "big")
    raise UndecodableFrame(f"{len(data)} bytes that are not a JPEG with a frame header")


def frame_size(frame: Frame) -> tuple[int, int]:
    """(width, height)."""
    if isinstance(frame, JpegFrame):
        return frame.width, frame.height
    return frame.shape[1], frame.shape[0]


def resize_to(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Area averaging when shrinking (no aliasing shimmer on track lines), bilinear when growing."""
    current_height, current_width = image.shape[:2]
    if (current_width, current_height) == (width, height):
        return image
    shrinking = width * height < current_width * current_height
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def _decode(frame: JpegFrame, flag: int) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(frame.data, np.uint8), flag)
    if image is None:
        raise UndecodableFrame(f"a {len(frame.data)}-byte frame is not a decodable JPEG")
    return image


def policy_image(frame: Frame, width: int, height: int) -> np.ndarray:
    """Greyscale uint8 `height` x `width`, C-contiguous so it can be sent as mono8 without a copy.

    Decoded pixels are made grey before they are resized: the colour conversion is vectorised and cheap,
    while area averaging costs per channel, so this order is twice as fast as the other at 640x480.
    """
    if isinstance(frame, JpegFrame):
        flag = next(flag for scale, flag in _REDUCED_GREY
                    if scale == 1 or (frame.width >= width * scale and frame.height >= height * scale))
        grey = _decode(frame, flag)
    else:
        grey = to_grey(frame)
    return np.ascontiguousarray(resize_to(grey, width, height))


def display_jpeg(frame: Frame, width: int, height: int, quality: int) -> bytes:
    """JPEG bytes of `frame` at `width` x `height` (what a browser shows); a camera's own JPEG at its own
    size is passed on untouched."""
    if isinstance(frame, JpegFrame):
        if frame_size(frame) == (width, height):
            return frame.data
        frame = _decode(frame, cv2.IMREAD_COLOR)
    return encode_jpeg(resize_to(frame, width, height), quality).data


def encode_jpeg(image: np.ndarray, quality: int) -> JpegFrame:
    """What an MJPEG camera does in its own hardware; the synthetic camera does it to behave like one."""
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"JPEG encoding failed for a frame of shape {image.shape}")
    return JpegFrame(encoded.tobytes(), image.shape[1], image.shape[0])
