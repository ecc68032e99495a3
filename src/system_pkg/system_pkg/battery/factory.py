"""Build the battery reader the `battery_backend` parameter names."""

from __future__ import annotations

from pathlib import Path

from system_pkg.battery.i2c_gauge import I2cGauge, find_gauge_bus
from system_pkg.battery.power_supply import PowerSupplyBattery
from system_pkg.battery.reading import BatteryBackend
from system_pkg.battery.simulated import SimulatedBattery
from system_pkg.config import SystemConfig


def make_battery(config: SystemConfig) -> BatteryBackend:
    if config.battery_backend == "i2c_gauge":
        return I2cGauge(config.battery_i2c_bus if config.battery_i2c_bus >= 0 else find_gauge_bus())
    if config.battery_backend == "power_supply":
        return PowerSupplyBattery(Path(config.power_supply_root), config.power_supply_name)
    return SimulatedBattery(config.simulated_battery_level)
