"""Cameras and rigs from real files written here (stand-ins for the USB camera, which cannot exist on
this machine), the synthetic track, and the clear errors of missing or broken sources."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from camera.camera_media import frame_level, level_of, pixels

from camera_pkg.frames import JpegFrame
from camera_pkg.source_spec import parse_source
from camera_pkg.sources import (
    DeviceCamera,
    FileCamera,
    FolderCamera,
    Rig,
    SourceEnded,
    SourceError,
    SyntheticCamera,
    as_frame,
    find_devices,
    open_rig,
)


def read_all(camera, count: int) -> list[np.ndarray]:
    frames = []
    for _ in range(count):
        camera.grab()
        frames.append(pixels(camera.retrieve()))
    return frames


@pytest.mark.parametrize(("width", "height", "colour"), [(640, 480, True), (320, 240, False), (160, 120, True),
                                                         (176, 144, False)])
def test_video_file_frames_in_order_at_their_size(write_video, width, height, colour):
    path = write_video("clip.avi", frames=6, width=width, height=height, fps=25.0, colour=colour)
    camera = FileCamera(str(path), loop=False, default_fps=15.0)
    assert camera.native_fps == 25.0
    frames = read_all(camera, 6)
    assert all(frame.shape == (height, width, 3) and frame.dtype == np.uint8 for frame in frames)
    assert [level_of(frame) for frame in frames] == pytest.approx([frame_level(i) for i in range(6)], abs=3)
    with pytest.raises(SourceEnded, match="ended after 6 frames"):
        camera.grab()
    camera.close()


def test_video_file_loops(write_video):
    camera = FileCamera(str(write_video("clip.avi", frames=3)), loop=True, default_fps=15.0)
    levels = [level_of(frame) for frame in read_all(camera, 7)]
    assert levels == pytest.approx([frame_level(i % 3) for i in range(7)], abs=3)
    camera.close()


def test_video_errors_are_clear(tmp_path):
    with pytest.raises(SourceError, match=r"video file .*missing.avi does not exist"):
        FileCamera(str(tmp_path / "missing.avi"), loop=True, default_fps=15.0)
    junk = tmp_path / "junk.avi"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(SourceError, match=r"junk.avi cannot be read"):
        FileCamera(str(junk), loop=True, default_fps=15.0)


@pytest.mark.parametrize(("suffix", "colour"), [(".png", True), (".jpg", True), (".png", False)])
def test_folder_in_name_order(write_folder, suffix, colour):
    folder = write_folder("imgs", images=4, suffix=suffix, colour=colour)
    (folder / "notes.txt").write_text("not an image")
    camera = FolderCamera(str(folder), loop=True, fps=10.0)
    levels = [level_of(frame) for frame in read_all(camera, 6)]
    assert levels == pytest.approx([frame_level(i % 4) for i in range(6)], abs=3)


def test_folder_jpegs_are_passed_on_compressed_like_a_camera_s(write_folder):
    folder = write_folder("imgs", images=1, suffix=".jpg", width=320, height=240)
    camera = FolderCamera(str(folder), loop=True, fps=10.0)
    camera.grab()
    frame = camera.retrieve()
    assert isinstance(frame, JpegFrame) and (frame.width, frame.height) == (320, 240)
    assert frame.data == (folder / "frame_0000.jpg").read_bytes()
    (folder / "frame_0000.jpg").write_bytes(b"\xff\xd8 truncated")
    camera.grab()
    with pytest.raises(SourceError, match=r"frame_0000.jpg cannot be read: .* not a JPEG with a frame header"):
        camera.retrieve()


def test_folder_once(write_folder):
    camera = FolderCamera(str(write_folder("imgs", images=2)), loop=False, fps=10.0)
    read_all(camera, 2)
    with pytest.raises(SourceEnded, match="ended after 2 images"):
        camera.grab()


def test_folder_errors_are_clear(tmp_path, write_folder):
    with pytest.raises(SourceError, match="does not exist"):
        FolderCamera(str(tmp_path / "nowhere"), loop=True, fps=10.0)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="holds no images"):
        FolderCamera(str(tmp_path / "empty"), loop=True, fps=10.0)
    folder = write_folder("imgs", images=2)
    camera = FolderCamera(str(folder), loop=True, fps=10.0)
    (folder / "frame_0001.png").write_bytes(b"broken")
    camera.grab()
    camera.retrieve()
    camera.grab()
    with pytest.raises(SourceError, match=r"frame_0001.png cannot be read"):
        camera.retrieve()
    camera = FolderCamera(str(folder), loop=True, fps=10.0)
    (folder / "frame_0000.png").unlink()
    with pytest.raises(SourceError, match=r"frame_0000.png was removed"):
        camera.grab()


def synthetic_view(camera: SyntheticCamera) -> np.ndarray:
    """What the synthetic camera sends is a JPEG, as the car's MJPEG camera does: decoded here."""
    frame = camera.retrieve()
    assert isinstance(frame, JpegFrame)
    return pixels(frame)


