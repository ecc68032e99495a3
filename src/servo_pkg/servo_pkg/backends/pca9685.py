"""The PCA9685 16-channel PWM chip over I2C: the servo HAT of Raspberry Pi cars built like the DeepRacer.

Hardware assumptions (NXP PCA9685 datasheet, product data sheet rev. 4):
- 25 MHz internal oscillator; the output frequency is set by PRE_SCALE (register 0xFE) =
  round(25 MHz / (4096 × f)) − 1, which can only be written while MODE1 (0x00) has its SLEEP bit (0x10) set;
  after clearing SLEEP the oscillator needs 500 µs before RESTART (0x80) may be written.
- Channel n has four registers from LED0_ON_L (0x06) + 4n: ON_L, ON_H, OFF_L, OFF_H. Within each 4096-count period
  the output goes high at count ON and low at count OFF; bit 4 of OFF_H (0x10) holds the output fully off.
- MODE1's AI bit (0x20) auto-increments the register address, so a channel's four registers are one block write;
  MODE2's OUTDRV bit (0x04) selects totem-pole outputs, as servo HATs drive servo signal lines.
At 50 Hz the prescale is 121, so the real period is 122 × 4096 / 25 MHz = 19.988 ms, not 20 ms: duty cycles are
turned into counts with the real period, so a 1.5 ms pulse is 1.5 ms (and the calibration maths stays the same as
on the DeepRacer's own PWM). Only steering and throttle go through here (channels mapped by name, like the Maestro).
The bus is smbus2's SMBus (pure Python, kept up, the usual choice on a Pi), injected so tests can record registers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Protocol

from servo_pkg.backends.base import BackendError, PwmBackend
from servo_pkg.channel_limits import PCA9685_MAX_CHANNEL as MAX_CHANNEL
from servo_pkg.pwm_math import STEERING, THROTTLE

MODE1, MODE2, LED0_ON_L, PRE_SCALE = 0x00, 0x01, 0x06, 0xFE
MODE1_SLEEP, MODE1_AI, MODE1_RESTART = 0x10, 0x20, 0x80
MODE2_OUTDRV = 0x04
FULL_OFF = 0x10
OSCILLATOR_HZ = 25_000_000
COUNTS = 4096
SERVO_HZ = 50
OSCILLATOR_START_S = 0.0005


class SMBusLike(Protocol):
    def write_byte_data(self, address: int, register: int, value: int) -> None: ...
    def write_i2c_block_data(self, address: int, register: int, data: list[int]) -> None: ...
    def close(self) -> None: ...


def prescale(frequency_hz: float) -> int:
    return round(OSCILLATOR_HZ / (COUNTS * frequency_hz)) - 1


def period_ns(prescale_value: int) -> float:
    """The period the chip really generates for a prescale value."""
    return (prescale_value + 1) * COUNTS / OSCILLATOR_HZ * 1e9


def counts(duty_ns: int, period: float) -> int:
    """OFF count for a pulse of `duty_ns` (ON at count 0)."""
    return max(0, min(COUNTS - 1, round(duty_ns / period * COUNTS)))


def _smbus(bus: int) -> SMBusLike:
    import smbus2  # imported when used: a car without the HAT needs no I2C library

    return smbus2.SMBus(bus)


class Pca9685Backend(PwmBackend):
    def __init__(self, neutral: Mapping[str, int], *, bus: int, address: int, channels: Mapping[str, int],
                 open_bus: Callable[[int], SMBusLike] = _smbus) -> None:
        super().__init__(neutral)
        if not set(channels) <= {STEERING, THROTTLE}:
            raise ValueError(f"PCA9685 channels can be 'steering' and 'throttle' only, got {sorted(channels)}")
        if any(not 0 <= ch <= MAX_CHANNEL for ch in channels.values()):
            raise ValueError(f"PCA9685 channels are 0..{MAX_CHANNEL}, got {dict(channels)}")
        self._bus_number = bus
        self._address = address
        self._channels = dict(channels)
        self._open_bus = open_bus
        self._bus: SMBusLike | None = None
        self._prescale = prescale(SERVO_HZ)
        self._period_ns = period_ns(self._prescale)

    def _open(self) -> None:
        try:
            self._bus = self._open_bus(self._bus_number)
            write = self._bus.write_byte_data
            write(self._address, MODE1, MODE1_SLEEP)  # prescale is writable only while asleep
            write(self._address, PRE_SCALE, self._prescale)
            write(self._address, MODE2, MODE2_OUTDRV)
            write(self._address, MODE1, MODE1_AI)
            time.sleep(OSCILLATOR_START_S)  # the datasheet's oscillator start-up before RESTART
            write(self._address, MODE1, MODE1_AI | MODE1_RESTART)
        except OSError as error:
            raise BackendError(f"no PCA9685 answering at I2C bus {self._bus_number} address {self._address:#04x} "
                               f"({error}): check the HAT, `i2cdetect -y {self._bus_number}`, or use "
                               f"backend:=simulated on a laptop") from error

    def _block(self, channel: int, data: list[int]) -> None:
        if self._bus is None:  # the actuation guard writes without configuring the chip the servo node set up
            self._bus = self._open_bus(self._bus_number)
        self._bus.write_i2c_block_data(self._address, LED0_ON_L + 4 * channel, data)

    def _write(self, duties: dict[str, int]) -> bool:
        try:
            for name, ns in duties.items():
                if name in self._channels:
                    off = counts(ns, self._period_ns)
                    self._block(self._channels[name], [0, 0, off & 0xFF, off >> 8])
        except OSError as error:
            self.problem = f"PCA9685 write failed: {error}"
            return False
        self.problem = None
        return True

    def _power(self, on: bool) -> None:
        if not on:
            for channel in self._channels.values():
                self._block(channel, [0, 0, 0, FULL_OFF])

    def _close(self) -> None:
        if self._bus is not None:
            bus, self._bus = self._bus, None
            bus.close()
