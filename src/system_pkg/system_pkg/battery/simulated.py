"""A laptop's stand-in battery: a fixed level, so the console's meter and low warning can be seen and tested."""

from __future__ import annotations

from system_pkg.battery.reading import BatteryReading


class SimulatedBattery:
    def __init__(self, level: int) -> None:
        self.level = level

    def read(self) -> BatteryReading:
        return BatteryReading(self.level, "simulated")

    def close(self) -> None:
        pass
