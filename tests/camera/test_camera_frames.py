"""Policy images (grey, exact size) and display JPEGs (decodable, asked size, quality honoured)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from camera_pkg.frames import JpegFrame, UndecodableFrame, display_jpeg, encode_jpeg, jpeg_frame, policy_image


@pytest.mark.parametrize("shape", [(480, 640, 3), (240, 320, 3), (120, 160, 3), (60, 80, 3), (480, 640),
                                   (480, 640, 4)])
def test_policy_image_is_grey_at_the_asked_size(shape):
    frame = np.zeros(shape, np.uint8)
    frame[: shape[0] // 2] = 200  # top half bright
    image = policy_image(frame, 160, 120)
    assert image.shape == (120, 160) and image.dtype == np.uint8 and image.flags.c_contiguous
    assert image[:55].min() >= 195 and image[65:].max() <= 5


def test_grey_uses_luminance_weights():
    """Pure green reads brighter than pure blue, as it does to a camera trained on the simulator."""
    green = np.zeros((120, 160, 3), np.uint8)
    green[..., 1] = 255
    blue = np.zeros((120, 160, 3), np.uint8)
    blue[..., 0] = 255
    assert policy_image(green, 160, 120).mean() > 4 * policy_image(blue, 160, 120).mean()


@pytest.mark.parametrize(("width", "height"), [(480, 360), (320, 240), (640, 480), (1280, 960)])
def test_display_jpeg_decodes_at_the_asked_size(width, height):
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    jpeg = display_jpeg(frame, width, height, 80)
    assert jpeg[:2] == b"\xff\xd8"
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (height, width, 3)


def test_display_quality_trades_size():
    frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
    assert len(display_jpeg(frame, 480, 360, 30)) < len(display_jpeg(frame, 480, 360, 95))


def striped(width: int = 640, height: int = 480) -> np.ndarray:
    """Bright upper half with a dark vertical stripe: structure a wrong scale or crop would move."""
    frame = np.full((height, width, 3), 30, np.uint8)
    frame[: height // 2] = 220
    frame[:, width // 4: width // 4 + width // 16] = 0
    return frame


@pytest.mark.parametrize(("width", "height"), [(640, 480), (320, 240), (160, 120), (80, 60), (200, 150),
                                               (1280, 960)])
def test_a_jpeg_frame_gives_the_same_policy_image_as_its_pixels(width, height):
    """Reduced decoding (1/2 .. 1/8 scale, then resized) matches decoding in full and resizing."""
    pixels = striped()
    jpeg = encode_jpeg(pixels, 95)
    assert (jpeg.width, jpeg.height) == (640, 480)
    from_jpeg = policy_image(jpeg, width, height)
    from_pixels = policy_image(pixels, width, height)
    assert from_jpeg.shape == (height, width) and from_jpeg.dtype == np.uint8 and from_jpeg.flags.c_contiguous
    assert np.abs(from_jpeg.astype(int) - from_pixels).mean() < 3


def test_a_camera_jpeg_at_the_display_size_is_passed_on_untouched():
    jpeg = encode_jpeg(striped(), 70)
    assert display_jpeg(jpeg, 640, 480, 95) is jpeg.data
    smaller = display_jpeg(jpeg, 480, 360, 80)
    assert cv2.imdecode(np.frombuffer(smaller, np.uint8), cv2.IMREAD_COLOR).shape == (360, 480, 3)


def test_a_broken_jpeg_is_reported_as_undecodable():
    broken = JpegFrame(b"\xff\xd8not a jpeg", 640, 480)
    with pytest.raises(UndecodableFrame, match="12-byte frame is not a decodable JPEG"):
        policy_image(broken, 160, 120)
    with pytest.raises(UndecodableFrame):
        display_jpeg(broken, 480, 360, 80)


@pytest.mark.parametrize("flags", [[], [cv2.IMWRITE_JPEG_PROGRESSIVE, 1], [cv2.IMWRITE_JPEG_OPTIMIZE, 1]])
def test_a_jpeg_size_is_read_from_its_header(flags):
    data = cv2.imencode(".jpg", np.zeros((37, 91, 3), np.uint8), flags)[1].tobytes()
    assert jpeg_frame(data) == JpegFrame(data, 91, 37)


@pytest.mark.parametrize("data", [b"", b"\xff\xd8", b"\x89PNG\r\n\x1a\n" + bytes(40), b"\xff\xd8\xff\xe0\x00\x10JFIF"])
def test_bytes_without_a_jpeg_frame_header_are_refused(data):
    with pytest.raises(UndecodableFrame, match="not a JPEG with a frame header"):
        jpeg_frame(data)
