"""Build every part the system node runs from its config: one place that maps parameters to backends."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from system_pkg.battery.factory import make_battery
from system_pkg.battery.reading import BatteryBackend
from system_pkg.clock.timezone import SimulatedZone, TimedatectlZone
from system_pkg.config import SystemConfig
from system_pkg.leds.gpio_leds import POWER_LED_LINES, WIFI_LED_LINES, GpioRgbLed, SimulatedLed
from system_pkg.leds.status_leds import StatusLeds
from system_pkg.network.base import NetworkBackend
from system_pkg.network.network_manager import NmcliNetwork
from system_pkg.network.simulated import SimulatedNetwork
from system_pkg.ssh.base import SshBackend
from system_pkg.ssh.simulated import SimulatedSsh
from system_pkg.ssh.systemd import SystemdSsh


@dataclass
class SystemParts:
    battery: BatteryBackend
    network: NetworkBackend
    leds: StatusLeds
    ssh: SshBackend
    zone: SimulatedZone | TimedatectlZone


def make_parts(config: SystemConfig) -> SystemParts:
    if config.network_backend == "nmcli":
        network: NetworkBackend = NmcliNetwork(wifi_interface=config.wifi_interface,
                                               usb_interface=config.usb_interface,
                                               connect_timeout_s=config.wifi_connect_timeout_s)
    else:
        network = SimulatedNetwork()
    if config.led_backend == "gpio":
        root = Path(config.gpio_root)
        leds = StatusLeds(power=GpioRgbLed(root, POWER_LED_LINES), wifi=GpioRgbLed(root, WIFI_LED_LINES))
    else:
        leds = StatusLeds(power=SimulatedLed(), wifi=SimulatedLed())
    ssh: SshBackend = SystemdSsh(config.ssh_user) if config.ssh_backend == "systemd" else SimulatedSsh()
    zone = TimedatectlZone() if config.clock_backend == "timedatectl" else SimulatedZone()
    return SystemParts(battery=make_battery(config), network=network, leds=leds, ssh=ssh, zone=zone)
