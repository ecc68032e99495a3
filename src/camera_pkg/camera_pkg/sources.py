"""Cameras and camera rigs: where frames come from (V4L2 device, video file, image folder, synthetic, simulator).

Every camera yields frames (BGR pixels, or a JPEG as an MJPEG camera sends it) and splits taking a frame
into `grab()` (the frame exists now: its stamp is taken here) and `retrieve()` (what is left to do on it).
The capture loop grabs every frame the camera delivers (while idle, those a device queued during a nap,
up to a new one: `frame_age_s`), so none it hands on is stale, but retrieves only the ones it publishes.
A rig grabs all its cameras back to back before retrieving any: that is how a stereo pair is kept in step
(the two exposures are at most one camera frame interval apart; the pair carries the time the left frame
arrived).

Cameras with a clock of their own (devices) block in `grab()` until the next frame and have
`native_fps = None`; the others are paced by the capture loop at `native_fps`.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import cv2
import numpy as np

from camera_pkg.frames import Frame, JpegFrame, UndecodableFrame, encode_jpeg, jpeg_frame
from camera_pkg.source_spec import CameraSpec, SourceSpec
from camera_pkg.synthetic_track import SyntheticTrack

JPEG_SUFFIXES = frozenset({".jpg", ".jpeg"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".tif", ".tiff", ".webp"})
STEREO_BASELINE_M = 0.06
# A device read that waits this long fails, so a camera that hangs is retried instead of waited on forever.
DEVICE_READ_TIMEOUT_MS = 1000
DEVICE_OPEN_TIMEOUT_MS = 2000
PLAUSIBLE_FRAME_AGE_S = 5.0  # a device's frame stamped longer ago than this is stamped on another clock
MAX_FILE_FPS = 240.0
MJPG = cv2.VideoWriter.fourcc(*"MJPG")
SYNTHETIC_JPEG_QUALITY = 90

T = TypeVar("T")


class SourceError(Exception):
    """A camera could not be opened or stopped delivering; the message says which and what to check."""


class SourceEnded(Exception):
    """A video file or image folder reached its end and is not to be looped."""


class Camera(Protocol):
    name: str
    native_fps: float | None

    def grab(self) -> None:
        """Wait for (or step to) the next frame; raise SourceError or SourceEnded."""

    def retrieve(self) -> Frame:
        """The frame last grabbed: BGR uint8 (height, width, 3), or the JPEG the camera sent."""

    def close(self) -> None: ...


class DeviceCamera:
    """A V4L2 camera (USB UVC on the car) asked for MJPG at the capture size and rate.

    When the camera agrees to MJPG, OpenCV is told not to decode (CAP_PROP_CONVERT_RGB off), so the node
    gets the JPEG and decodes only what it needs (see frames.py); other formats are decoded to BGR.
    """

    native_fps = None

    def __init__(self, path: str, *, width: int, height: int, fps: float) -> None:
        self.name = path
        if not Path(path).exists():
            raise SourceError(f"camera {path} not found: is it plugged in? (ls /dev/video*)")
        self._capture = cv2.VideoCapture(path, cv2.CAP_V4L2, [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, DEVICE_OPEN_TIMEOUT_MS,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, DEVICE_READ_TIMEOUT_MS,
        ])
        if not self._capture.isOpened():
            raise SourceError(f"camera {path} cannot be opened: busy in another program, no permission "
                              "(video group), or not a capture device")
        self._capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._capture.set(cv2.CAP_PROP_FPS, fps)
        if int(self._capture.get(cv2.CAP_PROP_FOURCC)) == MJPG:
            self._capture.set(cv2.CAP_PROP_CONVERT_RGB, 0)

    def grab(self) -> None:
        if not self._capture.grab():
            raise SourceError(f"camera {self.name} stopped delivering frames (unplugged?)")

    def frame_age_s(self) -> float | None:
        """How old the frame last grabbed is by the driver's stamp (uvcvideo's: where the frame began); None when it
        gave none or one on another clock. V4L2 stamps a buffer on CLOCK_MONOTONIC (V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC,
        uvcvideo's default), time.monotonic's clock, and OpenCV's V4L2 reader gives it as CAP_PROP_POS_MSEC."""
        stamp_ms = self._capture.get(cv2.CAP_PROP_POS_MSEC)
        age = time.monotonic() - stamp_ms / 1000
        return age if stamp_ms > 0 and 0 <= age <= PLAUSIBLE_FRAME_AGE_S else None

    def retrieve(self) -> Frame:
        ok, frame = self._capture.retrieve()
        if not ok or frame is None:
            raise SourceError(f"camera {self.name} delivered a frame that cannot be decoded")
        return as_frame(frame, self.name)

    def close(self) -> None:
        self._capture.release()


class FileCamera:
    """A video file played at its own frame rate (or `default_fps` when it does not say), looped or once."""

    def __init__(self, path: str, *, loop: bool, default_fps: float) -> None:
        self.name = f"file:{path}"
        self._path = path
        self._loop = loop
        self._capture = self._open()
        file_fps = self._capture.get(cv2.CAP_PROP_FPS)
        self.native_fps = file_fps if 0 < file_fps <= MAX_FILE_FPS else default_fps
        self._frames_read = 0

    def _open(self) -> cv2.VideoCapture:
        if not Path(self._path).is_file():
            raise SourceError(f"video file {self._path} does not exist")
        capture = cv2.VideoCapture(self._path, cv2.CAP_FFMPEG)
        if not capture.isOpened():
            raise SourceError(f"video file {self._path} cannot be read: not a video format FFmpeg knows")
        return capture

    def grab(self) -> None:
        if self._capture.grab():
            self._frames_read += 1
            return
        if self._frames_read == 0:
            raise SourceError(f"video file {self._path} has no readable frames")
        if not self._loop:
            raise SourceEnded(f"video file {self._path} ended after {self._frames_read} frames "
                              "(loop_video is false)")
        # Reopening is the one rewind that works for every container, and costs milliseconds per loop.
        self._capture.release()
        self._capture = self._open()
        self._frames_read = 0
        self.grab()

    def retrieve(self) -> np.ndarray:
        ok, frame = self._capture.retrieve()
        if not ok or frame is None:
            raise SourceError(f"video file {self._path}: frame {self._frames_read} cannot be decoded")
        return frame

    def close(self) -> None:
        self._capture.release()


def _list_images(folder: Path) -> list[str]:
    """The folder's image files in name order, as paths. Listed with scandir, whose entries carry their type: the
    folder is listed again at every loop, and pathlib's listing of bench_car.py's 708 frames took ~30 ms on the
    frame path's thread (a dozen Python calls a frame, charged to the stack in issue 23's benchmark)."""
    if not folder.is_dir():
        raise SourceError(f"image folder {folder} does not exist")
    with os.scandir(folder) as entries:
        images = sorted(entry.path for entry in entries
                        if os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES and entry.is_file())
    if not images:
        raise SourceError(f"image folder {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return images


class FolderCamera:
    """The images of a folder in name order at `fps`; the folder is listed again at each loop, so
    images added meanwhile appear. JPEG files are passed on compressed, as a device's MJPEG frames are;
    other formats are decoded in retrieve()."""

    def __init__(self, folder: str, *, loop: bool, fps: float) -> None:
        self.name = f"folder:{folder}"
        self.native_fps = fps
        self._folder = Path(folder)
        self._loop = loop
        self._set_images(_list_images(self._folder))

    def _set_images(self, images: list[str]) -> None:
        """Kept as strings: a frame is checked and read with one stat and one open, not through pathlib. The folder
        stands in for the car's camera in bench_car.py, whose grab and retrieve are a C call each; pathlib's sixty
        Python calls a frame were charged to the stack there (issue 23)."""
        self._files = images
        self._jpeg = [os.path.splitext(image)[1].lower() in JPEG_SUFFIXES for image in images]
        self._index = 0

    def grab(self) -> None:
        if self._index == len(self._files):
            if not self._loop:
                raise SourceEnded(f"image folder {self._folder} ended after {len(self._files)} images "
                                  "(loop_video is false)")
            self._set_images(_list_images(self._folder))
        if not os.path.isfile(self._files[self._index]):
            raise SourceError(f"image {self._files[self._index]} was removed")
        self._index += 1

    def retrieve(self) -> Frame:
        if self._index == 0:
            raise SourceError(f"{self.name}: retrieve() before grab()")
        path = self._files[self._index - 1]
        if self._jpeg[self._index - 1]:
            try:
                with open(path, "rb") as file:
                    return jpeg_frame(file.read())
            except (OSError, UndecodableFrame) as error:
                raise SourceError(f"image {path} cannot be read: {error}") from None
        frame = cv2.imread(path, cv2.IMREAD_COLOR)
        if frame is None:
            raise SourceError(f"image {path} cannot be read: removed, or not an image OpenCV can decode")
        return frame

    def close(self) -> None:
        pass


def as_frame(raw: np.ndarray, camera: str) -> Frame:
    """What OpenCV handed back: decoded pixels, or (decoding off) the JPEG bytes as one row."""
    if raw.ndim == 3 or (raw.ndim == 2 and raw.shape[0] > 1):
        return raw
    try:
        return jpeg_frame(raw.tobytes())
    except UndecodableFrame as error:
        raise SourceError(f"camera {camera} sent {error}") from None


class SyntheticCamera:
    """The rendered track at `fps`, driving on from the moment it is opened, sent as an MJPEG camera would.

    Rendering and encoding stand for what the car's camera does in its own hardware (exposure, readout,
    JPEG), so they happen in `grab()`, before the stamp, and the node's share of the work is what it is
    with the real camera: decoding the JPEG.
    """

    def __init__(self, *, width: int, height: int, fps: float, lateral_offset_m: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = "synthetic"
        self.native_fps = fps
        self._track = SyntheticTrack(width, height, lateral_offset_m)
        self._clock = clock
        self._start = clock()
        self._frame: JpegFrame | None = None

    def grab(self) -> None:
        self._frame = encode_jpeg(self._track.render(self._clock() - self._start), SYNTHETIC_JPEG_QUALITY)

    def retrieve(self) -> Frame:
        if self._frame is None:
            raise SourceError(f"{self.name}: retrieve() before grab()")
        return self._frame

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class SimPicture:
    """A picture of the simulated car's camera: the JPEG the simulator rendered, and the simulated time it was taken
    at (its capture stamp, so a frame carries the moment the world looked so, whatever the delivery took)."""

    jpeg: bytes
    stamp_ns: int


class SimFeed:
    """Where the camera node puts the simulator's pictures of one lens as they arrive (its subscription's thread),
    for the capture thread to take: the newest only, as a device's queue of one."""

    def __init__(self) -> None:
        self._slot = threading.Condition()
        self._picture: SimPicture | None = None
        self.closed = False

    def put(self, picture: SimPicture) -> None:
        with self._slot:
            self._picture = picture
            self._slot.notify_all()

    def take(self, timeout_s: float) -> SimPicture | None:
        with self._slot:
            if self._picture is None and not self.closed:
                self._slot.wait(timeout_s)
            picture, self._picture = self._picture, None
            return picture

    def close(self) -> None:
        """No more pictures (the source changed): a capture thread waiting in `take` returns at once, so the node
        that stops it does not wait out the read timeout on its executor (the process's heartbeat with it)."""
        with self._slot:
            self.closed = True
            self._slot.notify_all()


class SimCamera:
    """The simulated car's camera: the pictures the simulator renders and sends (sim_pkg), delivered as an MJPEG
    camera delivers its frames. The simulator keeps the time and the pace (a device camera's clock of its own)."""

    native_fps = None

    def __init__(self, feed: SimFeed, lens: str) -> None:
        self.name = "sim" if lens == "centre" else f"sim ({lens})"
        self._feed = feed
        self._frame: JpegFrame | None = None
        self.grabbed_at: tuple[float, int] | None = None

    def grab(self) -> None:
        picture = self._feed.take(DEVICE_READ_TIMEOUT_MS / 1000)
        if picture is None and self._feed.closed:
            raise SourceError("the simulator's camera is no longer this camera's source")
        if picture is None:
            raise SourceError(f"no picture from the simulator for {DEVICE_READ_TIMEOUT_MS / 1000:g} s: is sim_node "
                              "running?")
        try:
            self._frame = jpeg_frame(picture.jpeg)
        except UndecodableFrame as error:
            raise SourceError(f"the simulator sent {error}") from None
        self.grabbed_at = (picture.stamp_ns / 1e9, picture.stamp_ns)

    def retrieve(self) -> Frame:
        if self._frame is None:
            raise SourceError(f"{self.name}: retrieve() before grab()")
        return self._frame

    def close(self) -> None:
        pass


class Rig:
    """One or two cameras (left first) captured as one unit."""

    def __init__(self, cameras: list[Camera]) -> None:
        if not 1 <= len(cameras) <= 2:
            raise ValueError(f"a rig has one or two cameras, got {len(cameras)}")
        self.cameras = cameras
        self.description = "+".join(camera.name for camera in cameras)

    @property
    def stereo(self) -> bool:
        return len(self.cameras) == 2

    @property
    def native_fps(self) -> float | None:
        """The pace for clockless cameras: the slower one's rate, so neither is asked to run ahead."""
        rates = [camera.native_fps for camera in self.cameras]
        return None if any(rate is None for rate in rates) else min(rates)

    def frame_age_s(self) -> float | None:
        """How long ago the left camera's last frame arrived, by the camera's own stamp; None when it gives none."""
        age = getattr(self.cameras[0], "frame_age_s", None)
        return None if age is None else age()

    def grab(self, stamp: Callable[[], T]) -> T:
        """Grab from every camera; return `stamp()` taken as soon as the left frame arrived, or the time the left
        frame carries (`grabbed_at`: the simulator's, taken when it rendered)."""
        self.cameras[0].grab()
        taken = getattr(self.cameras[0], "grabbed_at", None) or stamp()
        for camera in self.cameras[1:]:
            camera.grab()
        return taken

    def retrieve(self) -> tuple[Frame, ...]:
        return tuple(camera.retrieve() for camera in self.cameras)

    def close(self) -> None:
        for camera in self.cameras:
            camera.close()


def _device_number(path: Path) -> int:
    match = re.fullmatch(r"video(\d+)", path.name)
    return int(match.group(1)) if match else -1


def find_devices(dev_dir: Path = Path("/dev")) -> list[str]:
    """Video devices that deliver a frame, in device-number order, at most two (left first).

    Like the original car, order follows USB enumeration; give explicit paths (for instance
    /dev/v4l/by-path/...) when left and right must never swap. A UVC camera also creates a metadata
    node that opens but never delivers, which grabbing one frame tells apart.
    """
    found: list[str] = []
    for path in sorted((p for p in dev_dir.glob("video*") if _device_number(p) >= 0), key=_device_number):
        capture = cv2.VideoCapture(str(path), cv2.CAP_V4L2, [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, DEVICE_OPEN_TIMEOUT_MS,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, DEVICE_READ_TIMEOUT_MS,
        ])
        try:
            if capture.isOpened() and capture.grab():
                found.append(str(path))
        finally:
            capture.release()
        if len(found) == 2:
            break
    return found


def sim_lens(index: int, count: int) -> str:
    """Which of the simulated car's lenses a `sim` camera of a rig is: the mono camera's, or a stereo pair's."""
    return "centre" if count == 1 else ("left", "right")[index]


def _open_camera(spec: CameraSpec, index: int, count: int, *, fps: float, width: int, height: int,
                 loop: bool, sim_feeds: Mapping[str, SimFeed] | None) -> Camera:
    if spec.kind == "device":
        return DeviceCamera(spec.target, width=width, height=height, fps=fps)
    if spec.kind == "file":
        return FileCamera(spec.target, loop=loop, default_fps=fps)
    if spec.kind == "folder":
        return FolderCamera(spec.target, loop=loop, fps=fps)
    offset = 0.0 if count == 1 else (index - 0.5) * STEREO_BASELINE_M
    if spec.kind == "sim":
        lens = sim_lens(index, count)
        if sim_feeds is None or lens not in sim_feeds:
            raise SourceError("the sim camera needs the simulator's pictures, and nothing provides them")
        return SimCamera(sim_feeds[lens], lens)
    return SyntheticCamera(width=width, height=height, fps=fps, lateral_offset_m=offset)


def open_rig(spec: SourceSpec, *, fps: float, width: int, height: int, loop: bool,
             dev_dir: Path = Path("/dev"), sim_feeds: Mapping[str, SimFeed] | None = None) -> Rig:
    """Open every camera of `spec` (probing devices when it is auto); SourceError when one fails.

    `sim_feeds` (by lens, sim_lens) give the `sim` cameras the simulator's pictures.
    `width`/`height` are the capture size asked of devices and rendered by the synthetic and sim sources;
    files and folders keep their own size (the node scales every frame to its outputs anyway).
    """
    if spec.auto:
        paths = find_devices(dev_dir)
        if not paths:
            raise SourceError(f"no camera found: no {dev_dir}/video* device delivers frames")
        cameras = tuple(CameraSpec("device", path) for path in paths)
    else:
        cameras = spec.cameras
    opened: list[Camera] = []
    try:
        for index, camera in enumerate(cameras):
            opened.append(_open_camera(camera, index, len(cameras), fps=fps, width=width, height=height,
                                       loop=loop, sim_feeds=sim_feeds))
    except BaseException:
        for camera in opened:
            camera.close()
        raise
    return Rig(opened)
