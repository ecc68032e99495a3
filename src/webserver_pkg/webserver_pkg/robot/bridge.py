"""The console's one door to the robot: plain values in, plain values out, no rclpy.

The Flask app only ever talks to a `RobotBridge`. The node gives it `RosBridge` (services and topics);
tests give it `InProcessRobot` (the real cores, no ROS). Commands raise `BridgeError` with a reason a
person can act on (a service that did not answer in time, or refused); the state getters return the
latest latched values (None until the node publishing them has been heard).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

CHANNELS = ("steering", "throttle")
CLOCK_REALTIME_COARSE = 5  # Linux's clock id (linux/time.h); Python's time module does not name it


class BridgeError(RuntimeError):
    """A robot command failed; `str(error)` is the reason shown to the user.

    `unavailable` is True when the robot did not answer at all (service missing or timed out), so the
    API can answer 503 rather than 409.
    """

    def __init__(self, reason: str, *, unavailable: bool = False) -> None:
        super().__init__(reason)
        self.unavailable = unavailable


@dataclass(frozen=True)
class ModelStateView:
    """/inference_pkg/model_state, the fields the console shows. state: idle | loading | loaded | error.
    (The model's metadata the pages show is read from its folder; navigation has the action space.)"""

    state: str
    model_name: str = ""
    model_dir: str = ""
    reason: str = ""
    load_seconds: float = 0.0
    # When the console first heard this state, on the clock the kernel stamps file changes with (file_clock_ns):
    # a loaded model's files changed after it are not the graph the car drives.
    heard_ns: int = 0


def file_clock_ns() -> int:
    """Now on the clock of file change times (the kernel's coarse real-time clock), so a file changed after this
    call never has an older change time, however fine the ordinary clock's reading."""
    return time.clock_gettime_ns(CLOCK_REALTIME_COARSE)


def heard(new: ModelStateView, old: ModelStateView | None) -> ModelStateView:
    """`new` dated when first heard: a repeat of the state last heard keeps that state's date."""
    if old is not None and replace(old, heard_ns=0) == replace(new, heard_ns=0):
        return old
    return replace(new, heard_ns=file_clock_ns())


@dataclass(frozen=True)
class NavigationView:
    """/navigation_pkg/state. mode: manual | autonomous | calibration."""

    mode: str
    started: bool = False
    emergency_stop: bool = False
    max_speed: float = 0.0
    model_name: str = ""
    model_ready: bool = False
    last_command_age_s: float = 0.0
    neutral_reason: str = ""
    run_started_ns: int = 0  # the car's boot clock (car_clock) at the Start that began the run; 0 while stopped


@dataclass(frozen=True)
class ServoCommandView:
    """/navigation_pkg/servo_cmd, navigation's output: angle (+1 full left) and throttle (+1 full forward, after
    the max-speed scaling), with how long ago it was heard, so a readout never shows an old value as live."""

    angle: float
    throttle: float
    age_s: float


@dataclass(frozen=True)
class PwmWrittenView:
    """/servo_pkg/pwm_written: the duty cycles the servo node last wrote, with how long ago it was heard."""

    steering_ns: int
    throttle_ns: int
    enabled: bool
    reason: str
    age_s: float


@dataclass(frozen=True)
class CameraView:
    """/camera_pkg/status."""

    connected: bool
    stereo: bool = False
    video_on: bool = False
    fps: float = 0.0
    width: int = 0
    height: int = 0
    source: str = ""
    error: str = ""


@dataclass(frozen=True)
class StageView:
    """One stage's latest StageStats, with how old it is (a silent stage shows a growing age)."""

    stage: str
    rate_hz: float
    latency_p50_ms: float
    latency_p95_ms: float
    count: int
    dropped: int
    age_s: float


@dataclass(frozen=True)
class CalibrationNs:
    """One channel's calibration in duty-cycle nanoseconds, as the servo node keeps it."""

    min_ns: int
    mid_ns: int
    max_ns: int
    polarity: int


@dataclass(frozen=True)
class SimStateView:
    """/sim_pkg/state: the simulated car's race. progress: percent of the current lap; pose of the car's centre."""

    track: str
    laps: int
    lap_times_s: tuple[float, ...]
    off_track: int
    progress: float
    on_track: bool
    x: float
    y: float
    yaw: float
    speed_m_s: float


@dataclass(frozen=True)
class LogLine:
    """One /rosout record. stamp_s: seconds since the epoch."""

    stamp_s: float
    level: str
    logger: str
    message: str

    def format(self) -> str:
        when = datetime.fromtimestamp(self.stamp_s).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        return f"{when} [{self.level}] [{self.logger}] {self.message}"


class RobotBridge(ABC):
    """Everything the console asks of, or reads from, the robot."""

    @abstractmethod
    def now_ns(self) -> int:
        """The robot's clock (deepracer_common_pkg.stack_clock): what a run's start and a command's stamp are on."""

    # Latest latched state (None until heard).
    @abstractmethod
    def model_state(self) -> ModelStateView | None: ...

    @abstractmethod
    def navigation_state(self) -> NavigationView | None: ...

    @abstractmethod
    def servo_command(self) -> ServoCommandView | None:
        """Navigation's latest output to the servo node (None until heard)."""

    @abstractmethod
    def pwm_written(self) -> PwmWrittenView | None:
        """The servo node's latest write (None until heard)."""

    @abstractmethod
    def calibrated_neutral(self) -> dict[str, int] | None:
        """Each drive channel's calibrated neutral duty (mid_ns), read from the servo node at most every few
        seconds (the readout asks on every poll); None when it does not answer."""

    @abstractmethod
    def camera_status(self) -> CameraView | None: ...

    @abstractmethod
    def stage_stats(self) -> dict[str, StageView]: ...

    @abstractmethod
    def lidar_connected(self) -> bool:
        """True while something publishes /scan."""

    @abstractmethod
    def robot_log(self) -> list[LogLine]:
        """The /rosout records collected so far, oldest first (bounded)."""

    # Commands: return on success, raise BridgeError otherwise.
    @abstractmethod
    def load_model(self, model_dir: str) -> None:
        """Ask inference to load; returns once the request is accepted (progress: model_state)."""

    @abstractmethod
    def set_navigation_started(self, started: bool) -> None: ...

    @abstractmethod
    def set_drive_mode(self, mode: str) -> None: ...

    @abstractmethod
    def set_max_speed(self, max_speed: float) -> None: ...

    @abstractmethod
    def emergency_stop(self) -> None: ...

    @abstractmethod
    def reset_emergency_stop(self) -> None: ...

    @abstractmethod
    def manual_drive(self, angle: float, throttle: float) -> None:
        """Publish one manual command now (stamped now); never re-sent."""

    @abstractmethod
    def raw_pwm(self, channel: str, duty_ns: int) -> None: ...

    @abstractmethod
    def servo_reachable(self) -> bool:
        """True once the servo node hears the raw values sent here and its reports of writes reach here (both
        ends discovered): until then a wheel move cannot be confirmed however long one waits for its write."""

    @abstractmethod
    def get_calibration(self, channel: str) -> CalibrationNs: ...

    @abstractmethod
    def set_calibration(self, channel: str, calibration: CalibrationNs) -> None: ...

    @abstractmethod
    def get_led_color(self) -> tuple[int, int, int]: ...

    @abstractmethod
    def set_led_color(self, red: int, green: int, blue: int) -> None: ...

    @abstractmethod
    def set_video(self, on: bool) -> None: ...

    # The action rate: the inference node's max_rate_hz (0 = every camera frame), through its parameter service.
    @abstractmethod
    def action_rate_hz(self) -> float:
        """The value in force, read from the inference node now."""

    @abstractmethod
    def set_action_rate_hz(self, max_rate_hz: float) -> None:
        """Put a new value in force; BridgeError with the inference node's reason when it refuses."""

    @abstractmethod
    def autonomous_timeout_s(self) -> float | None:
        """Navigation's autonomous_timeout_s in force (what a new action rate must keep fed); None when navigation
        does not answer."""

    @abstractmethod
    def announce_racer(self, racer: str) -> None:
        """Tell the car who drives now ("" when nobody is known): the logging node names and splits runs by it."""

    @abstractmethod
    def watch_display(self, on_frame: Callable[[bytes], None]) -> Callable[[], None]:
        """Subscribe to the camera's display JPEGs; returns the function that unsubscribes."""

    # The closed-loop simulator, when one runs (a real car has none).
    @abstractmethod
    def sim_state(self) -> SimStateView | None:
        """The simulator's latest state; None when no simulator runs."""

    @abstractmethod
    def sim_reset(self) -> None:
        """Put the simulated car back on the start line, laps cleared."""


def require_navigation(bridge: RobotBridge) -> NavigationView:
    """Navigation's latest state, or the BridgeError (503) a view answers when it has never been heard."""
    state = bridge.navigation_state()
    if state is None:
        raise BridgeError("the navigation node has not reported its state yet: is it running?", unavailable=True)
    return state
