"""The real robot bridge: ROS 2 services, topics and latched state behind `RobotBridge`.

Flask calls arrive on the web server's worker threads while the node's executor spins in the main
thread; each service call waits with a deadline (`service_timeout_s`, `deepracer_common_pkg.service_call`, the
one helper every client uses), so a missing or stuck node gives the user a 503 with a reason, never a page
that hangs. Latched states are kept as the latest message from their subscriptions.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from rcl_interfaces.msg import Log, Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import GetParameters, SetParameters
from rclpy.node import Node
from rclpy.parameter import parameter_value_to_python
from rclpy.qos import qos_profile_rosout_default
from std_msgs.msg import String
from std_srvs.srv import SetBool, Trigger

from deepracer_common_pkg import names, qos, service_call
from deepracer_common_pkg.stack_clock import StackClock
from deepracer_interfaces_pkg.msg import (
    CameraStatus,
    DriveCommand,
    ModelState,
    NavigationState,
    PwmWritten,
    PwmWrittenBatch,
    RawPwm,
    SimState,
    StageStats,
)
from deepracer_interfaces_pkg.srv import (
    GetCalibration,
    GetLedColor,
    LoadModel,
    SetCalibration,
    SetDriveMode,
    SetLedColor,
    SetMaxSpeed,
)
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
from webserver_pkg.robot.command_readout import CommandReadout
from webserver_pkg.robot.display_watch import DisplayWatch
from webserver_pkg.services.log_sources import MAX_LINES

STAGES = ("camera", "inference", "navigation", "servo")
LOG_LEVELS = {10: "DEBUG", 20: "INFO", 30: "WARN", 40: "ERROR", 50: "FATAL"}
# The readout asks for the calibrated neutral on every poll; the servo node is asked at most this often.
NEUTRAL_REFRESH_S = 5.0
# After a reset the simulator answered, how long its new state may take to reach this node before the answer goes on
# (a lost state message only leaves the old one shown, as before: the simulator publishes its state again as it runs).
SIM_RESET_SHOWN_S = 1.0
# The readout's frame-rate topics (a command and a write per camera frame while driving) are subscribed only while a
# page reads them, and dropped this long after the last read: each message costs this process a wake-up.
READOUT_IDLE_S = 10.0


def model_view(msg: ModelState) -> ModelStateView:
    return ModelStateView(state=msg.state, model_name=msg.model_name, model_dir=msg.model_dir, reason=msg.reason,
                          load_seconds=msg.load_seconds)


def navigation_view(msg: NavigationState) -> NavigationView:
    return NavigationView(msg.mode, msg.started, msg.emergency_stop, msg.max_speed, msg.model_name,
                          msg.model_ready, msg.last_command_age_s, msg.neutral_reason, msg.run_started_ns)


def camera_view(msg: CameraStatus) -> CameraView:
    return CameraView(msg.connected, msg.stereo, msg.video_on, msg.fps, msg.width, msg.height, msg.source,
                      msg.error)


def sim_view(msg: SimState) -> SimStateView:
    return SimStateView(msg.track, msg.laps, tuple(msg.lap_times_s), msg.off_track, msg.progress, msg.on_track,
                        msg.x, msg.y, msg.yaw, msg.speed_m_s)


def log_line(msg: Log) -> LogLine:
    return LogLine(msg.stamp.sec + msg.stamp.nanosec * 1e-9, LOG_LEVELS.get(msg.level, str(msg.level)),
                   msg.name, msg.msg)


class RosBridge(RobotBridge):
    def __init__(self, node: Node, service_timeout_s: float) -> None:
        self._node = node
        self._timeout_s = service_timeout_s
        self._clock = StackClock(node)
        self._lock = threading.Lock()
        self._sim_heard = threading.Condition(self._lock)
        self._model: ModelStateView | None = None
        self._navigation: NavigationView | None = None
        self._camera: CameraView | None = None
        self._sim: SimStateView | None = None
        self._stages: dict[str, tuple[StageStats, float]] = {}
        self._log: deque[LogLine] = deque(maxlen=MAX_LINES)
        self._neutral: tuple[dict[str, int] | None, float] | None = None  # (value, when read)

        node.create_subscription(ModelState, names.INFERENCE_MODEL_STATE, self._on_model, qos.LATCHED)
        node.create_subscription(NavigationState, names.NAVIGATION_STATE,
                                 lambda m: self._set("_navigation", navigation_view(m)), qos.LATCHED)
        node.create_subscription(CameraStatus, names.CAMERA_STATUS,
                                 lambda m: self._set("_camera", camera_view(m)), qos.LATCHED)
        node.create_subscription(SimState, names.SIM_STATE, self._on_sim, qos.LATCHED)
        for stage in STAGES:
            node.create_subscription(StageStats, names.telemetry_topic(stage), self._on_stats, qos.TELEMETRY)
        node.create_subscription(Log, "/rosout", self._on_log, qos_profile_rosout_default)
        self._servo_cmd = CommandReadout(node)  # on navigation's local link, sampled
        # The servo node's writes as it batches them for the logger (a few messages a second), not each write: a
        # reader of each made the servo node send one over DDS per frame, for a readout shown twice a second.
        self._written = OnDemand(node, PwmWrittenBatch, names.SERVO_PWM_WRITTEN_BATCH, qos.REPORTS,
                                 newest=_newest_write)
        node.create_timer(READOUT_IDLE_S / 2, self._drop_unread)

        self._manual = node.create_publisher(DriveCommand, names.MANUAL_DRIVE, qos.COMMAND)
        self._raw_pwm = node.create_publisher(RawPwm, names.SERVO_RAW_PWM, qos.COMMAND)
        self._racer = node.create_publisher(String, names.CONSOLE_CURRENT_RACER, qos.LATCHED)
        self._clients: dict[str, Any] = {}
        for srv_type, name in (
            (LoadModel, names.INFERENCE_LOAD_MODEL),
            (SetBool, names.NAVIGATION_START_STOP), (SetDriveMode, names.NAVIGATION_SET_DRIVE_MODE),
            (SetMaxSpeed, names.NAVIGATION_SET_MAX_SPEED), (Trigger, names.NAVIGATION_EMERGENCY_STOP),
            (Trigger, names.NAVIGATION_RESET_EMERGENCY_STOP), (GetCalibration, names.SERVO_GET_CALIBRATION),
            (SetCalibration, names.SERVO_SET_CALIBRATION), (GetLedColor, names.SERVO_GET_LED_COLOR),
            (SetLedColor, names.SERVO_SET_LED_COLOR), (SetBool, names.CAMERA_MEDIA_STATE),
            (Trigger, names.SIM_RESET), (GetParameters, names.INFERENCE_GET_PARAMETERS),
            (SetParameters, names.INFERENCE_SET_PARAMETERS), (GetParameters, names.NAVIGATION_GET_PARAMETERS),
        ):
            self._clients[name] = node.create_client(srv_type, name)

    # --- state ---------------------------------------------------------------------------------

    def _set(self, attribute: str, value: object) -> None:
        with self._lock:
            setattr(self, attribute, value)

    def _on_sim(self, msg: SimState) -> None:
        with self._sim_heard:
            self._sim = sim_view(msg)
            self._sim_heard.notify_all()

    def _on_model(self, msg: ModelState) -> None:
        with self._lock:
            self._model = heard(model_view(msg), self._model)

    def _on_stats(self, msg: StageStats) -> None:
        with self._lock:
            self._stages[msg.stage] = (msg, time.monotonic())

    def _on_log(self, msg: Log) -> None:
        with self._lock:
            self._log.append(log_line(msg))

    def model_state(self) -> ModelStateView | None:
        with self._lock:
            return self._model

    def navigation_state(self) -> NavigationView | None:
        with self._lock:
            return self._navigation

    def camera_status(self) -> CameraView | None:
        with self._lock:
            return self._camera

    def stage_stats(self) -> dict[str, StageView]:
        now = time.monotonic()
        with self._lock:
            stages = dict(self._stages)
        return {name: StageView(name, msg.rate_hz, msg.latency_p50_ms, msg.latency_p95_ms, msg.count,
                                msg.dropped, now - received)
                for name, (msg, received) in stages.items()}

    def now_ns(self) -> int:
        return self._clock.now_ns()

    def close(self) -> None:
        """The node is going: the readout's link to navigation ends before the node does."""
        self._servo_cmd.close()

    def _drop_unread(self) -> None:
        for readout in (self._servo_cmd, self._written):
            readout.drop_if_unread(READOUT_IDLE_S)

    def servo_command(self) -> ServoCommandView | None:
        heard = self._servo_cmd.latest()
        if heard is None:
            return None
        msg, received = heard
        return ServoCommandView(msg.angle, msg.throttle, time.monotonic() - received)

    def pwm_written(self) -> PwmWrittenView | None:
        heard = self._written.latest()
        if heard is None:
            return None
        msg, received = heard
        return PwmWrittenView(msg.steering_ns, msg.throttle_ns, msg.enabled, msg.reason, time.monotonic() - received)

    def calibrated_neutral(self) -> dict[str, int] | None:
        """A failed read is kept for NEUTRAL_REFRESH_S too, so a servo node that is gone costs a poll one
        service timeout every few seconds, not every time."""
        with self._lock:
            cached = self._neutral
        if cached is not None and time.monotonic() - cached[1] < NEUTRAL_REFRESH_S:
            return cached[0]
        try:
            value: dict[str, int] | None = {channel: self.get_calibration(channel).mid_ns for channel in CHANNELS}
        except BridgeError:
            value = None
        self._set("_neutral", (value, time.monotonic()))
        return value

    def sim_state(self) -> SimStateView | None:
        """A latched state outlives its publisher: only a simulator that is still there counts."""
        if self._node.count_publishers(names.SIM_STATE) == 0:
            return None
        with self._lock:
            return self._sim

    def lidar_connected(self) -> bool:
        return self._node.count_publishers(names.LIDAR_SCAN) > 0

    def robot_log(self) -> list[LogLine]:
        with self._lock:
            return list(self._log)

    # --- services ------------------------------------------------------------------------------

    def _call(self, name: str, request: Any) -> Any:
        try:
            return service_call.call(self._clients[name], request, self._timeout_s)
        except service_call.ServiceCallError as error:
            raise BridgeError(str(error), unavailable=True) from None

    def _command(self, name: str, request: Any) -> None:
        """Call a service whose response has success plus reason (ours) or message (std_srvs)."""
        refusal = service_call.refusal(self._call(name, request))
        if refusal:
            raise BridgeError(refusal)

    def load_model(self, model_dir: str) -> None:
        self._command(names.INFERENCE_LOAD_MODEL, LoadModel.Request(model_dir=model_dir))

    def set_navigation_started(self, started: bool) -> None:
        self._command(names.NAVIGATION_START_STOP, SetBool.Request(data=started))

    def set_drive_mode(self, mode: str) -> None:
        self._command(names.NAVIGATION_SET_DRIVE_MODE, SetDriveMode.Request(mode=mode))

    def set_max_speed(self, max_speed: float) -> None:
        self._command(names.NAVIGATION_SET_MAX_SPEED, SetMaxSpeed.Request(max_speed=max_speed))

    def emergency_stop(self) -> None:
        self._command(names.NAVIGATION_EMERGENCY_STOP, Trigger.Request())

    def reset_emergency_stop(self) -> None:
        self._command(names.NAVIGATION_RESET_EMERGENCY_STOP, Trigger.Request())

    def get_calibration(self, channel: str) -> CalibrationNs:
        response = self._call(names.SERVO_GET_CALIBRATION, GetCalibration.Request(channel=channel))
        if not response.success:
            raise BridgeError(response.reason or "the servo node refused")
        return CalibrationNs(response.min_ns, response.mid_ns, response.max_ns, response.polarity)

    def set_calibration(self, channel: str, calibration: CalibrationNs) -> None:
        try:
            self._command(names.SERVO_SET_CALIBRATION, SetCalibration.Request(
                channel=channel, min_ns=calibration.min_ns, mid_ns=calibration.mid_ns, max_ns=calibration.max_ns,
                polarity=calibration.polarity))
        finally:  # after the call: a readout poll during it would cache the old neutral again
            self._set("_neutral", None)

    def get_led_color(self) -> tuple[int, int, int]:
        response = self._call(names.SERVO_GET_LED_COLOR, GetLedColor.Request())
        return response.red, response.green, response.blue

    def set_led_color(self, red: int, green: int, blue: int) -> None:
        self._command(names.SERVO_SET_LED_COLOR, SetLedColor.Request(red=red, green=green, blue=blue))

    def announce_racer(self, racer: str) -> None:
        self._racer.publish(String(data=racer))

    def set_video(self, on: bool) -> None:
        self._command(names.CAMERA_MEDIA_STATE, SetBool.Request(data=on))

    def sim_reset(self) -> None:
        """The simulator publishes its new state before it answers, but the two reach this node on separate DDS
        channels, in either order: the answer waits (up to SIM_RESET_SHOWN_S) for a state with no laps and no
        off-track, so the state read next shows the reset (a fresh clone's test read the laps before it)."""
        self._command(names.SIM_RESET, Trigger.Request())
        with self._sim_heard:
            self._sim_heard.wait_for(lambda: self._sim is not None and self._sim.laps == 0 and self._sim.off_track == 0,
                                     SIM_RESET_SHOWN_S)

    def _parameter(self, service: str, name: str) -> Any:
        values = self._call(service, GetParameters.Request(names=[name])).values
        if not values or values[0].type == ParameterType.PARAMETER_NOT_SET:
            raise BridgeError(f"{service.rsplit('/', 1)[0]} has no parameter {name}")
        return parameter_value_to_python(values[0])

    def action_rate_hz(self) -> float:
        return float(self._parameter(names.INFERENCE_GET_PARAMETERS, "max_rate_hz"))

    def set_action_rate_hz(self, max_rate_hz: float) -> None:
        value = ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=max_rate_hz)
        request = SetParameters.Request(parameters=[Parameter(name="max_rate_hz", value=value)])
        result = self._call(names.INFERENCE_SET_PARAMETERS, request).results[0]
        if not result.successful:
            raise BridgeError(result.reason or "the inference node refused, without a reason")

    def autonomous_timeout_s(self) -> float | None:
        try:
            return float(self._parameter(names.NAVIGATION_GET_PARAMETERS, "autonomous_timeout_s"))
        except (BridgeError, TypeError, ValueError):
            return None

    # --- topics --------------------------------------------------------------------------------

    def manual_drive(self, angle: float, throttle: float) -> None:
        msg = DriveCommand(angle=angle, throttle=throttle)
        msg.header.stamp = self._clock.stamp()
        self._manual.publish(msg)

    def raw_pwm(self, channel: str, duty_ns: int) -> None:
        self._raw_pwm.publish(RawPwm(channel=channel, duty_ns=duty_ns))

    def servo_reachable(self) -> bool:
        return self._raw_pwm.get_subscription_count() > 0 and self._written.matched_publishers() > 0

    def watch_display(self, on_frame: Callable[[bytes], None]) -> Callable[[], None]:
        return DisplayWatch(self._node, on_frame).close


