"""Fleet node: the thin rclpy shell that lets the fleet agent act on this car the way the console does.

Every action is a call of the stack's own services (navigation's start/stop, emergency stop, drive mode and
max speed; inference's model load; the servo's tail light), so each rule stays in its one home and the link
cannot do anything the console could not. The calls are made from the agent's worker threads with a deadline
(`service_timeout_s`) while the executor spins in the main thread, as the console's bridge does.

Off unless configured: without fleet.txt (data dir or USB stick) the node makes no connection and only looks
for the file every `settings_poll_s`. The node runs at a lower CPU priority than the driving nodes, so a
flooding broker costs the fleet node's time, not the car's.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

from rclpy.node import Node

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.identity import read_identity
from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from deepracer_interfaces_pkg.msg import BatteryLevel, ModelState, NavigationState, StageStats
from fleet_pkg.agent import FleetAgent
from fleet_pkg.config import FleetConfig
from fleet_pkg.mqtt_link import CarLink
from fleet_pkg.settings import FleetSettings, SettingsError, find_settings_file, read_settings

NICENESS = 5  # added to the node's CPU niceness: the driving nodes come first on a busy CPU


class RosLog:
    """The agent's and link's log calls, on the node's ROS logger (so they reach the console's Logs page)."""

    def __init__(self, node: Node) -> None:
        self._logger = node.get_logger()

    def info(self, text: str, *args: object) -> None:
        self._logger.info(text % args if args else text)

    def warning(self, text: str, *args: object) -> None:
        self._logger.warning(text % args if args else text)

    def exception(self, text: str, *args: object) -> None:
        self._logger.error((text % args if args else text) + "\n" + traceback.format_exc())


class FleetNode(Node):
    def __init__(self) -> None:
        super().__init__("fleet_node")
        self.config = declare_config(self, FleetConfig)
        self._log = RosLog(self)
        self._fleet_file = Path(self.config.fleet_file).expanduser()
        self._usb_root = Path(self.config.usb_mount_root) if self.config.usb_mount_root else None
        self._settings: FleetSettings | None = None
        self._settings_note = ""
        self._actions = None
        self._agent: FleetAgent | None = None
        self._link: CarLink | None = None
        self._check_settings()
        self.create_timer(self.config.settings_poll_s, self._check_settings)

    def _check_settings(self) -> None:
        """Connect when fleet.txt appears, reconnect when it changes, disconnect when it goes."""
        path = find_settings_file(self._fleet_file, self._usb_root)
        settings, note = None, ""
        if path is None:
            note = f"fleet link off: no fleet.txt in {self._fleet_file.parent} or on a USB stick"
        else:
            try:
                settings = read_settings(path)
            except SettingsError as error:
                note = f"fleet link off: {error}"
        if note and note != self._settings_note:
            self.get_logger().info(note)
        self._settings_note = note
        if settings != self._settings:
            self._stop_link()
            if settings is not None:
                self._start_link(settings)
            self._settings = settings

    def _start_link(self, settings: FleetSettings) -> None:
        from fleet_pkg.ros_actions import RosCarActions  # only with the link on: it brings OpenVINO along

        car_id = settings.car_id(read_identity().name)
        self._actions = actions = RosCarActions(self, self.config, settings)
        self._subscriptions = [
            self.create_subscription(NavigationState, names.NAVIGATION_STATE, self._on_navigation, qos.LATCHED),
            self.create_subscription(ModelState, names.INFERENCE_MODEL_STATE, self._on_model, qos.LATCHED),
            self.create_subscription(StageStats, names.telemetry_topic("servo"), actions.on_stats, qos.TELEMETRY),
            self.create_subscription(BatteryLevel, names.SYSTEM_BATTERY_LEVEL, self._on_battery, qos.LATCHED),
        ]
        self._link = link = CarLink(settings, car_id, lambda t, p: self._agent.on_message(t, p),
                                    lambda: self._agent.notify_change(), self._log)
        self._agent = FleetAgent(car_id, actions, link.publish, max_command_age_s=self.config.max_command_age_s,
                                 status_period_s=self.config.status_period_s, log=self._log)
        self._agent.start()
        link.start()

    def _on_navigation(self, msg: NavigationState) -> None:
        previous = self._actions.navigation
        self._actions.on_navigation(msg)
        watched = ("mode", "started", "emergency_stop", "max_speed", "neutral_reason", "model_ready", "model_name")
        if previous is None or any(getattr(previous, name) != getattr(msg, name) for name in watched):
            self._agent.notify_change()

    def _on_battery(self, msg: BatteryLevel) -> None:
        self._actions.on_battery(msg)
        self._agent.notify_change()

    def _on_model(self, msg: ModelState) -> None:
        self._actions.on_model(msg)
        self._agent.notify_change()

    def _stop_link(self) -> None:
        if self._link is not None:
            self._link.stop()
            self._agent.stop()
            for subscription in self._subscriptions:
                self.destroy_subscription(subscription)
            self._actions.close()
            self._link = self._agent = self._actions = None

    def on_shutdown(self) -> None:
        self._stop_link()


def main(args: list[str] | None = None) -> None:
    os.nice(NICENESS)
    run_node(FleetNode, args)


if __name__ == "__main__":
    main()
