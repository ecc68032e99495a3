"""Battery backends: the DeepRacer's I2C gauge (an injected SMBus answering chosen bytes: this machine has no
gauge), a power-supply device (a temporary sysfs tree), the level scale and the low-level rule."""

from __future__ import annotations

import os

import pytest

from system_pkg.battery.i2c_gauge import DEFAULT_BUS, GAUGE_ADDRESS, GAUGE_REGISTER, I2cGauge, find_gauge_bus
from system_pkg.battery.levels import GAUGE_THRESHOLDS, level_from_gauge_byte, level_from_percent
from system_pkg.battery.power_supply import PowerSupplyBattery
from system_pkg.battery.reading import BatteryReading


class GaugeBus:
    """Answers read_byte_data like smbus2.SMBus; an OSError value is raised, as a bus with no device does."""

    def __init__(self, answers: list[int | OSError]) -> None:
        self.answers = answers
        self.reads: list[tuple[int, int]] = []
        self.closed = 0

    def read_byte_data(self, address: int, register: int) -> int:
        self.reads.append((address, register))
        answer = self.answers.pop(0)
        if isinstance(answer, OSError):
            raise answer
        return answer

    def close(self) -> None:
        self.closed += 1


@pytest.mark.parametrize(("byte", "level"), [
    (0xFF, 11), (0xEC, 11), (0xEB, 10), (0xE0, 10), (0xD9, 9), (0xD3, 8), (0xCF, 7), (0xCB, 6), (0xC8, 5),
    (0xC5, 4), (0xC3, 3), (0xC2, 2), (0xC0, 2), (0xBF, 1), (0xB4, 1), (0xB3, 0), (0x8C, 0), (0x10, 0)])
def test_gauge_bytes_at_and_around_each_threshold(byte, level):
    assert level_from_gauge_byte(byte) == level


def test_thresholds_fall_strictly_from_eleven_to_zero():
    assert [level for _, level in GAUGE_THRESHOLDS] == list(range(11, -1, -1))
    lows = [low for low, _ in GAUGE_THRESHOLDS]
    assert lows == sorted(lows, reverse=True) and len(set(lows)) == len(lows)


def test_gauge_reads_register_3_of_address_0x3f_and_maps_the_byte():
    bus = GaugeBus([0xD3])
    opened = []
    gauge = I2cGauge(7, open_bus=lambda n: opened.append(n) or bus)
    assert gauge.read() == BatteryReading(8, "i2c_gauge")
    assert opened == [7] and bus.reads == [(GAUGE_ADDRESS, GAUGE_REGISTER)] == [(0x3F, 0x03)]


def test_gauge_read_error_is_minus_one_with_the_reason_and_the_bus_is_reopened_next_time():
    buses = [GaugeBus([OSError(121, "Remote I/O error")]), GaugeBus([0xEC])]
    gauge = I2cGauge(3, open_bus=lambda n: buses.pop(0) if buses else pytest.fail("opened too often"))
    failed = gauge.read()
    assert failed.level == -1
    assert "bus 3" in failed.problem and "0x3f" in failed.problem and "Remote I/O error" in failed.problem
    assert gauge.read().level == 11


def test_gauge_bus_found_from_the_i2c_dev_link_naming_the_pci_device(tmp_path):
    root = tmp_path / "i2c-dev"
    root.mkdir()
    os.symlink("../../devices/pci0000:00/0000:00:16.0/i2c_designware.0/i2c-2/i2c-dev/i2c-2", root / "i2c-2")
    os.symlink("../../devices/pci0000:00/0000:00:17.3/i2c_designware.7/i2c-9/i2c-dev/i2c-9", root / "i2c-9")
    assert find_gauge_bus(root) == 9
    assert find_gauge_bus(tmp_path / "missing") == DEFAULT_BUS == 7
    (root / "i2c-9").unlink()
    assert find_gauge_bus(root) == 7


def _supply(root, name, kind, capacity=None):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "type").write_text(kind + "\n")
    if capacity is not None:
        (folder / "capacity").write_text(f"{capacity}\n")


def test_power_supply_uses_the_battery_not_the_mains_adapter(tmp_path):
    _supply(tmp_path, "AC", "Mains")
    _supply(tmp_path, "BAT0", "Battery", 50)
    assert PowerSupplyBattery(tmp_path).read() == BatteryReading(6, "power_supply")
    (tmp_path / "BAT0" / "capacity").write_text("100\n")
    assert PowerSupplyBattery(tmp_path).read().level == 11


def test_power_supply_without_a_battery_says_where_it_looked(tmp_path):
    _supply(tmp_path, "AC", "Mains")
    reading = PowerSupplyBattery(tmp_path).read()
    assert reading.level == -1 and str(tmp_path) in reading.problem


@pytest.mark.parametrize(("percent", "level"), [(0, 0), (4, 0), (5, 1), (50, 6), (95, 10), (100, 11), (130, 11)])
def test_percent_scale(percent, level):
    assert level_from_percent(percent) == level


def test_low_is_a_known_level_at_or_below_the_limit():
    assert BatteryReading(2, "x").is_low(2) and not BatteryReading(3, "x").is_low(2)
    assert not BatteryReading.failed("x", "no gauge").is_low(2)  # unknown is not "low": no false alarm
