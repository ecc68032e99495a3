"""The PCA9685 backend against an INJECTED bus that records register writes (no I2C bus exists on this machine):
the register sequence of the datasheet, counts for the real 19.988 ms period, full-off at deactivate, the guard's
write without configuring, and a missing chip reported in plain words."""

from __future__ import annotations

import pytest

from servo_pkg.backends.base import BackendError
from servo_pkg.backends.pca9685 import (
    FULL_OFF,
    LED0_ON_L,
    MODE1,
    MODE2,
    PRE_SCALE,
    Pca9685Backend,
    counts,
    period_ns,
    prescale,
)

NEUTRAL = {"steering": 1_450_000, "throttle": 1_446_000}
ADDRESS = 0x40


class RecordingBus:
    def __init__(self, fail: bool = False) -> None:
        self.writes: list[tuple[int, int, object]] = []
        self.fail = fail
        self.closed = False

    def write_byte_data(self, address: int, register: int, value: int) -> None:
        if self.fail:
            raise OSError(121, "Remote I/O error")
        self.writes.append((address, register, value))

    def write_i2c_block_data(self, address: int, register: int, data: list[int]) -> None:
        if self.fail:
            raise OSError(121, "Remote I/O error")
        self.writes.append((address, register, list(data)))

    def close(self) -> None:
        self.closed = True


def make(bus: RecordingBus) -> Pca9685Backend:
    return Pca9685Backend(NEUTRAL, bus=1, address=ADDRESS, channels={"steering": 0, "throttle": 1},
                          open_bus=lambda number: bus)


def test_prescale_and_the_real_period_at_50_hz() -> None:
    assert prescale(50) == 121  # round(25e6 / (4096 * 50)) - 1
    assert period_ns(121) == pytest.approx(19_988_480)
    assert counts(1_500_000, period_ns(121)) == 307  # 1.5 ms of 19.988 ms is 307.4 counts of 4096


def test_configure_then_activate_writes_the_datasheet_sequence_then_neutral() -> None:
    bus = RecordingBus()
    backend = make(bus)
    backend.configure()
    assert [w[1:] for w in bus.writes] == [(MODE1, 0x10), (PRE_SCALE, 121), (MODE2, 0x04), (MODE1, 0x20),
                                           (MODE1, 0xA0)]
    bus.writes.clear()
    backend.activate()
    steering, throttle = counts(1_450_000, period_ns(121)), counts(1_446_000, period_ns(121))
    assert bus.writes == [(ADDRESS, LED0_ON_L + 0, [0, 0, steering & 0xFF, steering >> 8]),
                          (ADDRESS, LED0_ON_L + 4, [0, 0, throttle & 0xFF, throttle >> 8])]


def test_write_sets_named_channels_and_ignores_the_tail_light() -> None:
    bus = RecordingBus()
    with make(bus) as backend:
        bus.writes.clear()
        assert backend.write({"throttle": 1_311_000, "tail_red": 5_000_000})
        off = counts(1_311_000, period_ns(121))
        assert bus.writes == [(ADDRESS, LED0_ON_L + 4, [0, 0, off & 0xFF, off >> 8])]
        bus.writes.clear()
    # deactivate: neutral, then both outputs held fully off, then the bus closed
    assert bus.writes[-2:] == [(ADDRESS, LED0_ON_L + 0, [0, 0, 0, FULL_OFF]),
                               (ADDRESS, LED0_ON_L + 4, [0, 0, 0, FULL_OFF])]
    assert bus.closed


def test_guard_writes_throttle_neutral_without_configuring_the_chip() -> None:
    bus = RecordingBus()
    assert make(bus).hold_neutral()
    off = counts(1_446_000, period_ns(121))
    assert bus.writes == [(ADDRESS, LED0_ON_L + 4, [0, 0, off & 0xFF, off >> 8])]


def test_missing_chip_fails_at_configure_in_plain_words() -> None:
    with pytest.raises(BackendError, match=r"no PCA9685 answering at I2C bus 1 address 0x40.*i2cdetect -y 1"):
        make(RecordingBus(fail=True)).configure()


def test_a_failed_write_is_reported_not_raised() -> None:
    bus = RecordingBus()
    with make(bus) as backend:
        bus.fail = True
        assert backend.write({"throttle": 1_400_000}) is False
        assert "Remote I/O error" in backend.problem
        bus.fail = False


def test_channels_out_of_the_chips_range_are_refused() -> None:
    with pytest.raises(ValueError, match=r"0\.\.15"):
        Pca9685Backend(NEUTRAL, bus=1, address=ADDRESS, channels={"throttle": 16}, open_bus=lambda n: RecordingBus())


def test_the_backend_parameter_builds_it_and_its_parameters_are_checked() -> None:
    from servo_pkg.backends.factory import make_backend
    from servo_pkg.config import ServoConfig

    backend = make_backend(ServoConfig(backend="pca9685", i2c_bus=3, i2c_channels="throttle=2,steering=5"), NEUTRAL)
    assert isinstance(backend, Pca9685Backend)
    with pytest.raises(ValueError, match=r"i2c_channels entry 'throttle=16'.*0\.\.15"):
        ServoConfig(backend="pca9685", i2c_channels="throttle=16")
    with pytest.raises(ValueError, match="i2c_address must be a 7-bit"):
        ServoConfig(i2c_address=0x80)
