"""Who this car is, read the way DeepRacer Event Manager (DREM) identifies a car: the chassis serial from DMI
(the DeepRacer's Intel board), else the Raspberry Pi's serial (device tree, else the `Serial` line of
/proc/cpuinfo), and the hostname. One home for the rule: the fleet link and the console both read it here.

The paths are parameters so tests can point them at temporary files standing in for sysfs and procfs.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

CHASSIS_SERIAL = Path("/sys/class/dmi/id/chassis_serial")
DEVICE_TREE_SERIAL = Path("/proc/device-tree/serial-number")
CPUINFO = Path("/proc/cpuinfo")
# What board vendors leave in DMI fields they did not fill: not a serial.
PLACEHOLDERS = frozenset({"", "none", "default string", "to be filled by o.e.m.", "not specified",
                          "chassis serial number", "0"})


@dataclass(frozen=True)
class CarIdentity:
    serial: str  # "" when the machine has none (a laptop, a container)
    hostname: str

    @property
    def name(self) -> str:
        """The serial when there is one, else the hostname: what tells this car from the others."""
        return self.serial or self.hostname


def _read(path: Path) -> str:
    try:
        text = path.read_text(errors="replace").strip("\x00 \t\r\n")
    except OSError:
        return ""
    return "" if text.lower() in PLACEHOLDERS else text


def _cpuinfo_serial(path: Path) -> str:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == "Serial" and value.strip().strip("0"):  # all zeros: a board without one
            return value.strip()
    return ""


def read_serial(chassis_serial: Path = CHASSIS_SERIAL, device_tree_serial: Path = DEVICE_TREE_SERIAL,
                cpuinfo: Path = CPUINFO) -> str:
    return _read(chassis_serial) or _read(device_tree_serial) or _cpuinfo_serial(cpuinfo)


def read_identity(chassis_serial: Path = CHASSIS_SERIAL, device_tree_serial: Path = DEVICE_TREE_SERIAL,
                  cpuinfo: Path = CPUINFO) -> CarIdentity:
    return CarIdentity(read_serial(chassis_serial, device_tree_serial, cpuinfo), socket.gethostname())
