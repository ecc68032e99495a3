"""The console's door to the car's own parts (the system node: battery, network, SSH, software update), beside
`RobotBridge`: plain values in and out, no rclpy in the views.

`RosSystemBridge` is the node's (services and latched topics of system_node); `InProcessSystem` is the system
package's own simulated parts in this process, for console tests and tools with no ROS graph, as
`robot.in_process` is for the driving parts. Failures raise `BridgeError` with the reason a person can act on.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from std_msgs.msg import String
from std_srvs.srv import SetBool, Trigger

from deepracer_common_pkg import names, qos, service_call
from deepracer_interfaces_pkg.msg import BatteryLevel
from deepracer_interfaces_pkg.srv import (
    ConnectWifi,
    GetNetworkDetails,
    GetSshState,
    ListWifi,
    SetSshPassword,
    SetTimezone,
)
from system_pkg.clock.timezone import SimulatedZone, TimezoneError
from system_pkg.network.base import ConnectResult, NetworkDetails, WifiNetwork
from system_pkg.network.simulated import SimulatedNetwork
from system_pkg.ssh.base import SshError, SshState
from system_pkg.ssh.simulated import SimulatedSsh
from system_pkg.update import UPDATES_OFF, USB_ONLY
from system_pkg.update.releases import progress_line
from webserver_pkg.robot.bridge import BridgeError

# A Wi-Fi join waits for NetworkManager (system_node's wifi_connect_timeout_s, 20 s, plus the way back to the old
# network): the console waits this long for it, not the usual service timeout.
JOIN_TIMEOUT_S = 60.0


class UpdatesOff(BridgeError):
    """The car cannot look for a new version: updates are off, or come from a USB stick only (`usb_only`)."""

    def __init__(self, reason: str, *, usb_only: bool) -> None:
        super().__init__(reason)
        self.usb_only = usb_only


@dataclass(frozen=True)
class BatteryView:
    level: int  # 0-11, -1 unknown
    low: bool
    problem: str = ""


class SystemBridge(ABC):
    @abstractmethod
    def battery(self) -> BatteryView | None:
        """The latest battery reading; None until the system node was heard."""

    @abstractmethod
    def network_details(self) -> NetworkDetails: ...

    @abstractmethod
    def wifi_networks(self) -> list[WifiNetwork]: ...

    @abstractmethod
    def connect_wifi(self, ssid: str, password: str) -> ConnectResult: ...

    @abstractmethod
    def ssh_state(self) -> SshState: ...

    @abstractmethod
    def set_ssh_enabled(self, enabled: bool) -> None: ...

    @abstractmethod
    def change_ssh_password(self, old: str, new: str) -> None: ...

    @abstractmethod
    def set_timezone(self, name: str) -> None: ...

    @abstractmethod
    def update_status(self) -> str:
        """The latest `status:<s>|update_pct:<n>` line."""

    @abstractmethod
    def update_available(self) -> str:
        """The newer version the package index holds, "" when up to date; UpdatesOff when the car has no package
        index to look on; BridgeError when that is not known."""

    @abstractmethod
    def begin_update(self) -> str:
        """Start an update (a stick's signed package, else the package index's newer version); says what started."""


class InProcessSystem(SystemBridge):
    def __init__(self, battery_level: int = 9, low_level: int = 2) -> None:
        self.battery_view: BatteryView | None = BatteryView(battery_level, 0 <= battery_level <= low_level)
        self.network = SimulatedNetwork()
        self.ssh = SimulatedSsh()
        self.status = progress_line("idle", 0)
        self.available_version = ""  # what a package index would offer
        self.availability_problem = ""  # why the index's answer is not known
        self.updates = "on"  # "on" (a package index), "usb_only", "off": as the system node's parameters say
        self.zone = SimulatedZone()

    def battery(self) -> BatteryView | None:
        return self.battery_view

    def network_details(self) -> NetworkDetails:
        return self.network.details()

    def wifi_networks(self) -> list[WifiNetwork]:
        return self.network.scan()

    def connect_wifi(self, ssid: str, password: str) -> ConnectResult:
        return self.network.connect(ssid, password)

    def ssh_state(self) -> SshState:
        return self.ssh.state()

    def set_ssh_enabled(self, enabled: bool) -> None:
        self.ssh.set_enabled(enabled)

    def change_ssh_password(self, old: str, new: str) -> None:
        try:
            self.ssh.change_password(old, new)
        except SshError as error:
            raise BridgeError(str(error)) from error

    def set_timezone(self, name: str) -> None:
        try:
            self.zone.set(name)
        except TimezoneError as error:
            raise BridgeError(str(error)) from error

    def update_status(self) -> str:
        return self.status

    def update_available(self) -> str:
        if self.updates != "on":
            usb_only = self.updates == "usb_only"
            raise UpdatesOff(USB_ONLY if usb_only else UPDATES_OFF, usb_only=usb_only)
        if self.availability_problem:
            raise BridgeError(self.availability_problem)
        return self.available_version

    def begin_update(self) -> str:
        raise BridgeError("no signed package (deepracer-stack-<version>.tar.gz and its .sig) in the update/ folder "
                          "of a USB stick")


class RosSystemBridge(SystemBridge):
    """Over the system node's services and latched topics, on the console node's own rclpy node."""

    def __init__(self, node: Any, service_timeout_s: float) -> None:
        self._node = node
        self._timeout_s = service_timeout_s
        self._lock = threading.Lock()
        self._battery: BatteryView | None = None
        self._status = progress_line("idle", 0)
        node.create_subscription(BatteryLevel, names.SYSTEM_BATTERY_LEVEL, self._on_battery, qos.LATCHED)
        node.create_subscription(String, names.SYSTEM_UPDATE_STATUS, self._on_status, qos.LATCHED)
        self._clients = {name: node.create_client(srv_type, name) for srv_type, name in (
            (GetNetworkDetails, names.SYSTEM_GET_NETWORK_DETAILS), (ListWifi, names.SYSTEM_LIST_WIFI),
            (ConnectWifi, names.SYSTEM_CONNECT_WIFI), (GetSshState, names.SYSTEM_GET_SSH_STATE),
            (SetBool, names.SYSTEM_SET_SSH_ENABLED), (SetSshPassword, names.SYSTEM_SET_SSH_PASSWORD),
            (Trigger, names.SYSTEM_BEGIN_UPDATE), (Trigger, names.SYSTEM_UPDATE_AVAILABLE),
            (SetTimezone, names.SYSTEM_SET_TIMEZONE))}

    def _on_battery(self, message: Any) -> None:
        with self._lock:
            self._battery = BatteryView(message.level, message.low, message.problem)

    def _on_status(self, message: Any) -> None:
        with self._lock:
            self._status = message.data

    def _call(self, name: str, request: Any, timeout_s: float | None = None) -> Any:
        """`timeout_s`: a longer wait for the answer (joining a network), the usual one for the service to appear."""
        try:
            return service_call.call(self._clients[name], request, timeout_s or self._timeout_s,
                                     available_within_s=self._timeout_s)
        except service_call.ServiceCallError as error:
            raise BridgeError(str(error), unavailable=True) from None

    def _answered(self, name: str, request: Any, timeout_s: float | None = None) -> Any:
        response = self._call(name, request, timeout_s)
        refusal = service_call.refusal(response)
        if refusal:
            raise BridgeError(refusal)
        return response

    def battery(self) -> BatteryView | None:
        with self._lock:
            return self._battery

    def network_details(self) -> NetworkDetails:
        r = self._answered(names.SYSTEM_GET_NETWORK_DETAILS, GetNetworkDetails.Request())
        return NetworkDetails(r.ssid, r.ip_address, r.usb_connected)

    def wifi_networks(self) -> list[WifiNetwork]:
        r = self._answered(names.SYSTEM_LIST_WIFI, ListWifi.Request(), JOIN_TIMEOUT_S)
        return [WifiNetwork(ssid, int(strength), security)
                for ssid, strength, security in zip(r.ssid, r.strength, r.security, strict=True)]

    def connect_wifi(self, ssid: str, password: str) -> ConnectResult:
        r = self._call(names.SYSTEM_CONNECT_WIFI, ConnectWifi.Request(ssid=ssid, password=password), JOIN_TIMEOUT_S)
        return ConnectResult(r.success, r.reason, r.ip_address)

    def ssh_state(self) -> SshState:
        r = self._answered(names.SYSTEM_GET_SSH_STATE, GetSshState.Request())
        return SshState(r.enabled, r.default_password_changed)

    def set_ssh_enabled(self, enabled: bool) -> None:
        self._answered(names.SYSTEM_SET_SSH_ENABLED, SetBool.Request(data=enabled))

    def change_ssh_password(self, old: str, new: str) -> None:
        self._answered(names.SYSTEM_SET_SSH_PASSWORD, SetSshPassword.Request(old_password=old, new_password=new))

    def set_timezone(self, name: str) -> None:
        self._answered(names.SYSTEM_SET_TIMEZONE, SetTimezone.Request(timezone=name))

    def update_status(self) -> str:
        with self._lock:
            return self._status

    def update_available(self) -> str:
        response = self._call(names.SYSTEM_UPDATE_AVAILABLE, Trigger.Request())
        if not response.success and response.message in (UPDATES_OFF, USB_ONLY):
            raise UpdatesOff(response.message, usb_only=response.message == USB_ONLY)
        if not response.success:
            raise BridgeError(response.message or "refused")
        return response.message

    def begin_update(self) -> str:
        return self._answered(names.SYSTEM_BEGIN_UPDATE, Trigger.Request()).message

