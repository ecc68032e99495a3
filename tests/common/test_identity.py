"""The car identity rule. sysfs and procfs cannot be written here: temporary files with the same content
stand in for /sys/class/dmi/id/chassis_serial, /proc/device-tree/serial-number and /proc/cpuinfo."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from deepracer_common_pkg.identity import read_identity

PI_CPUINFO = "processor\t: 0\nHardware\t: BCM2835\nRevision\t: c03111\nSerial\t\t: 10000000a1b2c3d4\nModel\t\t: Pi\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {"chassis_serial": tmp_path / "chassis_serial", "device_tree_serial": tmp_path / "serial-number",
            "cpuinfo": tmp_path / "cpuinfo"}


def test_the_deepracer_chassis_serial_comes_first(files: dict[str, Path]) -> None:
    files["chassis_serial"].write_text("A1B2C3D4E5\n")
    files["device_tree_serial"].write_bytes(b"10000000ffffffff\x00")
    files["cpuinfo"].write_text(PI_CPUINFO)
    identity = read_identity(**files)
    assert identity.serial == "A1B2C3D4E5"
    assert identity.hostname == socket.gethostname()
    assert identity.name == "A1B2C3D4E5"


def test_a_raspberry_pi_serial_from_the_device_tree_without_its_nul(files: dict[str, Path]) -> None:
    files["device_tree_serial"].write_bytes(b"10000000a1b2c3d4\x00")
    assert read_identity(**files).serial == "10000000a1b2c3d4"


def test_a_vendor_placeholder_is_no_serial_and_cpuinfo_is_the_last_source(files: dict[str, Path]) -> None:
    files["chassis_serial"].write_text("Default string\n")
    files["cpuinfo"].write_text(PI_CPUINFO)
    assert read_identity(**files).serial == "10000000a1b2c3d4"


def test_no_serial_anywhere_names_the_car_by_its_hostname(files: dict[str, Path]) -> None:
    files["cpuinfo"].write_text("processor\t: 0\nSerial\t\t: 0000000000000000\n")
    identity = read_identity(**files)
    assert identity.serial == ""
    assert identity.name == socket.gethostname()
