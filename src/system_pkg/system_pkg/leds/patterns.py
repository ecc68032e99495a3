"""What the status LEDs show, as a pure function of the state and the time, so it is tested without waiting.

The original car (DeepRacer guide, aws-deepracer-systems-pkg): LED 0 is Wi-Fi (blue when connected, blinking
while it joins a network from a USB stick, red for 2 s when that failed), LED 2 is power (blue while the stack
runs, blinking during a model load or a software update, red for 2 s when one failed).
"""

from __future__ import annotations

from dataclasses import dataclass

BLINK_PERIOD_S = 1.0  # on half, off half
ERROR_SHOWN_S = 2.0

OFF = "off"
BLUE = "blue"
RED = "red"


@dataclass
class LedPattern:
    """One LED: steady colour, or blinking, or an error shown for ERROR_SHOWN_S then back to what it was."""

    steady: str = OFF
    blinking: bool = False
    error_since: float | None = None

    def set_steady(self, colour: str) -> None:
        self.steady, self.blinking = colour, False

    def blink(self) -> None:
        self.blinking = True

    def error(self, now: float) -> None:
        self.blinking = False
        self.error_since = now

    def colour(self, now: float) -> str:
        if self.error_since is not None:
            if now - self.error_since < ERROR_SHOWN_S:
                return RED
            self.error_since = None
        if self.blinking:
            return BLUE if now % BLINK_PERIOD_S < BLINK_PERIOD_S / 2 else OFF
        return self.steady
