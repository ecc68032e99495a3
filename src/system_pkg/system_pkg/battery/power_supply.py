"""A Linux power-supply device (/sys/class/power_supply/<name>/capacity, 0-100 %): Pi UPS HATs, laptops.

The first supply whose `type` says Battery and that has a `capacity` is used, unless one is named.
"""

from __future__ import annotations

from pathlib import Path

from system_pkg.battery.levels import level_from_percent
from system_pkg.battery.reading import BatteryReading

SOURCE = "power_supply"


class PowerSupplyBattery:
    def __init__(self, root: Path = Path("/sys/class/power_supply"), name: str = "") -> None:
        self._root = root
        self._name = name

    def _device(self) -> Path | None:
        if self._name:
            return self._root / self._name
        try:
            candidates = sorted(self._root.iterdir())
        except OSError:
            return None
        for device in candidates:
            try:
                kind = (device / "type").read_text().strip()
            except OSError:
                continue
            if kind == "Battery" and (device / "capacity").exists():
                return device
        return None

    def read(self) -> BatteryReading:
        device = self._device()
        if device is None:
            return BatteryReading.failed(SOURCE, f"no battery under {self._root} (a folder whose type file says "
                                                 "Battery and that has a capacity file)")
        try:
            percent = float((device / "capacity").read_text().strip())
        except (OSError, ValueError) as error:
            return BatteryReading.failed(SOURCE, f"cannot read {device / 'capacity'}: {error}")
        return BatteryReading(level_from_percent(percent), SOURCE)

    def close(self) -> None:
        pass
