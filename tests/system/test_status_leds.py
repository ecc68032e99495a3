"""Status LEDs: the patterns over time (a pure function of the time, no waiting), and the GPIO backend on a
temporary folder laid out like /sys/class/gpio (this machine has no GPIO lines)."""

from __future__ import annotations

import pytest

from system_pkg.leds.gpio_leds import POWER_LED_LINES, WIFI_LED_LINES, GpioRgbLed, LedError, SimulatedLed
from system_pkg.leds.patterns import BLUE, ERROR_SHOWN_S, OFF, RED
from system_pkg.leds.status_leds import StatusLeds


def _shown(leds: StatusLeds, power: SimulatedLed, wifi: SimulatedLed, now: float) -> tuple[str, str]:
    leds.refresh(now)
    return power.shown, wifi.shown


def _leds():
    power, wifi = SimulatedLed(), SimulatedLed()
    return StatusLeds(power=power, wifi=wifi), power, wifi


def test_power_steady_blue_blinks_while_busy_and_red_for_two_seconds_on_failure():
    leds, power, wifi = _leds()
    assert _shown(leds, power, wifi, 100.0) == (BLUE, OFF)
    leds.busy(True)
    assert [_shown(leds, power, wifi, t)[0] for t in (100.0, 100.25, 100.5, 100.75, 101.0)] == \
        [BLUE, BLUE, OFF, OFF, BLUE]
    leds.failed(101.1)
    assert _shown(leds, power, wifi, 101.1)[0] == RED
    assert _shown(leds, power, wifi, 101.1 + ERROR_SHOWN_S - 0.01)[0] == RED
    assert _shown(leds, power, wifi, 101.1 + ERROR_SHOWN_S)[0] == BLUE


def test_wifi_blinks_while_joining_then_blue_or_red_then_off():
    leds, power, wifi = _leds()
    leds.wifi_connected(True)
    assert _shown(leds, power, wifi, 10.0)[1] == BLUE
    leds.wifi_joining()
    leds.wifi_connected(True)  # a periodic check while joining does not stop the blink
    assert {_shown(leds, power, wifi, t)[1] for t in (10.0, 10.6)} == {BLUE, OFF}
    leds.wifi_joined(False, 11.0)
    assert _shown(leds, power, wifi, 12.9)[1] == RED and _shown(leds, power, wifi, 13.0)[1] == OFF
    leds.wifi_joining()
    leds.wifi_joined(True, 14.0)
    assert _shown(leds, power, wifi, 14.0)[1] == BLUE


def _gpio_tree(root, exported):
    root.mkdir()
    (root / "export").write_text("")
    for number in exported:
        (root / f"gpio{number}").mkdir()
        (root / f"gpio{number}" / "direction").write_text("in")
        (root / f"gpio{number}" / "value").write_text("0")


def test_gpio_led_sets_output_and_writes_the_colour(tmp_path):
    root = tmp_path / "gpio"
    _gpio_tree(root, POWER_LED_LINES)
    red, green, blue = POWER_LED_LINES
    led = GpioRgbLed(root, POWER_LED_LINES)
    led.show(BLUE)
    assert {n: (root / f"gpio{n}" / "value").read_text() for n in POWER_LED_LINES} == {red: "0", green: "0", blue: "1"}
    assert all((root / f"gpio{n}" / "direction").read_text() == "out" for n in POWER_LED_LINES)
    led.show(RED)
    assert (root / f"gpio{red}" / "value").read_text() == "1" and (root / f"gpio{blue}" / "value").read_text() == "0"


def test_gpio_line_not_exported_is_exported_and_a_line_that_never_appears_is_said(tmp_path):
    root = tmp_path / "gpio"
    _gpio_tree(root, WIFI_LED_LINES[:2])
    # No kernel here makes gpio450/ on export: the write is seen, then the error names the lines and the fix.
    with pytest.raises(LedError, match=r"\(448, 446, 450\).*led_backend to simulated"):
        GpioRgbLed(root, WIFI_LED_LINES).show(BLUE)
    assert (root / "export").read_text() == "450"


def test_wifi_and_power_leds_are_the_originals_lines():
    assert WIFI_LED_LINES == (448, 446, 450) and POWER_LED_LINES == (437, 443, 458)
