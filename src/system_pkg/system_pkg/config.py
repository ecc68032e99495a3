"""The system node's parameters. Each part picks its backend with one parameter, like the servo outputs; the
defaults are the simulated backends, safe on a laptop (launch/car.yaml picks the real ones)."""

from __future__ import annotations

import math
from dataclasses import dataclass

BATTERY_BACKENDS = ("simulated", "i2c_gauge", "power_supply")
NETWORK_BACKENDS = ("simulated", "nmcli")
LED_BACKENDS = ("simulated", "gpio")
SSH_BACKENDS = ("simulated", "systemd")
CLOCK_BACKENDS = ("simulated", "timedatectl")


@dataclass(frozen=True)
class SystemConfig:
    # Battery: "i2c_gauge" (the DeepRacer's own gauge), "power_supply" (a /sys/class/power_supply battery: Pi UPS
    # HATs, laptops), "simulated" (a fixed level).
    battery_backend: str = "simulated"
    # i2c_gauge: the I2C bus number; -1 = the bus of PCI device 0000:00:17.3, as the original found it (7 if none).
    battery_i2c_bus: int = -1
    # power_supply: the folder, and the device name ("" = the first whose type is Battery).
    power_supply_root: str = "/sys/class/power_supply"
    power_supply_name: str = ""
    simulated_battery_level: int = 9
    # How often the level is read and published; the console warns at or below low_battery_level (0-11).
    battery_period_s: float = 10.0
    low_battery_level: int = 2
    # Network: "nmcli" (NetworkManager) or "simulated". Which interfaces are the Wi-Fi and the USB network link.
    network_backend: str = "simulated"
    wifi_interface: str = "wlan0"
    usb_interface: str = "usb0"
    wifi_connect_timeout_s: float = 20.0
    # USB sticks: the folder they are mounted in ("" = not watched); on a car only real mount points count.
    usb_mount_root: str = ""
    usb_require_mount_point: bool = True
    usb_poll_s: float = 1.0
    # Where models from a stick's models/ folder are installed (the inference node's models_root).
    models_root: str = "~/.deepracer/models"
    # Status LEDs: "gpio" (the DeepRacer's sysfs GPIO lines) or "simulated".
    led_backend: str = "simulated"
    gpio_root: str = "/sys/class/gpio"
    # SSH: "systemd" (systemctl and ufw on the car) or "simulated"; the login user SSH uses.
    ssh_backend: str = "simulated"
    ssh_user: str = "deepracer"
    # Time zone changes: "timedatectl" (systemd, on the car) or "simulated".
    clock_backend: str = "simulated"
    # Software update (update/releases.py): the folder holding releases/ and the `current` link ("" = updates off),
    # and the Ed25519 public key (PEM) a stick's package must be signed with.
    install_root: str = ""
    update_public_key: str = ""
    # Software update from a package index (update/package_index.py): its PEP 503 "simple" URL ("" = off; PyPI's
    # is https://pypi.org/simple), the stack's package name there, and how often the index is asked (the
    # original checked every 15 min).
    update_index_url: str = ""
    update_package: str = "deepracer-stack"
    update_check_period_s: float = 900.0

    def __post_init__(self) -> None:
        for name, allowed in (("battery_backend", BATTERY_BACKENDS), ("network_backend", NETWORK_BACKENDS),
                              ("led_backend", LED_BACKENDS), ("ssh_backend", SSH_BACKENDS),
                              ("clock_backend", CLOCK_BACKENDS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        for name, low, high in (("battery_period_s", 0.5, 3600.0), ("usb_poll_s", 0.1, 60.0),
                                ("wifi_connect_timeout_s", 5.0, 120.0), ("update_check_period_s", 10.0, 86400.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not low <= value <= high:
                raise ValueError(f"{name} must be a number of seconds in [{low}, {high}], got {value!r}")
        for name, low, high in (("simulated_battery_level", -1, 11), ("low_battery_level", 0, 11),
                                ("battery_i2c_bus", -1, 1023)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number in [{low}, {high}], got {value!r}")
        if self.update_index_url and not self.update_index_url.startswith(("https://", "http://")):
            raise ValueError(f"update_index_url must be an http(s) URL of a package index, got "
                             f"{self.update_index_url!r}")
        for name in ("wifi_interface", "usb_interface", "power_supply_root", "models_root", "gpio_root", "ssh_user",
                     "update_package"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
