"""The servo node's parameters: names, defaults (safe on a laptop: simulated output) and validation."""

from __future__ import annotations

import math
from dataclasses import dataclass

from servo_pkg.channel_limits import MAESTRO_MAX_CHANNEL, PCA9685_MAX_CHANNEL
from servo_pkg.pwm_math import DRIVE_CHANNELS

BACKENDS = ("simulated", "sysfs", "maestro", "pca9685")


def parse_channel_map(text: str, *, parameter: str = "serial_channels",
                      max_channel: int = MAESTRO_MAX_CHANNEL) -> dict[str, int]:
    """'steering=0,throttle=1' -> {'steering': 0, 'throttle': 1}; ValueError says what is wrong."""
    mapping: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, number = (part.strip() for part in item.partition("="))
        if not sep or name not in DRIVE_CHANNELS or not (number.isascii() and number.isdigit()) \
                or int(number) > max_channel:
            raise ValueError(f"{parameter} entry {item!r} must look like 'steering=0' or 'throttle=1' "
                             f"(channel 0..{max_channel})")
        if name in mapping or int(number) in mapping.values():
            raise ValueError(f"{parameter} {text!r} maps a name or a channel twice")
        mapping[name] = int(number)
    if not mapping:
        raise ValueError(f"{parameter} {text!r} maps no channel; expected e.g. 'steering=0,throttle=1'")
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
    # pca9685 backend (the servo HAT of Raspberry Pi cars): the I2C bus number (/dev/i2c-N), the chip's address,
    # which of its 16 channels drives what.
    i2c_bus: int = 1
    i2c_address: int = 0x40
    i2c_channels: str = "steering=0,throttle=1"
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
        parse_channel_map(self.i2c_channels, parameter="i2c_channels", max_channel=PCA9685_MAX_CHANNEL)
        if isinstance(self.i2c_bus, bool) or not isinstance(self.i2c_bus, int) or self.i2c_bus < 0:
            raise ValueError(f"i2c_bus must be an integer >= 0 (the N of /dev/i2c-N), got {self.i2c_bus!r}")
        if isinstance(self.i2c_address, bool) or not isinstance(self.i2c_address, int) \
                or not 0x03 <= self.i2c_address <= 0x77:
            raise ValueError(f"i2c_address must be a 7-bit I2C address 0x03..0x77, got {self.i2c_address!r}")