def test_synthetic_track_looks_like_a_track():
    camera = SyntheticCamera(width=640, height=480, fps=15.0, clock=lambda: 0.0)
    camera.grab()
    frame = synthetic_view(camera)
    assert frame.shape == (480, 640, 3)
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    assert grey[-1].std() > 20, "the centre line stands out on the track surface in the bottom row"
    white = grey > 230
    middle_rows = white[200:330]
    assert middle_rows[:, :320].any() and middle_rows[:, 320:].any(), "white borders on both sides"
    assert not white[:150].any(), "nothing white above the horizon"


def test_synthetic_track_bends_change_over_time():
    now = [0.0]
    camera = SyntheticCamera(width=320, height=240, fps=15.0, clock=lambda: now[0])
    views = []
    for t in (0.0, 0.0, 2.0, 4.0):
        now[0] = t
        camera.grab()
        views.append(synthetic_view(camera))
    assert np.array_equal(views[0], views[1])
    assert np.abs(views[2].astype(int) - views[0]).mean() > 5
    assert np.abs(views[3].astype(int) - views[2]).mean() > 5


def test_synthetic_stereo_pair_sees_from_two_places():
    rig = open_rig(parse_source("synthetic,synthetic"), fps=15.0, width=320, height=240, loop=True)
    rig.grab(lambda: None)
    left, right = (synthetic_view(camera) for camera in rig.cameras)
    assert rig.stereo and left.shape == right.shape == (240, 320, 3)
    assert not np.array_equal(left, right)
    rig.close()


def test_a_device_frame_left_compressed_becomes_a_jpeg_frame():
    """OpenCV hands an MJPEG camera's frame over as one row of bytes when decoding is off."""
    encoded = cv2.imencode(".jpg", np.zeros((48, 64, 3), np.uint8))[1]
    frame = as_frame(encoded.reshape(1, -1), "/dev/video0")
    assert frame == JpegFrame(encoded.tobytes(), 64, 48)
    decoded = np.zeros((48, 64, 3), np.uint8)
    assert as_frame(decoded, "/dev/video0") is decoded, "a decoded frame is passed on as it is"


def test_a_device_frame_that_is_not_a_jpeg_is_refused_with_the_camera_named():
    with pytest.raises(SourceError, match=r"camera /dev/video0 sent 6 bytes that are not a JPEG"):
        as_frame(np.arange(6, dtype=np.uint8).reshape(1, 6), "/dev/video0")


class StampingReader:
    """OpenCV's V4L2 reader as far as the frame's stamp goes (no camera device exists here): CAP_PROP_POS_MSEC is
    the driver's stamp of the frame last grabbed, 0 before the first."""

    def __init__(self, stamp_ms: float) -> None:
        self.stamp_ms = stamp_ms

    def get(self, prop: int) -> float:
        assert prop == cv2.CAP_PROP_POS_MSEC
        return self.stamp_ms


