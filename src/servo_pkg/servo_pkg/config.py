"""The servo node's parameters: names, defaults (safe on a laptop: simulated output) and validation."""

from __future__ import annotations

import math
from dataclasses import dataclass

from servo_pkg.maestro_channels import MAX_CHANNEL
from servo_pkg.pwm_math import DRIVE_CHANNELS

BACKENDS = ("simulated", "sysfs", "maestro")


def parse_channel_map(text: str) -> dict[str, int]:
    """'steering=0,throttle=1' -> {'steering': 0, 'throttle': 1}; ValueError says what is wrong."""
    mapping: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, number = (part.strip() for part in item.partition("="))
        if not sep or name not in DRIVE_CHANNELS or not number.isdigit() or int(number) > MAX_CHANNEL:
            raise ValueError(f"serial_channels entry {item!r} must look like 'steering=0' or 'throttle=1' "
                             f"(channel 0..{MAX_CHANNEL})")
        if name in mapping or int(number) in mapping.values():
            raise ValueError(f"serial_channels {text!r} maps a name or a channel twice")
        mapping[name] = int(number)
    if not mapping:
        raise ValueError(f"serial_channels {text!r} maps no channel; expected e.g. 'steering=0,throttle=1'")
    return mapping


@dataclass(frozen=True)
class ServoConfig:
    # "simulated" (laptops, tests), "sysfs" (the DeepRacer's own PWM), "maestro" (USB serial controller).
    backend: str = "simulated"
    # Original car format; `~` is expanded. Missing or corrupt files mean defaults (logged).
    calibration_path: str = "~/.deepracer/calibration.json"
    led_path: str = "~/.deepracer/led_values.json"
    # Throttle goes to its calibrated neutral when no drive or raw command arrived for this long.
    command_timeout_s: float = 0.25
    # sysfs backend: the PWM chip folder and the GPIO folder; the GPIO that powers the servos (active low).
    sysfs_pwm_root: str = "/sys/class/pwm/pwmchip0"
    sysfs_gpio_root: str = "/sys/class/gpio"
    servo_enable_gpio: int = 436
    # maestro backend: the port (a /dev/serial/by-id/... link survives replugging), which Maestro channel
    # drives what, and how often to try reopening a lost port.
    serial_port: str = "/dev/ttyACM0"
    serial_baud: int = 115200
    serial_channels: str = "steering=0,throttle=1"
    serial_reconnect_interval_s: float = 1.0
    # simulated backend: "" keeps the writes in memory; a folder makes it write the DeepRacer's sysfs PWM layout
    # there (backends/sysfs_tree.py), which the simulator reads as the car's hardware.
    simulated_output_dir: str = ""

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        for name in ("calibration_path", "led_path", "sysfs_pwm_root", "sysfs_gpio_root", "serial_port"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
        for name, upper in (("command_timeout_s", 10.0), ("serial_reconnect_interval_s", 60.0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not 0.01 <= value <= upper:
                raise ValueError(f"{name} must be a number of seconds in [0.01, {upper}], got {value!r}")
        for name in ("servo_enable_gpio", "serial_baud"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        parse_channel_map(self.serial_channels)
