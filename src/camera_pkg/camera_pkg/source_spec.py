"""The `source` parameter: one string naming where frames come from, parsed once into a SourceSpec.

Grammar (comma-separated items make a stereo pair, left first; at most two):
  synthetic          a rendered track view (laptop default; "synthetic,synthetic" renders a stereo pair)
  sim                the closed-loop simulator's car camera, rendered from its pose ("sim,sim": stereo)
  auto               probe /dev/video* like the original car: one camera = mono, two = stereo
  0 | /dev/video0    a V4L2 device by index or path (udev links such as /dev/v4l/by-path/... work too)
  file:<path>        a video file
  folder:<path>      a folder of images, shown in name order
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MAX_CAMERAS = 2


@dataclass(frozen=True)
class CameraSpec:
    """One camera of a rig: `kind` is synthetic, sim, device, file or folder; `target` is the device path,
    file or folder."""

    kind: str
    target: str = ""


@dataclass(frozen=True)
class SourceSpec:
    """Either `auto` (cameras found at open time) or an explicit list of cameras, left first."""

    auto: bool
    cameras: tuple[CameraSpec, ...] = ()


def _parse_item(item: str) -> CameraSpec:
    if item in ("synthetic", "sim"):
        return CameraSpec(item)
    if item.isdigit():
        return CameraSpec("device", f"/dev/video{int(item)}")
    if item.startswith("/dev/"):
        return CameraSpec("device", item)
    for kind in ("file", "folder"):
        prefix = f"{kind}:"
        if item.startswith(prefix):
            path = item[len(prefix):].strip()
            if not path:
                raise ValueError(f"'{item}' names no path; write {prefix}<path>")
            return CameraSpec(kind, str(Path(path).expanduser()))
    raise ValueError(f"'{item}' is not a camera; use synthetic, sim, auto, a device index, /dev/videoN, "
                     "file:<path> or folder:<path>")


def parse_source(text: str) -> SourceSpec:
    """Parse the `source` parameter; ValueError says what is wrong and what is allowed."""
    items = [item.strip() for item in text.split(",")]
    if any(not item for item in items):
        raise ValueError(f"'{text}' has an empty item; separate two cameras with one comma")
    if "auto" in items:
        if len(items) > 1:
            raise ValueError(f"'{text}': auto finds the cameras itself and cannot be combined with others")
        return SourceSpec(auto=True)
    if len(items) > MAX_CAMERAS:
        raise ValueError(f"'{text}' names {len(items)} cameras; at most {MAX_CAMERAS} (left,right)")
    return SourceSpec(auto=False, cameras=tuple(_parse_item(item) for item in items))


def check_paths_exist(spec: SourceSpec) -> None:
    """Files and folders are configuration: a missing one is a mistake to fix, not a camera to wait for.

    Devices are not checked: a USB camera may be plugged in later, which the capture retries handle.
    """
    for camera in spec.cameras:
        if camera.kind == "file" and not Path(camera.target).is_file():
            raise ValueError(f"video file '{camera.target}' does not exist; give an existing file")
        if camera.kind == "folder" and not Path(camera.target).is_dir():
            raise ValueError(f"image folder '{camera.target}' does not exist; give an existing folder")
