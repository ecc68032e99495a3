"""The robot in this process, for console tests and tools with no ROS graph: the real cores behind `RobotBridge`.

Navigation is the navigation node's own state machine (`navigation_pkg.drive_control.DriveControl`, default
parameters); loading a model runs the inference package's own checks (`model_package.resolve`, and the
install's graph check `package_check.validate_package`, in its child process) and the model-load rule both nodes
call (`drive_rules.model_load_refusal`);
inference runs exactly while `drive_rules.policy_runs` says so; calibration values are accepted only when
the servo package's `ChannelCalibration` accepts them. So a rule changed in a core changes what the console
tests see; nothing here re-implements one. (It replaces tests/webserver/fake_robot.py, which wrote those rules
again by hand and had drifted from them: it refused an autonomous start that the real DriveControl accepts.)

Navigation's commands go where its node sends them: they are the readout's commanded values, and the servo
package's own `duty_ns` turns them into the written duty cycles with this robot's calibration. The watchdog
(`DriveControl.tick`, every 50 ms in the node) runs whenever navigation's state is read, so a silent drive pad
puts the car to neutral here as it does on the car, by the time anyone looks.

What cannot exist without the graph is kept as plain state a test may set: the camera status, stage
telemetry, /rosout lines, the LiDAR flag, the simulator's state, the tail light. For faults, `unavailable`
makes named methods fail as if their node were down, and `fail_next_load` makes the next load end in the
inference node's error with that reason; `load_gate`, when set, holds every load until it is set (a slow load).
`publish_policy` stands in for the inference node's output on a frame. Every call is recorded in `calls`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from deepracer_common_pkg.car_clock import boot_ns
from deepracer_common_pkg.drive_rules import model_load_refusal, policy_runs, rate_change_refusal
from deepracer_common_pkg.vocabulary import CALIBRATION
from inference_pkg.config import InferenceConfig
from inference_pkg.metadata import ModelPackageError
from inference_pkg.package_check import validate_package
from navigation_pkg.config import NavigationConfig
from navigation_pkg.drive_control import DriveControl, Outcome
from servo_pkg.pwm_math import DEFAULT_STEERING, DEFAULT_THROTTLE, ChannelCalibration, duty_ns
from webserver_pkg.robot.bridge import (
    CHANNELS,
    BridgeError,
    CalibrationNs,
    CameraView,
    LogLine,
    ModelStateView,
    NavigationView,
    PwmWrittenView,
    RobotBridge,
    ServoCommandView,
    SimStateView,
    StageView,
    heard,
)

DEFAULT_LED = (0, 0, 255)  # the original car's tail light: blue


def _calibration(values: ChannelCalibration) -> CalibrationNs:
    return CalibrationNs(values.min_ns, values.mid_ns, values.max_ns, values.polarity)


class InProcessRobot(RobotBridge):
    def __init__(self) -> None:
        self.fail_next_load: str | None = None
        self.load_gate: threading.Event | None = None
        self.unavailable: set[str] = set()
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.navigation_config = NavigationConfig()
        self.drive = DriveControl(self.navigation_config, monotonic_ns=boot_ns, stamp_ns=boot_ns)
        self.navigation_heard = True  # False: as before the navigation node's first state message
        self.servo_discovered = True  # False: as before DDS discovery matched the servo node's raw and written topics
        self._model = ModelStateView(state="idle")
        self.camera: CameraView | None = CameraView(connected=True, video_on=True, fps=15.0, width=480,
                                                    height=360, source="in-process")
        self.stages: dict[str, StageView] = {}
        self.lidar = False
        self.log: list[LogLine] = []
        self.calibration = {"steering": _calibration(DEFAULT_STEERING), "throttle": _calibration(DEFAULT_THROTTLE)}
        self.led = DEFAULT_LED
        self.racers_announced: list[str] = []  # what the logging node would have heard, in order
        self.manual_commands: list[tuple[float, float]] = []
        self.raw_pwm_commands: list[tuple[str, int]] = []
        self.sim: SimStateView | None = None  # None: no simulator runs, as on a real car
        self.action_rate = InferenceConfig().max_rate_hz  # the inference node's max_rate_hz in force
        self._commanded: tuple[float, float, float] | None = None  # angle, throttle, monotonic s when sent
        self._written: tuple[int, int, float] | None = None  # steering_ns, throttle_ns, monotonic s when written
        self._frame_listeners: dict[int, Callable[[bytes], None]] = {}
        self._next_listener = 0
        self._lock = threading.RLock()

    # --- test handles ------------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[tuple[Any, ...]]:
        with self._lock:
            return [args for name, args in self.calls if name == method]

    def call_names(self) -> list[str]:
        with self._lock:
            return [name for name, _ in self.calls]

    def publish_frame(self, jpeg: bytes) -> None:
        with self._lock:
            listeners = list(self._frame_listeners.values())
        for listener in listeners:
            listener(jpeg)

    @property
    def display_subscribers(self) -> int:
        with self._lock:
            return len(self._frame_listeners)

    @property
    def navigation(self) -> NavigationView:
        """Navigation's state as its node publishes it (its watchdog has just run)."""
        with self._lock:
            self._watchdog()
            state = self.drive.state()
        return NavigationView(state.mode, state.started, state.emergency_stop, state.max_speed, state.model_name,
                              state.model_ready, state.last_command_age_s, state.neutral_reason,
                              state.run_started_ns)

    @property
    def policy_running(self) -> bool:
        """Whether the inference node would be running the policy now (it follows navigation's state)."""
        navigation = self.navigation
        return self._model.state == "loaded" and navigation.model_ready \
            and policy_runs(navigation.mode, navigation.started)

    @property
    def model(self) -> ModelStateView:
        return self._model

    @model.setter
    def model(self, state: ModelStateView) -> None:
        """What the inference node reports; navigation learns of it as from the latched topic."""
        with self._lock:
            self._model = heard(state, self._model)
            if state.state != "loaded":
                self.drive.set_model(None, "", state.reason or f"model {state.state}")

    def _record(self, method: str, *args: Any) -> None:
        with self._lock:
            self.calls.append((method, args))
            if method in self.unavailable:
                raise BridgeError(f"in-process robot: {method} is not available", unavailable=True)

    def _watchdog(self) -> None:
        """The navigation node's watchdog timer, as it would have run by now on the car."""
        with self._lock:
            self._apply(self.drive.tick())

    def _apply(self, outcome: Outcome) -> None:
        """What the navigation node publishes for `outcome`, and what the servo node writes for it."""
        command = outcome.command
        if command is None:
            return
        now = time.monotonic()
        with self._lock:
            self._commanded = (command.angle, command.throttle, now)
            self._written = (duty_ns(command.angle, self._servo_calibration("steering")),
                             duty_ns(command.throttle, self._servo_calibration("throttle")), now)

    def _servo_calibration(self, channel: str) -> ChannelCalibration:
        values = self.calibration[channel]
        return ChannelCalibration(values.min_ns, values.mid_ns, values.max_ns, values.polarity)

    def _answer(self, outcome: Outcome) -> None:
        self._apply(outcome)
        if not outcome.accepted:
            raise BridgeError(outcome.reason)

    # --- state -------------------------------------------------------------------------------------

    def model_state(self) -> ModelStateView | None:
        return self._model

    def now_ns(self) -> int:
        return boot_ns()  # the car's clock: what the real cores here are given

    def navigation_state(self) -> NavigationView | None:
        return self.navigation if self.navigation_heard else None

    def servo_command(self) -> ServoCommandView | None:
        self._watchdog()
        with self._lock:
            heard = self._commanded
        return None if heard is None else ServoCommandView(heard[0], heard[1], time.monotonic() - heard[2])

    def pwm_written(self) -> PwmWrittenView | None:
        self._watchdog()
        with self._lock:
            heard = self._written
        return None if heard is None else PwmWrittenView(heard[0], heard[1], True, "command",
                                                         time.monotonic() - heard[2])

    def calibrated_neutral(self) -> dict[str, int] | None:
        return {channel: self.calibration[channel].mid_ns for channel in CHANNELS}

    def camera_status(self) -> CameraView | None:
        return self.camera

    def stage_stats(self) -> dict[str, StageView]:
        return dict(self.stages)

    def lidar_connected(self) -> bool:
        return self.lidar

    def robot_log(self) -> list[LogLine]:
        return list(self.log)

    def sim_state(self) -> SimStateView | None:
        return self.sim

    def sim_reset(self) -> None:
        self._record("sim_reset")
        with self._lock:
            if self.sim is None:
                raise BridgeError("in-process robot: no simulator", unavailable=True)
            self.sim = replace(self.sim, laps=0, lap_times_s=(), off_track=0, progress=0.0, on_track=True)

    # --- commands ----------------------------------------------------------------------------------

    def load_model(self, model_dir: str) -> None:
        """As the inference node answers /inference_pkg/load_model: refuse now, or accept and load in the
        background (model_state goes loading -> loaded or error)."""
        self._record("load_model", model_dir)
        refusal = model_load_refusal(self.navigation.started)
        if refusal:
            raise BridgeError(refusal)
        folder = Path(model_dir)
        if not folder.is_dir():
            raise BridgeError(f"no model folder {folder}: install the model first")
        with self._lock:
            self.model = ModelStateView(state="loading", model_name=folder.name, model_dir=model_dir)
            failure, self.fail_next_load = self.fail_next_load, None
        threading.Thread(target=self._load, args=(folder, failure), daemon=True).start()

    def _load(self, folder: Path, failure: str | None) -> None:
        started = time.monotonic()
        gate = self.load_gate
        if gate is not None:
            gate.wait(60)
        try:
            if failure:
                raise ModelPackageError(failure)
            metadata, _ = validate_package(folder)
        except ModelPackageError as error:
            self.model = ModelStateView(state="error", model_name=folder.name, model_dir=str(folder),
                                        reason=str(error))
            return
        with self._lock:
            self._model = heard(ModelStateView(state="loaded", model_name=folder.name, model_dir=str(folder),
                                               reason="; ".join(metadata.warnings),
                                               load_seconds=time.monotonic() - started), self._model)
            self.drive.set_model(metadata.action_space, folder.name)

    def set_navigation_started(self, started: bool) -> None:
        self._record("set_navigation_started", started)
        with self._lock:
            self._answer(self.drive.start() if started else self.drive.stop())

    def set_drive_mode(self, mode: str) -> None:
        self._record("set_drive_mode", mode)
        with self._lock:
            self._answer(self.drive.set_mode(mode))

    def set_max_speed(self, max_speed: float) -> None:
        self._record("set_max_speed", max_speed)
        with self._lock:
            self._answer(self.drive.set_max_speed(max_speed))

    def emergency_stop(self) -> None:
        self._record("emergency_stop")
        with self._lock:
            self._answer(self.drive.trigger_emergency_stop())

    def reset_emergency_stop(self) -> None:
        self._record("reset_emergency_stop")
        with self._lock:
            self._answer(self.drive.reset_emergency_stop())

    def publish_policy(self, outputs: list[float]) -> None:
        """The inference node's output for a frame captured now, for the loaded model: navigation decides
        (DriveControl.on_policy) whether it drives."""
        with self._lock:
            self._apply(self.drive.on_policy(outputs, boot_ns(), self.drive.state().model_name))

    def manual_drive(self, angle: float, throttle: float) -> None:
        """Published, never answered: navigation decides (DriveControl.on_manual) whether it drives."""
        self._record("manual_drive", angle, throttle)
        with self._lock:
            self.manual_commands.append((angle, throttle))
            self._apply(self.drive.on_manual(angle, throttle, boot_ns()))

    def raw_pwm(self, channel: str, duty_ns: int) -> None:
        """Written as the servo node writes it (ServoCore.raw): only in calibration mode, the other channel kept."""
        self._record("raw_pwm", channel, duty_ns)
        with self._lock:
            self.raw_pwm_commands.append((channel, duty_ns))
            if self.drive.state().mode != CALIBRATION or not self.servo_discovered:
                return
            last = self._written or (self.calibration["steering"].mid_ns, self.calibration["throttle"].mid_ns, 0.0)
            self._written = (duty_ns if channel == "steering" else last[0],
                             duty_ns if channel == "throttle" else last[1], time.monotonic())

    def servo_reachable(self) -> bool:
        return self.servo_discovered

    def get_calibration(self, channel: str) -> CalibrationNs:
        self._record("get_calibration", channel)
        if channel not in CHANNELS:
            raise BridgeError(f"unknown channel {channel!r}; expected one of {CHANNELS}")
        return self.calibration[channel]

    def set_calibration(self, channel: str, calibration: CalibrationNs) -> None:
        self._record("set_calibration", channel, calibration)
        if channel not in CHANNELS:
            raise BridgeError(f"unknown channel {channel!r}; expected one of {CHANNELS}")
        try:
            ChannelCalibration(calibration.min_ns, calibration.mid_ns, calibration.max_ns, calibration.polarity)
        except ValueError as error:
            raise BridgeError(f"calibration not changed: {error}") from None
        with self._lock:
            self.calibration[channel] = calibration

    def get_led_color(self) -> tuple[int, int, int]:
        self._record("get_led_color")
        return self.led

    def set_led_color(self, red: int, green: int, blue: int) -> None:
        self._record("set_led_color", red, green, blue)
        self.led = (red, green, blue)

    def announce_racer(self, racer: str) -> None:
        self.racers_announced.append(racer)

    def set_video(self, on: bool) -> None:
        self._record("set_video", on)
        with self._lock:
            if self.camera is not None:
                self.camera = replace(self.camera, video_on=on)

    def action_rate_hz(self) -> float:
        self._record("action_rate_hz")
        return self.action_rate

    def set_action_rate_hz(self, max_rate_hz: float) -> None:
        """As the inference node answers a change of its max_rate_hz: its config's validation, then its refusal
        while the car is started."""
        self._record("set_action_rate_hz", max_rate_hz)
        try:
            InferenceConfig(max_rate_hz=max_rate_hz)
        except ValueError as error:
            raise BridgeError(str(error)) from None
        refusal = rate_change_refusal(self.navigation.started)
        if refusal:
            raise BridgeError(refusal)
        self.action_rate = max_rate_hz

    def autonomous_timeout_s(self) -> float | None:
        self._record("autonomous_timeout_s")
        return self.navigation_config.autonomous_timeout_s

    def watch_display(self, on_frame: Callable[[bytes], None]) -> Callable[[], None]:
        self._record("watch_display")
        with self._lock:
            key = self._next_listener
            self._next_listener += 1
            self._frame_listeners[key] = on_frame

        def unsubscribe() -> None:
            with self._lock:
                self._frame_listeners.pop(key, None)
        return unsubscribe
