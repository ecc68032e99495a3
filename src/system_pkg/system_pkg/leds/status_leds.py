"""The power and Wi-Fi LEDs driven from what the system node knows (ROS-free; the node calls `refresh` on a
timer faster than the blink, and the events below as they happen)."""

from __future__ import annotations

from typing import Protocol

from system_pkg.leds.patterns import BLUE, OFF, LedPattern


class Led(Protocol):
    def show(self, colour: str) -> None: ...


class StatusLeds:
    def __init__(self, power: Led, wifi: Led) -> None:
        self._leds = {"power": power, "wifi": wifi}
        self.power = LedPattern(steady=BLUE)
        self.wifi = LedPattern()

    def refresh(self, now: float) -> None:
        self._leds["power"].show(self.power.colour(now))
        self._leds["wifi"].show(self.wifi.colour(now))

    @property
    def animated(self) -> bool:
        """Blinking, or showing an error for a while: refreshed faster than the blink only then."""
        return any(led.blinking or led.error_since is not None for led in (self.power, self.wifi))

    def wifi_connected(self, connected: bool) -> None:
        if not self.wifi.blinking:
            self.wifi.set_steady(BLUE if connected else OFF)

    def wifi_joining(self) -> None:
        self.wifi.blink()

    def wifi_joined(self, success: bool, now: float) -> None:
        self.wifi.set_steady(BLUE if success else OFF)
        if not success:
            self.wifi.error(now)

    def busy(self, busy: bool) -> None:
        """A model load or a software update runs: the power LED blinks."""
        if busy:
            self.power.blink()
        else:
            self.power.set_steady(BLUE)

    def failed(self, now: float) -> None:
        """A model load or an update failed: red for 2 s, then steady blue again."""
        self.power.set_steady(BLUE)
        self.power.error(now)

    def off(self) -> None:
        for led in self._leds.values():
            led.show(OFF)
