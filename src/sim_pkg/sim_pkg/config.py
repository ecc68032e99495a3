"""The simulator node's parameters: names, laptop defaults and validation in one frozen dataclass."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim_pkg.tracks import TRACKS
from sim_pkg.vehicle import ESC_TIME_CONSTANT_S, SERVO_SLEW_RAD_S

CLOCK_MODES = ("realtime", "lockstep")


def _check_number(name: str, value: object, low: float, high: float, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise ValueError(f"{name}={value!r} is out of range; allowed {low:g}..{high:g} {unit}")


@dataclass(frozen=True)
class SimConfig:
    # Which track: reinvent_base (the re:Invent 2018 track) or synthetic_loop.
    track: str = "reinvent_base"
    # The folder holding pwmchip0/ that the servo node writes (its simulated_output_dir): the car's "wires".
    pwm_dir: str = "~/.deepracer/sim_pwm"
    # The car's true calibration: read once at start, as the physical servo and ESC are at that moment (a
    # restarted simulator takes the file as it then is, right or wrong).
    calibration_path: str = "~/.deepracer/calibration.json"
    # Physics steps per second; each step reads the PWM files and publishes the pose.
    rate_hz: float = 50.0
    # Speed at full calibrated forward throttle. 2 m/s = the sample models' fastest action, so at maximum
    # speed 100 % the model's fastest action drives about as fast as it was trained to.
    top_speed_m_s: float = 2.0
    servo_slew_deg_s: float = math.degrees(SERVO_SLEW_RAD_S)
    esc_time_constant_s: float = ESC_TIME_CONSTANT_S
    # After leaving the track the car stands this long, then is put back where it left.
    reset_pause_s: float = 1.0
    # How often the race state goes to the console (per second of simulated time).
    state_rate_hz: float = 10.0
    # The simulator is the stack's clock (/clock). realtime: simulated time follows the wall clock (make run, the
    # console's track card). lockstep: as fast as the stack allows: while a run drives, a frame rendered at time t
    # is answered by the stack (the servo node's write stamped t) before time goes on, and its duty cycles reach the
    # car at t + actuation_latency_s; simulated time never passes while the stack thinks (deepracer-eval).
    clock_mode: str = "realtime"
    # The simulated car's camera: pictures rendered per second of simulated time (the DeepRacer's training
    # rate is 15), at the camera's capture size; the camera node's `sim` source receives them.
    camera_fps: float = 15.0
    camera_width: int = 640
    camera_height: int = 480
    # lockstep: from a frame's capture to its duty cycles on the car (the car-class benchmark's end-to-end median
    # at 15 fps on the DeepRacer's CPU, emulated: README "Benchmarks").
    actuation_latency_s: float = 0.015
    # lockstep: how long (wall clock) to wait for the stack's answer to a frame before time goes on without it
    # (counted in SimState.unanswered_frames: such a run is not reproducible).
    lockstep_wait_s: float = 5.0

    def __post_init__(self) -> None:
        if self.track not in TRACKS:
            raise ValueError(f"track={self.track!r} is not a track here; choose one of {', '.join(TRACKS)}")
        for name in ("pwm_dir", "calibration_path"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{name} must be a non-empty path")
        _check_number("rate_hz", self.rate_hz, 5.0, 1000.0, "steps per second")
        _check_number("top_speed_m_s", self.top_speed_m_s, 0.1, 10.0, "m/s")
        _check_number("servo_slew_deg_s", self.servo_slew_deg_s, 1.0, 10000.0, "degrees per second")
        _check_number("esc_time_constant_s", self.esc_time_constant_s, 0.0, 5.0, "s")
        _check_number("reset_pause_s", self.reset_pause_s, 0.0, 30.0, "s")
        _check_number("state_rate_hz", self.state_rate_hz, 0.5, 50.0, "per second")
        if self.clock_mode not in CLOCK_MODES:
            raise ValueError(f"clock_mode={self.clock_mode!r}; choose one of {', '.join(CLOCK_MODES)}")
        _check_number("camera_fps", self.camera_fps, 1.0, 120.0, "frames per second")
        if not self.rate_hz >= self.camera_fps:
            raise ValueError(f"rate_hz={self.rate_hz:g} must be at least camera_fps={self.camera_fps:g}: a frame "
                             "is rendered at a physics step")
        for name in ("camera_width", "camera_height"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 16 <= value <= 4096:
                raise ValueError(f"{name}={value!r} must be a whole number of pixels in 16..4096")
        _check_number("actuation_latency_s", self.actuation_latency_s, 0.0, 1.0, "s")
        _check_number("lockstep_wait_s", self.lockstep_wait_s, 0.1, 600.0, "s")
