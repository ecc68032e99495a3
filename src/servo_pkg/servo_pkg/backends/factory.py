"""Build the PWM output the `backend` parameter names."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from servo_pkg.backends.base import PwmBackend
from servo_pkg.backends.maestro import MaestroBackend
from servo_pkg.backends.pca9685 import Pca9685Backend
from servo_pkg.backends.simulated import SimulatedBackend
from servo_pkg.backends.sysfs import SysfsBackend
from servo_pkg.backends.sysfs_tree import build_sysfs_tree
from servo_pkg.channel_limits import PCA9685_MAX_CHANNEL
from servo_pkg.config import ServoConfig, parse_channel_map


def make_backend(config: ServoConfig, neutral: Mapping[str, int]) -> PwmBackend:
    if config.backend == "sysfs":
        return SysfsBackend(neutral, pwm_root=Path(config.sysfs_pwm_root), gpio_root=Path(config.sysfs_gpio_root),
                            enable_gpio=config.servo_enable_gpio)
    if config.backend == "maestro":
        return MaestroBackend(neutral, port=config.serial_port, baudrate=config.serial_baud,
                              channels=parse_channel_map(config.serial_channels),
                              reconnect_interval_s=config.serial_reconnect_interval_s)
    if config.backend == "pca9685":
        return Pca9685Backend(neutral, bus=config.i2c_bus, address=config.i2c_address,
                              channels=parse_channel_map(config.i2c_channels, parameter="i2c_channels",
                                                         max_channel=PCA9685_MAX_CHANNEL))
    if config.simulated_output_dir:
        pwm_root, gpio_root = build_sysfs_tree(Path(config.simulated_output_dir).expanduser(),
                                               enable_gpio=config.servo_enable_gpio)
        return SysfsBackend(neutral, pwm_root=pwm_root, gpio_root=gpio_root, enable_gpio=config.servo_enable_gpio,
                            regular_files=True)
    return SimulatedBackend(neutral)
