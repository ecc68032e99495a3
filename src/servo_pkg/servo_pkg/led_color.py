"""The tail light's colour model: the console's 0-255 steps per channel, and their PWM duty cycles.

The original car drives each LED channel with a 10 ms PWM period and maps the console's 0-255 to duty cycles
of 39,215 ns per step (255 steps = 9,999,825 ns, just under the full period).
"""

from __future__ import annotations

from dataclasses import dataclass

LED_NS_PER_STEP = 39_215
LED_MAX_NS = 10_000_000


@dataclass(frozen=True)
class LedColor:
    """Tail-light colour in the console's 0-255 steps per channel."""

    red: int
    green: int
    blue: int

    def __post_init__(self) -> None:
        for name in ("red", "green", "blue"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
                raise ValueError(f"{name} must be an integer 0-255, got {value!r}")

    def duty_ns(self) -> tuple[int, int, int]:
        """(red, green, blue) duty cycles in ns."""
        return (self.red * LED_NS_PER_STEP, self.green * LED_NS_PER_STEP, self.blue * LED_NS_PER_STEP)

    @classmethod
    def from_duty_ns(cls, red_ns: int, green_ns: int, blue_ns: int) -> LedColor:
        """The nearest console steps for duty cycles in 0..LED_MAX_NS (ValueError outside)."""
        steps = []
        for name, ns in (("red", red_ns), ("green", green_ns), ("blue", blue_ns)):
            if not 0 <= ns <= LED_MAX_NS:
                raise ValueError(f"{name} duty cycle must be 0..{LED_MAX_NS} ns, got {ns}")
            steps.append(min(255, round(ns / LED_NS_PER_STEP)))
        return cls(*steps)


# The original car's default tail light: blue fully on.
DEFAULT_LED_COLOR = LedColor(red=0, green=0, blue=255)
