"""The fleet agent's actions on a ROS car: the stack's own services and latched states (CarActions).

Every action is a call the console makes too, with a deadline (`service_timeout_s`), made from the agent's
worker threads while the node's executor spins in the main thread (as the console's bridge does). Imported
only once a fleet.txt turns the link on: it brings the model-package code (and OpenVINO, some 35 MB) along.
"""

from __future__ import annotations

import shlex
import subprocess
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from rclpy.node import Node
from std_srvs.srv import SetBool, Trigger

from deepracer_common_pkg import names, service_call
from deepracer_common_pkg.drive_rules import ERROR, LOADED, model_change_refusal, model_readiness
from deepracer_common_pkg.identity import read_identity
from deepracer_interfaces_pkg.msg import BatteryLevel, ModelState, NavigationState, StageStats
from deepracer_interfaces_pkg.srv import GetLedColor, LoadModel, SetDriveMode, SetLedColor, SetMaxSpeed
from fleet_pkg import log_upload, model_fetch
from fleet_pkg.agent import CommandRefused
from fleet_pkg.config import FleetConfig
from fleet_pkg.settings import FleetSettings
from inference_pkg import model_package

TELEMETRY_STALE_S = 5.0  # telemetry older than this is a stage that stopped: no fps or latency shown


class RosCarActions:
    """CarActions over the stack's services and latched states."""

    def __init__(self, node: Node, config: FleetConfig, settings: FleetSettings) -> None:
        self._node = node
        self._config = config
        self._settings = settings
        self._models_root = Path(config.models_root).expanduser()
        self._identity = read_identity()
        self._lock = threading.Lock()
        self.navigation: NavigationState | None = None
        self.model: ModelState | None = None
        self._model_changed = threading.Condition(self._lock)
        self._stats: dict[str, tuple[StageStats, float]] = {}
        self._color: tuple[int, int, int] | None = None
        self._battery: int = -1  # the original's "unknown", until system_node reports a level
        self._clients = {name: node.create_client(srv_type, name) for srv_type, name in (
            (SetBool, names.NAVIGATION_START_STOP), (Trigger, names.NAVIGATION_EMERGENCY_STOP),
            (Trigger, names.NAVIGATION_RESET_EMERGENCY_STOP), (SetDriveMode, names.NAVIGATION_SET_DRIVE_MODE),
            (SetMaxSpeed, names.NAVIGATION_SET_MAX_SPEED), (LoadModel, names.INFERENCE_LOAD_MODEL),
            (SetLedColor, names.SERVO_SET_LED_COLOR), (GetLedColor, names.SERVO_GET_LED_COLOR))}

    def close(self) -> None:
        for client in self._clients.values():
            self._node.destroy_client(client)

    # --- state from the stack (executor thread) -----------------------------------------------------

    def on_navigation(self, msg: NavigationState) -> None:
        with self._model_changed:  # navigation taking the model's action space is what makes it ready
            self.navigation = msg
            self._model_changed.notify_all()

    def on_model(self, msg: ModelState) -> None:
        with self._model_changed:
            self.model = msg
            self._model_changed.notify_all()

    def on_battery(self, msg: BatteryLevel) -> None:
        with self._lock:
            self._battery = msg.level

    def on_stats(self, msg: StageStats) -> None:
        with self._lock:
            self._stats[msg.stage] = (msg, time.monotonic())

    # --- service calls (agent worker threads) -------------------------------------------------------

    def _call(self, name: str, request: Any) -> Any:
        try:
            response = service_call.call(self._clients[name], request, self._config.service_timeout_s)
        except service_call.ServiceCallError as error:
            raise CommandRefused(str(error)) from None
        refusal = service_call.refusal(response)
        if refusal:
            raise CommandRefused(refusal)
        return response

    def emergency_stop(self) -> None:
        self._call(names.NAVIGATION_EMERGENCY_STOP, Trigger.Request())

    def reset_emergency_stop(self) -> None:
        self._call(names.NAVIGATION_RESET_EMERGENCY_STOP, Trigger.Request())

    def start_stop(self, start: bool) -> None:
        self._call(names.NAVIGATION_START_STOP, SetBool.Request(data=start))

    def set_drive_mode(self, mode: str) -> None:
        self._call(names.NAVIGATION_SET_DRIVE_MODE, SetDriveMode.Request(mode=mode))

    def set_max_speed(self, max_speed: float) -> None:
        self._call(names.NAVIGATION_SET_MAX_SPEED, SetMaxSpeed.Request(max_speed=max_speed))

    def set_color(self, red: int, green: int, blue: int) -> None:
        self._call(names.SERVO_SET_LED_COLOR, SetLedColor.Request(red=red, green=green, blue=blue))
        with self._lock:
            self._color = (red, green, blue)

    def load_model(self, name: str) -> dict[str, Any]:
        try:
            folder = model_package.resolve(self._models_root, name)
        except model_package.ModelPackageError as error:
            raise CommandRefused(str(error)) from None
        if not folder.is_dir():
            raise CommandRefused(f"no model named {name!r} is installed on this car")
        target = str(folder).rstrip("/")

        def settled() -> ModelState | None:
            m = self.model
            if m is not None and m.model_dir.rstrip("/") == target and \
                    model_readiness(m, self.navigation) in (LOADED, ERROR):
                return m
            return None

        with self._model_changed:
            previous = self.model
        self._call(names.INFERENCE_LOAD_MODEL, LoadModel.Request(model_dir=target))
        deadline = time.monotonic() + self._config.load_timeout_s
        with self._model_changed:
            # The same model may already be the loaded one: wait for a state newer than the one before the call.
            while (result := settled()) is None or result is previous:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CommandRefused(f"{name} did not finish loading within {self._config.load_timeout_s:g} s "
                                         "(loaded by the inference node, and taken by navigation)")
                self._model_changed.wait(remaining)
        if result.state == "error":
            raise CommandRefused(f"{name} did not load: {result.reason}")
        return {"model": name, "load_seconds": round(result.load_seconds, 2)}

    def _change_refusal(self, folder: Path) -> str:
        with self._lock:
            return model_change_refusal(folder, self.model, self.navigation)

    def install_model(self, url: str, md5: str, name: str) -> dict[str, Any]:
        return model_fetch.fetch_and_install(url, md5, name, self._models_root, refuse=self._change_refusal)

    def delete_models(self, models: list[str]) -> dict[str, Any]:
        folders = []
        for name in models:  # every name checked before anything is deleted
            try:
                folder = model_package.resolve(self._models_root, name)
            except model_package.ModelPackageError as error:
                raise CommandRefused(str(error)) from None
            if not folder.is_dir():
                raise CommandRefused(f"no model named {name!r} is installed on this car: nothing was deleted")
            refusal = self._change_refusal(folder)
            if refusal:
                raise CommandRefused(f"{refusal}; nothing was deleted")
            folders.append(name)
        for name in folders:
            model_package.delete(self._models_root, name)
        return {"deleted": folders}

    def restart(self) -> dict[str, Any]:
        if not self._config.restart_command:
            raise CommandRefused("restart is not set up on this car (fleet_node.restart_command is empty)")
        with self._lock:
            if self.navigation is not None and self.navigation.started:
                raise CommandRefused("the car is running: stop it before restarting the stack")
        # Started detached and a moment later, so the reply leaves before the stack goes down.
        subprocess.Popen(["sh", "-c", f"sleep 1; exec {shlex.join(shlex.split(self._config.restart_command))}"],
                         start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return {"restarting": True}

    def upload_logs(self, run: str, url: str) -> dict[str, Any]:
        return log_upload.upload_run(Path(self._config.logs_dir).expanduser(), run, url)

    # --- status ---------------------------------------------------------------------------------------

    def _read_color(self) -> tuple[int, int, int] | None:
        """The servo node's colour, or None without waiting for a servo node that is not there."""
        try:
            response = service_call.call(self._clients[names.SERVO_GET_LED_COLOR], GetLedColor.Request(),
                                         self._config.service_timeout_s, available_within_s=0.0)
        except service_call.ServiceCallError:
            return None
        return response.red, response.green, response.blue

    def status(self) -> dict[str, Any]:
        color = self._read_color()  # the console may have changed it too
        now = time.monotonic()
        with self._lock:
            if color is not None:
                self._color = color
            nav, model, color, battery = self.navigation, self.model, self._color, self._battery
            stats = {stage: msg for stage, (msg, at) in self._stats.items() if now - at < TELEMETRY_STALE_S}
        installed, broken = model_package.scan(self._models_root)
        servo = stats.get("servo")
        return {
            "name": self._settings.name, "serial": self._identity.serial, "hostname": self._identity.hostname,
            "version": _software_version(),
            "mode": nav.mode if nav else "", "started": bool(nav and nav.started),
            "emergency_stop": bool(nav and nav.emergency_stop), "max_speed": round(nav.max_speed, 3) if nav else None,
            "model": {"name": model.model_name, "state": model_readiness(model, nav), "reason": model.reason}
            if model else None,
            "models": [{"name": m.name, "md5": m.checksum} for m in installed],
            "broken_models": [{"name": b.name, "reason": b.reason} for b in broken],
            "color": list(color) if color else None,
            "battery": battery,  # 0-11 as the original's console, -1 unknown
            "fps": round(servo.rate_hz, 1) if servo else None,
            "latency_ms": round(servo.latency_p50_ms, 2) if servo else None,
            "last_error": nav.neutral_reason if nav and nav.neutral_reason else (model.reason if model else ""),
        }


def _software_version() -> str:
    try:
        return metadata.version("fleet_pkg")
    except metadata.PackageNotFoundError:
        return "unknown"
