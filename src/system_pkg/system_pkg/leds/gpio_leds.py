"""The DeepRacer's three RGB status LEDs on GPIO lines through sysfs (/sys/class/gpio: `export`,
`gpioN/direction`, `gpioN/value`).

Lines (the original status LED package, aws-deepracer-status-led-pkg constants.py: rows red, green, blue; columns
LED 0, 1, 2): LED 0 (Wi-Fi) red 448, green 446, blue 450; LED 2 (power) red 437, green 443, blue 458. A value of
1 lights a colour. Each line is exported and set to output once; a value is written only when it changes.
"""

from __future__ import annotations

from pathlib import Path

from system_pkg.leds.patterns import BLUE, OFF, RED

WIFI_LED_LINES = (448, 446, 450)
POWER_LED_LINES = (437, 443, 458)
COLOURS = {OFF: (0, 0, 0), RED: (1, 0, 0), BLUE: (0, 0, 1)}


class LedError(OSError):
    pass


class GpioRgbLed:
    def __init__(self, gpio_root: Path, lines: tuple[int, int, int]) -> None:
        self._root = gpio_root
        self._lines = lines
        self._shown: str | None = None
        self._ready = False

    def _line(self, number: int) -> Path:
        return self._root / f"gpio{number}"

    def _prepare(self) -> None:
        for number in self._lines:
            if not self._line(number).is_dir():
                (self._root / "export").write_text(str(number))
            (self._line(number) / "direction").write_text("out")
        self._ready = True

    def show(self, colour: str) -> None:
        if colour == self._shown:
            return
        try:
            if not self._ready:
                self._prepare()
            for number, value in zip(self._lines, COLOURS[colour], strict=True):
                (self._line(number) / "value").write_text(str(value))
        except OSError as error:
            raise LedError(f"status LED GPIO {self._lines} under {self._root} not writable ({error}): run as a "
                           "user allowed to write /sys/class/gpio, or set led_backend to simulated") from error
        self._shown = colour


class SimulatedLed:
    """Keeps what it was asked to show (tests and the laptop read it)."""

    def __init__(self) -> None:
        self.shown = OFF

    def show(self, colour: str) -> None:
        self.shown = colour
