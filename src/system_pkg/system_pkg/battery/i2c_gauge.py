"""The DeepRacer's own battery gauge: one byte at register 0x03 of I2C address 0x3f.

The gauge hangs off the I2C controller that is PCI device 0000:00:17.3; its bus number is found as the original
did, from the /sys/class/i2c-dev/i2c-N links, whose targets name the PCI device (bus 7 when none does). The bus
is smbus2's SMBus (pure Python, pinned in requirements.txt), injected so tests can answer with chosen bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from system_pkg.battery.levels import level_from_gauge_byte
from system_pkg.battery.reading import BatteryReading

GAUGE_PCI_DEVICE = "0000:00:17.3"
GAUGE_ADDRESS = 0x3F
GAUGE_REGISTER = 0x03
DEFAULT_BUS = 7
SOURCE = "i2c_gauge"


class ByteReader(Protocol):
    def read_byte_data(self, address: int, register: int) -> int: ...
    def close(self) -> None: ...


def find_gauge_bus(i2c_dev_root: Path = Path("/sys/class/i2c-dev"), pci_device: str = GAUGE_PCI_DEVICE) -> int:
    """The N of the i2c-N whose sysfs link goes through `pci_device`; DEFAULT_BUS when none does."""
    try:
        entries = sorted(i2c_dev_root.iterdir())
    except OSError:
        return DEFAULT_BUS
    for entry in entries:
        name = entry.name
        if not name.startswith("i2c-") or not name[4:].isdigit() or not entry.is_symlink():
            continue
        if pci_device in os.readlink(entry):
            return int(name[4:])
    return DEFAULT_BUS


def _smbus(bus: int) -> ByteReader:
    import smbus2  # imported when used: a laptop never needs it

    return smbus2.SMBus(bus)


class I2cGauge:
    def __init__(self, bus: int, *, address: int = GAUGE_ADDRESS, register: int = GAUGE_REGISTER,
                 open_bus: Callable[[int], ByteReader] = _smbus) -> None:
        self.bus_number = bus
        self._address = address
        self._register = register
        self._open_bus = open_bus
        self._bus: ByteReader | None = None

    def read(self) -> BatteryReading:
        try:
            if self._bus is None:
                self._bus = self._open_bus(self.bus_number)
            value = self._bus.read_byte_data(self._address, self._register)
        except OSError as error:
            self.close()  # reopened on the next read: a bus that comes back is used again
            return BatteryReading.failed(SOURCE, f"battery gauge not answering on I2C bus {self.bus_number} "
                                                 f"address {self._address:#04x} ({error})")
        return BatteryReading(level_from_gauge_byte(value), SOURCE)

    def close(self) -> None:
        bus, self._bus = self._bus, None
        if bus is not None:
            bus.close()
