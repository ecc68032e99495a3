"""How simulated time moves, without ROS: which steps take a camera frame, and when the duty cycles the servo node
wrote reach the simulated car.

The simulator owns the stack's clock (its node publishes /clock). Time moves in physics steps; a frame is taken at
the first step at or after each frame time (the frame period apart from the simulator's start; in lockstep every
frame falls on a step, so the same run takes the same frames at the same places). What the servo node wrote is
read at a moment and reaches the car `latency_ns` later: in lockstep the stack answers a frame while time stands
still, and this latency, the car's own measured one, is added back.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator

from sim_pkg.pwm_files import PwmReading

NOTHING = PwmReading(steering_ns=None, throttle_ns=None)


def lockstep_step_ns(rate_hz: float, fps: float) -> int:
    """A physics step at least as fine as `rate_hz` that divides the frame period: every frame falls on a step, at
    the same place in every run."""
    period_ns = round(1e9 / fps)
    return period_ns // max(1, math.ceil(rate_hz / fps))


class FrameSchedule:
    """Frame times: `start_ns` and every frame period after it."""

    def __init__(self, fps: float, start_ns: int) -> None:
        self.period_ns = round(1e9 / fps)
        self._next_ns = start_ns

    def due(self, now_ns: int) -> bool:
        """Whether the step at `now_ns` takes a frame (at most one per step; a late step takes one, not several)."""
        if now_ns < self._next_ns:
            return False
        self._next_ns += self.period_ns * max(1, (now_ns - self._next_ns) // self.period_ns + 1)
        return True


class DutyDelay:
    """Readings of the PWM wires, each taking effect `latency_ns` after it was read."""

    def __init__(self, latency_ns: int) -> None:
        self.latency_ns = latency_ns
        self._pending: deque[tuple[int, PwmReading]] = deque()
        self.current = NOTHING

    def read(self, now_ns: int, reading: PwmReading) -> None:
        """What the wires carried at `now_ns` (queued only when it changes anything)."""
        last = self._pending[-1][1] if self._pending else self.current
        if reading != last:
            self._pending.append((now_ns + self.latency_ns, reading))

    def changes_until(self, end_ns: int) -> Iterator[int]:
        """The moments up to `end_ns` at which the car's wires change, in order; `current` is each one's reading as
        it is yielded (the caller steps the car to that moment first, with the reading before it)."""
        while self._pending and self._pending[0][0] <= end_ns:
            at, reading = self._pending[0]
            yield at
            self._pending.popleft()
            self.current = reading
