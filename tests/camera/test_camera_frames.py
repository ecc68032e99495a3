"""Policy images (grey, exact size) and display JPEGs (decodable, asked size, quality honoured)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from camera_pkg.frames import display_jpeg, policy_image


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
