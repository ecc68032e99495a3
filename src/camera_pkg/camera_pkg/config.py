"""Camera node parameters: names, laptop-safe defaults and validation in one frozen dataclass."""

from __future__ import annotations

from dataclasses import dataclass

from camera_pkg.source_spec import SourceSpec, check_paths_exist, parse_source

# Fields that change how frames are captured; changing one of them restarts the capture.
CAPTURE_FIELDS = ("source", "fps", "capture_width", "capture_height", "loop_video", "loss_timeout_s")


def _check_range(name: str, value: float, low: float, high: float, unit: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{name}={value!r} is out of range; allowed {low}..{high}{unit}")


@dataclass(frozen=True)
class CameraConfig:
    """The node's ROS parameters.

    video_on starts true: the display stream is only encoded while a viewer subscribes, so being on
    costs nothing until the console opens the video, and the console then shows it without a toggle.
    """

    source: str = "synthetic"
    fps: float = 15.0
    policy_width: int = 160
    policy_height: int = 120
    capture_width: int = 640
    capture_height: int = 480
    display_width: int = 640  # the capture size: the camera's own JPEG goes to the browser untouched
    display_height: int = 480
    display_quality: int = 80  # only when the display size differs and a frame must be re-encoded
    display_fps: float = 15.0
    loop_video: bool = True
    video_on: bool = True
    loss_timeout_s: float = 0.5

    def __post_init__(self) -> None:
        if not isinstance(self.source, str):
            raise ValueError(f"source={self.source!r} must be a string")
        try:
            check_paths_exist(parse_source(self.source))
        except ValueError as error:
            raise ValueError(f"source={self.source!r}: {error}") from None
        _check_range("fps", self.fps, 1.0, 120.0, " frames per second")
        _check_range("display_fps", self.display_fps, 1.0, 120.0, " frames per second")
        for name, low, high in (("policy_width", 16, 1920), ("policy_height", 16, 1080),
                                ("capture_width", 32, 4096), ("capture_height", 32, 3072),
                                ("display_width", 16, 1920), ("display_height", 16, 1080),
                                ("display_quality", 1, 100)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name}={value!r} must be an integer in {low}..{high}")
            _check_range(name, value, low, high)
        for name in ("loop_video", "video_on"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}={getattr(self, name)!r} must be true or false")
        _check_range("loss_timeout_s", self.loss_timeout_s, 0.1, 10.0, " seconds")

    @property
    def source_spec(self) -> SourceSpec:
        return parse_source(self.source)

    @property
    def effective_loss_timeout_s(self) -> float:
        """A slow source (a 2 fps folder) must not look lost between two of its frames."""
        return max(self.loss_timeout_s, 2.0 / self.fps)


def needs_restart(old: CameraConfig, new: CameraConfig) -> bool:
    return any(getattr(old, name) != getattr(new, name) for name in CAPTURE_FIELDS)
