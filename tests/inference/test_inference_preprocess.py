"""Camera frames and LaserScans -> the policy's inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from inference_pkg.frame_failures import FrameError
from inference_pkg.lidar import LidarSettings, scan_vector, settings_for
from inference_pkg.preprocess import RawImage, camera_input, grey_image


def raw(array: np.ndarray, encoding: str, pad: int = 0) -> RawImage:
    height, width = array.shape[:2]
    rows = array.reshape(height, -1)
    padded = np.concatenate([rows, np.zeros((height, pad), np.uint8)], axis=1)
    return RawImage(encoding, height, width, padded.shape[1], padded.tobytes())


def test_bgr_and_rgb_give_the_same_grey():
    rng = np.random.default_rng(1)
    bgr = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    from_bgr = grey_image(raw(bgr, "bgr8"))
    from_rgb = grey_image(raw(bgr[:, :, ::-1].copy(), "rgb8"))
    assert from_bgr.shape == (48, 64)
    np.testing.assert_array_equal(from_bgr, from_rgb)
    # Blue weighs least in grey: pure blue is darker than pure red.
    blue = np.zeros((2, 2, 3), np.uint8)
    blue[..., 0] = 255
    assert grey_image(raw(blue, "bgr8"))[0, 0] < grey_image(raw(blue[:, :, ::-1].copy(), "bgr8"))[0, 0]


def test_row_padding_is_ignored():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(grey_image(raw(grey, "mono8", pad=4)), grey)


def test_mono_camera_input_is_nhwc_float_0_255_at_160x120():
    image = np.full((480, 640), 200, np.uint8)
    image[:, :320] = 10
    tensor = camera_input("FRONT_FACING_CAMERA", [raw(image, "mono8")])
    assert tensor.shape == (1, 120, 160, 1) and tensor.dtype == np.float32
    assert tensor[0, 5, 10, 0] == 10.0 and tensor[0, 5, 150, 0] == 200.0


def test_stereo_input_stacks_left_then_right():
    left = np.full((120, 160), 30, np.uint8)
    right = np.full((120, 160), 90, np.uint8)
    tensor = camera_input("STEREO_CAMERAS", [raw(left, "mono8"), raw(right, "mono8")])
    assert tensor.shape == (1, 120, 160, 2)
    assert (tensor[0, 0, 0, 0], tensor[0, 0, 0, 1]) == (30.0, 90.0)


def test_mono_model_on_a_stereo_car_uses_the_left_image():
    left = np.full((120, 160), 30, np.uint8)
    right = np.full((120, 160), 90, np.uint8)
    tensor = camera_input("LEFT_CAMERA", [raw(left, "mono8"), raw(right, "mono8")])
    assert tensor.shape == (1, 120, 160, 1) and tensor[0, 0, 0, 0] == 30.0


def test_stereo_model_with_one_image_is_refused():
    with pytest.raises(FrameError, match="STEREO_CAMERAS needs 2 camera image"):
        camera_input("STEREO_CAMERAS", [raw(np.zeros((120, 160), np.uint8), "mono8")])


@pytest.mark.parametrize(("image", "message"), [
    (RawImage("yuv422", 2, 2, 4, bytes(8)), "encoding 'yuv422' is not supported"),
    (RawImage("bgr8", 10, 10, 30, bytes(100)), "does not fit"),
    (RawImage("mono8", 10, 10, 5, bytes(100)), "does not fit"),
])
def test_bad_images_are_refused(image: RawImage, message: str):
    with pytest.raises(FrameError, match=message):
        grey_image(image)


def beams(distances: list[float], angle_min: float = -math.pi, span: float = 2 * math.pi):
    """A scan covering `span` radians from angle_min with evenly spaced beams."""
    return distances, angle_min, span / len(distances)


def test_lidar_vector_has_the_model_length_and_clamps_distances():
    settings = LidarSettings()
    ranges = [5.0] * 360
    ranges[176:185] = [0.01] * 9  # straight ahead, closer than min_distance
    vector = scan_vector(*beams(ranges), settings)
    assert vector.shape == (64,) and vector.dtype == np.float32
    assert vector.max() == pytest.approx(1.0)
    assert vector.min() == pytest.approx(0.15)
    assert vector.argmin() in (31, 32)  # the middle of -150..150 degrees


def test_no_echo_reads_as_far():
    vector = scan_vector(*beams([float("inf")] * 90 + [float("nan")] * 90 + [0.5] * 180), LidarSettings())
    assert vector[0] == pytest.approx(1.0)
    assert vector[-1] == pytest.approx(0.5)


def test_angles_outside_the_window_are_ignored():
    ranges = [0.2] * 360
    for i in range(150, 211):  # only -30..30 degrees is far
        ranges[i] = 3.0
    settings = LidarSettings(min_angle=-20.0, max_angle=20.0, num_values=8)
    np.testing.assert_allclose(scan_vector(*beams(ranges), settings), np.ones(8))


def test_descending_scan_is_read_the_same_way():
    ranges = list(np.linspace(0.2, 0.9, 360))
    ascending = scan_vector(*beams(ranges), LidarSettings())
    descending = scan_vector(ranges[::-1], math.pi - 2 * math.pi / 360, -2 * math.pi / 360, LidarSettings())
    np.testing.assert_allclose(ascending, descending, atol=1e-3)


def test_sector_lidar_flags_sectors_with_an_obstacle():
    settings = settings_for("SECTOR_LIDAR", None)
    assert settings.vector_length == 8
    ranges = [4.0] * 360
    ranges[180 - 140: 180 - 130] = [0.3] * 10  # -140..-130 degrees: first sector
    ranges[180 + 130: 180 + 140] = [0.3] * 10  # +130..+140 degrees: last sector
    vector = scan_vector(*beams(ranges), settings)
    np.testing.assert_array_equal(vector, [1, 0, 0, 0, 0, 0, 0, 1])


def test_empty_scan_is_refused():
    with pytest.raises(ValueError, match="no ranges"):
        scan_vector([], 0.0, 0.1, LidarSettings())


def test_invalid_lidar_settings():
    with pytest.raises(ValueError, match="num_sectors must be between 1 and num_values"):
        settings_for("SECTOR_LIDAR", {"num_sectors": 100})
    with pytest.raises(ValueError, match="min_distance"):
        settings_for("LIDAR", {"min_distance": 2.0})
