"""System node: the car's own parts (battery, network, USB stick, status LEDs, SSH, time zone, software update)
for the console and the
logging node (rclpy shell around the ROS-free parts in this package).

Network and SSH requests run in the service callbacks: joining a network takes up to wifi_connect_timeout_s,
during which this node answers nothing else; so it is spun by an executor of its own (`OWN_EXECUTOR`), and the
nodes it shares a process with (the console) keep answering meanwhile. Nothing on the driving path depends on it
(navigation does not watch its heartbeat). USB sticks are polled on a thread of their own, so a model import never
holds the services up.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from rclpy.experimental import EventsExecutor
from rclpy.node import Node
from std_msgs.msg import String
from std_srvs.srv import SetBool, Trigger

from deepracer_common_pkg import names, qos
from deepracer_common_pkg.drive_rules import model_change_refusal
from deepracer_common_pkg.node_main import run_node
from deepracer_common_pkg.params import declare_config
from deepracer_interfaces_pkg.msg import BatteryLevel, ModelState, NavigationState
from deepracer_interfaces_pkg.srv import (
    ConnectWifi,
    GetNetworkDetails,
    GetSshState,
    ListWifi,
    SetSshPassword,
    SetTimezone,
)
from system_pkg.clock.timezone import TimezoneError
from system_pkg.config import SystemConfig
from system_pkg.leds.gpio_leds import LedError
from system_pkg.network.base import NetworkError
from system_pkg.parts import make_parts
from system_pkg.ssh.base import SshError
from system_pkg.update import UPDATES_OFF, USB_ONLY
from system_pkg.update.availability import AvailabilityCheck
from system_pkg.update.package_index import PackageIndex
from system_pkg.update.releases import Releases, UpdateError, progress_line
from system_pkg.update.signed_package import UPDATE_DIR, find_packages, newest, unpack_into
from system_pkg.usb.stick_watcher import StickWatcher

LED_REFRESH_S = 0.1  # a tenth of the 1 s blink, while an LED blinks or shows an error
LED_IDLE_REFRESH_S = 1.0  # steady LEDs: a blink or an error begun meanwhile shows within this
_LOG_THROTTLE_S = 60.0


class SystemNode(Node):
    OWN_EXECUTOR = staticmethod(EventsExecutor)

    def __init__(self) -> None:
        super().__init__("system_node")
        self.config = declare_config(self, SystemConfig)
        self.parts = make_parts(self.config)
        self._battery_pub = self.create_publisher(BatteryLevel, names.SYSTEM_BATTERY_LEVEL, qos.LATCHED)
        self._usb_logs_pub = self.create_publisher(String, names.SYSTEM_USB_LOGS_DIR, qos.LATCHED)
        self._was_low = False
        self._usb_logs = None
        self._publish_usb_logs("")
        self._update_pub = self.create_publisher(String, names.SYSTEM_UPDATE_STATUS, qos.LATCHED)
        self._update_thread: threading.Thread | None = None
        self._update_progress("idle", 0)
        self.create_service(Trigger, names.SYSTEM_BEGIN_UPDATE, self._begin_update)
        self.create_service(Trigger, names.SYSTEM_UPDATE_AVAILABLE, self._update_available)
        self.create_service(GetNetworkDetails, names.SYSTEM_GET_NETWORK_DETAILS, self._network_details)
        self.create_service(ListWifi, names.SYSTEM_LIST_WIFI, self._list_wifi)
        self.create_service(ConnectWifi, names.SYSTEM_CONNECT_WIFI, self._connect_wifi)
        self.create_service(GetSshState, names.SYSTEM_GET_SSH_STATE, self._ssh_state)
        self.create_service(SetBool, names.SYSTEM_SET_SSH_ENABLED, self._set_ssh_enabled)
        self.create_service(SetSshPassword, names.SYSTEM_SET_SSH_PASSWORD, self._set_ssh_password)
        self.create_service(SetTimezone, names.SYSTEM_SET_TIMEZONE, self._set_timezone)
        self._model: ModelState | None = None  # read by the USB thread: which model a stick may not replace
        self._navigation: NavigationState | None = None
        self.create_subscription(ModelState, names.INFERENCE_MODEL_STATE, self._on_model_state, qos.LATCHED)
        self.create_subscription(NavigationState, names.NAVIGATION_STATE, self._on_navigation, qos.LATCHED)
        try:
            self.parts.network.power_save_off()
        except NetworkError as error:
            self.get_logger().warning(f"Wi-Fi power save left as it was: {error}")
        self._check_battery_and_network()
        self.create_timer(self.config.battery_period_s, self._check_battery_and_network)
        self._led_timer = self.create_timer(LED_IDLE_REFRESH_S, self._refresh_leds)
        self._leds_animated = False
        self._stopping = threading.Event()
        self._availability: AvailabilityCheck | None = None
        self._index_thread: threading.Thread | None = None
        if self.config.update_index_url and self.config.install_root:
            index = PackageIndex(self.config.update_index_url, self.config.update_package)
            self._availability = AvailabilityCheck(index, Releases(Path(self.config.install_root)).current)
            self._index_thread = threading.Thread(target=self._watch_index, name="package-index", daemon=True)
            self._index_thread.start()
        self._usb_thread: threading.Thread | None = None
        if self.config.usb_mount_root:
            self._watcher = StickWatcher(Path(self.config.usb_mount_root).expanduser(),
                                         models_root=Path(self.config.models_root).expanduser(),
                                         join_wifi=self.parts.network.connect, network_name=self._ssid,
                                         require_mount_point=self.config.usb_require_mount_point,
                                         on_joining=self.parts.leds.wifi_joining,
                                         refuse=lambda folder: model_change_refusal(folder, self._model,
                                                                                    self._navigation))
            self._usb_thread = threading.Thread(target=self._watch_usb, name="usb-sticks", daemon=True)
            self._usb_thread.start()
        self.get_logger().info(f"battery '{self.config.battery_backend}', network '{self.config.network_backend}', "
                               f"LEDs '{self.config.led_backend}', SSH '{self.config.ssh_backend}', USB sticks "
                               f"{'in ' + self.config.usb_mount_root if self.config.usb_mount_root else 'not watched'}")

    # --- battery and network state ------------------------------------------------------------

    def _ssid(self) -> str:
        try:
            return self.parts.network.details().ssid
        except NetworkError:
            return ""

    def _check_battery_and_network(self) -> None:
        reading = self.parts.battery.read()
        low = reading.is_low(self.config.low_battery_level)
        if low and not self._was_low:
            self.get_logger().warning(f"battery low: level {reading.level} of 11, charge or swap it")
        self._was_low = low
        if reading.problem:
            self.get_logger().warning(reading.problem, throttle_duration_sec=_LOG_THROTTLE_S)
        self._battery_pub.publish(BatteryLevel(level=reading.level, low=low, source=reading.source,
                                               problem=reading.problem))
        self.parts.leds.wifi_connected(bool(self._ssid()))

    def _refresh_leds(self) -> None:
        try:
            self.parts.leds.refresh(time.monotonic())
        except LedError as error:
            self.get_logger().warning(str(error), throttle_duration_sec=_LOG_THROTTLE_S)
        animated = self.parts.leds.animated
        if animated != self._leds_animated:
            self._leds_animated = animated
            self.destroy_timer(self._led_timer)
            self._led_timer = self.create_timer(LED_REFRESH_S if animated else LED_IDLE_REFRESH_S,
                                                self._refresh_leds)

    def _on_navigation(self, message: NavigationState) -> None:
        self._navigation = message

    def _on_model_state(self, message: ModelState) -> None:
        self._model = message
        if message.state == "loading":
            self.parts.leds.busy(True)
        elif message.state == "error":
            self.parts.leds.failed(time.monotonic())
        else:
            self.parts.leds.busy(False)

    # --- USB sticks ------------------------------------------------------------------------

    def _publish_usb_logs(self, folder: str) -> None:
        if folder != self._usb_logs:
            self._usb_logs = folder
            self._usb_logs_pub.publish(String(data=folder))

    def _watch_usb(self) -> None:
        while not self._stopping.wait(self.config.usb_poll_s):
            try:
                for report in self._watcher.poll():
                    if report.wifi is not None:
                        self.parts.leds.wifi_joined(report.wifi.success, time.monotonic())
                    for name, reason in report.failed.items():
                        self.get_logger().warning(f"USB stick {report.stick}: {name} not installed: {reason}")
                    if report.installed:
                        self.get_logger().info(f"USB stick {report.stick}: installed {', '.join(report.installed)}")
                folder = self._watcher.logs_folder()
                self._publish_usb_logs(str(folder) if folder else "")
            except Exception as error:
                self.get_logger().error(f"USB stick handling failed: {error!r}")

    # --- software update ----------------------------------------------------------------------

    def _update_progress(self, status: str, percent: int) -> None:
        self._update_pub.publish(String(data=progress_line(status, percent)))

    def _watch_index(self) -> None:
        while True:
            found = self._availability.check()
            if found.problem:
                self.get_logger().warning(f"software update: {found.problem}", throttle_duration_sec=_LOG_THROTTLE_S)
            elif found.newer:
                self.get_logger().info(f"software update: version {found.newer} is on the package index",
                                       throttle_duration_sec=_LOG_THROTTLE_S)
            if self._stopping.wait(self.config.update_check_period_s):
                return

    def _update_available(self, _request, response):
        """The package index's latest answer (success, message = the newer version or ""), never a wait on it."""
        if self._availability is None:
            stick = bool(self.config.install_root and self.config.update_public_key)
            response.success, response.message = False, USB_ONLY if stick else UPDATES_OFF
            return response
        found = self._availability.latest()
        response.success = found.checked and not found.problem
        response.message = found.newer if response.success else found.describe(self.config.update_index_url)
        return response

    def _begin_update(self, _request, response):
        """Install a new version beside the running release, on its own thread: the newest signed package on a
        stick in now if there is one (the owner brought it), else the newer version the package index holds."""
        response.success = False
        if not self.config.install_root or not (self.config.update_public_key or self._availability):
            response.message = UPDATES_OFF
            return response
        if self._update_thread is not None and self._update_thread.is_alive():
            response.message = "an update is already running"
            return response
        releases = Releases(Path(self.config.install_root))
        chosen = self._stick_update(releases) or self._index_update()
        if isinstance(chosen, str):
            response.message = chosen
            return response
        version, build, source = chosen
        self._update_thread = threading.Thread(target=self._run_update, args=(releases, version, build),
                                               name="software-update", daemon=True)
        self._update_thread.start()
        response.success = True
        response.message = f"installing version {version} from {source} beside {releases.current()}"
        return response

    def _stick_update(self, releases: Releases):
        """(version, build, source) of the newest signed package on a stick, or None."""
        if not self.config.update_public_key or not self.config.usb_mount_root:
            return None
        packages = {v: p for stick in self._watcher.sticks() for v, p in find_packages(stick / UPDATE_DIR).items()}
        packages.pop(releases.current(), None)
        if not packages:
            return None
        version = newest(list(packages))
        return version, unpack_into(packages[version], Path(self.config.update_public_key)), "a USB stick"

    def _index_update(self):
        """(version, build, source) of the package index's newer version, or why there is none."""
        stick = (f"no signed package (deepracer-stack-<version>.tar.gz and its .sig) in the {UPDATE_DIR}/ folder "
                 "of a USB stick")
        if self._availability is None:
            return stick
        found = self._availability.latest()
        if not found.newer:
            return f"{stick}, and {found.describe(self.config.update_index_url)}" if self.config.update_public_key \
                else found.describe(self.config.update_index_url)
        index = self._availability.index
        return found.newer, index.install_into(found.newer), f"the package index {index.index_url}"

    def _run_update(self, releases: Releases, version: str, build) -> None:
        self.parts.leds.busy(True)
        try:
            releases.install(version, build, on_progress=self._update_progress)
        except UpdateError as error:
            self.parts.leds.failed(time.monotonic())
            self.get_logger().error(f"software update: {error}")
            return
        finally:
            if self._availability is not None:
                self._availability.check()  # what is newer than the release now running
        self.parts.leds.busy(False)
        self.get_logger().info(f"software update: version {version} installed and switched in; it runs from the "
                               "next start of the car's service")

    # --- services ---------------------------------------------------------------------------

    def _network_details(self, _request, response):
        try:
            details = self.parts.network.details()
        except NetworkError as error:
            response.success, response.reason = False, str(error)
            return response
        response.success = True
        response.ssid, response.ip_address, response.usb_connected = (details.ssid, details.ip_address,
                                                                      details.usb_connected)
        return response

    def _list_wifi(self, _request, response):
        try:
            networks = self.parts.network.scan()
        except NetworkError as error:
            response.success, response.reason = False, str(error)
            return response
        response.success = True
        response.ssid = [n.ssid for n in networks]
        response.strength = [max(0, min(100, n.strength)) for n in networks]
        response.security = [n.security for n in networks]
        return response

    def _connect_wifi(self, request, response):
        if not request.ssid.strip():
            response.success, response.reason = False, "give the name (SSID) of the network to join"
            return response
        self.parts.leds.wifi_joining()
        try:
            result = self.parts.network.connect(request.ssid, request.password)
        except NetworkError as error:
            result = None
            response.success, response.reason = False, str(error)
        if result is not None:
            response.success, response.reason, response.ip_address = result.success, result.reason, \
                result.ip_address
        self.parts.leds.wifi_joined(response.success, time.monotonic())
        self.get_logger().info(f"join {request.ssid!r}: {'done' if response.success else response.reason}")
        return response

    def _ssh_state(self, _request, response):
        try:
            state = self.parts.ssh.state()
        except SshError as error:
            response.success, response.reason = False, str(error)
            return response
        response.success, response.enabled, response.default_password_changed = (True, state.enabled,
                                                                                 state.default_password_changed)
        return response

    def _set_ssh_enabled(self, request, response):
        try:
            self.parts.ssh.set_enabled(request.data)
            response.success, response.message = True, ""
        except SshError as error:
            response.success, response.message = False, str(error)
        return response

    def _set_ssh_password(self, request, response):
        try:
            self.parts.ssh.change_password(request.old_password, request.new_password)
            response.success, response.reason = True, ""
        except SshError as error:
            response.success, response.reason = False, str(error)
        return response

    def _set_timezone(self, request, response):
        try:
            self.parts.zone.set(request.timezone)
            response.success, response.reason = True, ""
            self.get_logger().info(f"time zone set to {request.timezone.strip()}")
        except TimezoneError as error:
            response.success, response.reason = False, str(error)
        return response

    def on_shutdown(self) -> None:
        self._stopping.set()
        for thread in (self._usb_thread, self._index_thread):
            if thread is not None:
                thread.join(timeout=5.0)
        try:
            self.parts.network.restore()
        except NetworkError as error:
            self.get_logger().warning(f"Wi-Fi power save not restored: {error}")
        with contextlib.suppress(LedError):  # the LEDs were never usable: already said by _refresh_leds
            self.parts.leds.off()
        self.parts.battery.close()


def main(args: list[str] | None = None) -> None:
    run_node(SystemNode, args)


if __name__ == "__main__":
    main()
