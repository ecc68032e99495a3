"""Test-side view of a running navigation node: feed it like the inference node and the console do,
and watch what it sends to the servo, all over real DDS."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from std_srvs.srv import SetBool, Trigger

from deepracer_common_pkg import action_space_msg, names, qos
from deepracer_common_pkg.action_space import ActionSpace
from deepracer_common_pkg.car_clock import boot_ns
from deepracer_common_pkg.stamps import from_ns, to_ns
from deepracer_interfaces_pkg.msg import (
    DriveCommand,
    InferenceResult,
    ModelState,
    NavigationState,
    StageStats,
)
from deepracer_interfaces_pkg.srv import SetDriveMode, SetMaxSpeed
from support.rosgraph import Collector, RosProbe, wait_for

RESEND_AFTER_S = 0.1


class NavigationRig:
    def __init__(self, probe: RosProbe) -> None:
        self.probe = probe
        self.servo: Collector = probe.subscribe(DriveCommand, names.NAVIGATION_SERVO_CMD, qos.COMMAND)
        self.state: Collector = probe.subscribe(NavigationState, names.NAVIGATION_STATE, qos.LATCHED)
        self.telemetry: Collector = probe.subscribe(StageStats, names.telemetry_topic("navigation"), qos.TELEMETRY)
        self.state.wait_for(what="the navigation node's latched state")
        wait_for(lambda: probe.node.count_publishers(names.NAVIGATION_SERVO_CMD) >= 1, what="servo_cmd publisher")
        self._results = probe.publisher(InferenceResult, names.INFERENCE_RESULTS, qos.LATEST)
        self._manual = probe.publisher(DriveCommand, names.MANUAL_DRIVE, qos.COMMAND)
        self._model = probe.publisher(ModelState, names.INFERENCE_MODEL_STATE, qos.LATCHED)

    def close(self) -> None:
        """Withdraw the fake inference and console publishers (the latched model state above all), so
        they cannot reach nodes that later test modules start on the same session probe."""
        for publisher in (self._results, self._manual, self._model):
            self.probe.node.destroy_publisher(publisher)

    # --- services ------------------------------------------------------------------------------------

    def set_mode(self, mode: str) -> SetDriveMode.Response:
        return self.probe.call(SetDriveMode, names.NAVIGATION_SET_DRIVE_MODE, SetDriveMode.Request(mode=mode))

    def start(self, on: bool = True) -> SetBool.Response:
        return self.probe.call(SetBool, names.NAVIGATION_START_STOP, SetBool.Request(data=on))

    def set_max_speed(self, value: float) -> SetMaxSpeed.Response:
        return self.probe.call(SetMaxSpeed, names.NAVIGATION_SET_MAX_SPEED, SetMaxSpeed.Request(max_speed=value))

    def emergency_stop(self) -> Trigger.Response:
        return self.probe.call(Trigger, names.NAVIGATION_EMERGENCY_STOP, Trigger.Request())

    def reset_emergency_stop(self) -> Trigger.Response:
        return self.probe.call(Trigger, names.NAVIGATION_RESET_EMERGENCY_STOP, Trigger.Request())

    # --- inputs --------------------------------------------------------------------------------------

    def load_model(self, name: str, space: ActionSpace) -> None:
        """Announce a loaded model as the inference node does, and wait until navigation has it."""
        message = ModelState(state="loaded", model_name=name, action_space=action_space_msg.to_msg(space))
        self._model.publish(message)
        self.state.wait_for(lambda s: s.model_ready and s.model_name == name, what=f"model {name} ready")

    def unload_model(self, state: str = "idle") -> None:
        self._model.publish(ModelState(state=state))
        self.state.wait_for(lambda s: not s.model_ready and not s.model_name, what="no model")

    def send_policy(self, outputs: Sequence[float], model_name: str, stamp_ns: int | None = None) -> int:
        stamp_ns = boot_ns() if stamp_ns is None else stamp_ns
        message = InferenceResult(model_name=model_name, action_space_type="", outputs=list(outputs))
        message.header.stamp = from_ns(stamp_ns)
        self._results.publish(message)
        return stamp_ns

    def send_manual(self, angle: float, throttle: float) -> int:
        stamp_ns = boot_ns()
        message = DriveCommand(angle=angle, throttle=throttle)
        message.header.stamp = from_ns(stamp_ns)
        self._manual.publish(message)
        return stamp_ns

    def drive(self, send: Callable[[], int]) -> tuple[float, int, DriveCommand]:
        """Send (with `send`, which returns the stamp) until a command comes back for it; return the
        monotonic send time, the stamp and the servo command. Policy outputs travel best effort, so the
        first one after discovery may be lost; resending is what the real pipeline does too."""
        for _ in range(50):
            sent = time.monotonic()
            stamp_ns = send()
            echo = wait_for(lambda s=stamp_ns, t=sent: self._echo(s) or time.monotonic() - t > RESEND_AFTER_S,
                            what=f"a servo command for {stamp_ns}")
            if echo is not True:
                return sent, stamp_ns, echo
        raise AssertionError("no servo command for 50 inputs")

    # --- outputs -------------------------------------------------------------------------------------

    def was_echoed(self, stamp_ns: int) -> bool:
        return self._echo(stamp_ns) is not None

    def _echo(self, stamp_ns: int) -> DriveCommand | None:
        return next((m for m in self.servo.messages if to_ns(m.header.stamp) == stamp_ns), None)

    def neutral_after(self, since_ns: int, timeout: float = 5.0) -> tuple[float, DriveCommand]:
        """(monotonic receive time, message) of the first neutral stamped at or after `since_ns`."""
        def find() -> tuple[float, DriveCommand] | None:
            for received, message in self.servo.timed():
                if message.throttle == 0.0 and to_ns(message.header.stamp) >= since_ns:
                    return received, message
            return None
        return wait_for(find, timeout, "a neutral servo command")

    def latest_state(self, predicate=lambda s: True, what: str = "a navigation state") -> NavigationState:
        """Wait until the newest state matches; return it."""
        return wait_for(lambda: (s := self.state.latest()) is not None and predicate(s) and s, what=what)