@pytest.mark.parametrize(("ago_s", "age"), [(0.02, 0.02), (None, None), (-3600.0, None), (3600.0, None)],
                         ids=["monotonic stamp", "no stamp yet", "stamp ahead: another clock",
                              "an hour old: another clock"])
def test_a_device_frame_s_age_is_the_driver_s_stamp_on_the_monotonic_clock(ago_s, age):
    camera = object.__new__(DeviceCamera)
    camera.name = "/dev/video0"
    camera._capture = StampingReader(0.0 if ago_s is None else (time.monotonic() - ago_s) * 1000)
    measured = camera.frame_age_s()
    if age is None:
        assert measured is None, "an age that cannot be trusted is not given"
    else:
        assert age <= measured < age + 0.5
    assert Rig([camera]).frame_age_s() == (None if age is None else pytest.approx(measured, abs=0.5))
    assert Rig([RecordingCamera("folder", [], 15.0)]).frame_age_s() is None, "a camera without stamps gives none"


class RecordingCamera:
    def __init__(self, name: str, log: list[str], fps: float | None) -> None:
        self.name, self.native_fps, self._log = name, fps, log

    def grab(self) -> None:
        self._log.append(f"grab {self.name}")

    def retrieve(self) -> np.ndarray:
        self._log.append(f"retrieve {self.name}")
        return np.zeros((2, 2, 3), np.uint8)

    def close(self) -> None:
        self._log.append(f"close {self.name}")


def test_rig_grabs_the_pair_before_decoding_and_stamps_at_the_left_frame():
    log: list[str] = []
    rig = Rig([RecordingCamera("left", log, 30.0), RecordingCamera("right", log, 15.0)])
    stamp = rig.grab(lambda: log.append("stamp") or "t")
    frames = rig.retrieve()
    assert stamp == "t" and len(frames) == 2
    assert log == ["grab left", "stamp", "grab right", "retrieve left", "retrieve right"]
    assert rig.native_fps == 15.0 and rig.description == "left+right"
    assert Rig([RecordingCamera("dev", log, None), RecordingCamera("x", log, 15.0)]).native_fps is None


def test_stereo_files_pair_frame_for_frame(write_video):
    left = write_video("left.avi", frames=5, mark="left")
    right = write_video("right.avi", frames=5, mark="right")
    rig = open_rig(parse_source(f"file:{left},file:{right}"), fps=15.0, width=640, height=480, loop=True)
    for index in range(7):
        rig.grab(lambda: None)
        frame_left, frame_right = rig.retrieve()
        assert level_of(frame_left) == pytest.approx(frame_level(index % 5), abs=3)
        assert level_of(frame_right) == pytest.approx(frame_level(index % 5), abs=3)
        assert frame_left[5, 5].min() > 240 and frame_right[5, -5].min() > 240  # left is first
    rig.close()


def test_rig_that_fails_halfway_closes_what_it_opened(write_video, tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        open_rig(parse_source(f"file:{write_video('a.avi', frames=2)},file:{tmp_path / 'b.avi'}"),
                 fps=15.0, width=640, height=480, loop=True)


def test_missing_device_is_named(tmp_path):
    with pytest.raises(SourceError, match=r"camera /dev/video77 not found: is it plugged in"):
        DeviceCamera("/dev/video77", width=640, height=480, fps=15.0)
    not_a_device = tmp_path / "video0"
    not_a_device.write_text("")
    with pytest.raises(SourceError, match=r"cannot be opened"):
        DeviceCamera(str(not_a_device), width=640, height=480, fps=15.0)


def test_auto_without_cameras_says_none_was_found(tmp_path: Path):
    (tmp_path / "video0").write_text("")  # a node that opens as no camera
    (tmp_path / "videodev").write_text("")
    assert find_devices(tmp_path) == []
    with pytest.raises(SourceError, match=r"no camera found"):
        open_rig(parse_source("auto"), fps=15.0, width=640, height=480, loop=True, dev_dir=tmp_path)