class OnDemand:
    """The newest message of a topic and when it came, subscribed only while someone reads it (`latest`); a read
    after a pause subscribes again, and answers None until a message arrives. Safe from any thread."""

    def __init__(self, node: Node, msg_type: type, topic: str, qos_profile: Any,
                 newest: Callable[[Any], Any] = lambda message: message) -> None:
        """`newest`: what of a message to keep (None: nothing new in it)."""
        self._node, self._type, self._topic, self._qos = node, msg_type, topic, qos_profile
        self._newest = newest
        self._lock = threading.Lock()
        self._subscription = None
        self._heard: tuple[Any, float] | None = None
        self._read_at = 0.0

    def _subscribed(self):
        """Under the lock."""
        self._read_at = time.monotonic()
        if self._subscription is None:
            self._subscription = self._node.create_subscription(self._type, self._topic, self._on_message,
                                                                self._qos)
        return self._subscription

    def _on_message(self, message: Any) -> None:
        kept = self._newest(message)
        if kept is None:
            return
        with self._lock:
            self._heard = (kept, time.monotonic())

    def latest(self) -> tuple[Any, float] | None:
        with self._lock:
            self._subscribed()
            return self._heard

    def matched_publishers(self) -> int:
        with self._lock:
            return self._subscribed().get_publisher_count()

    def drop_if_unread(self, idle_s: float) -> None:
        with self._lock:
            if self._subscription is not None and time.monotonic() - self._read_at > idle_s:
                self._node.destroy_subscription(self._subscription)
                self._subscription, self._heard = None, None


def _newest_write(batch: PwmWrittenBatch) -> PwmWritten | None:
    """A batch's last write: it went out with it (a batch is sent as a write joins it), so heard = written."""
    return batch.writes[-1] if batch.writes else None
