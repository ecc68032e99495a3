"""Which of navigation's commands the console's readout gets on its local link: a sample, and every stop.

Why: the Control page shows the commanded steering and throttle twice a second, and each command handed to the
console costs the car a wake-up of the console's receiving thread. One every READOUT_PERIOD_S keeps the readout live
(it shows a value for drive_readout.STALE_AFTER_S, 1 s, after it was heard, and commands repeat every
command_repeat_s while a run holds still); a neutral throttle after a moving one goes at once, so the page shows a
stop when it happens.
"""

from __future__ import annotations

READOUT_PERIOD_S = 0.1


class ReadoutSampler:
    def __init__(self, period_s: float = READOUT_PERIOD_S) -> None:
        self._period_s = period_s
        self._sent_s = float("-inf")
        self._throttle: float | None = None

    def due(self, now_s: float, throttle: float) -> bool:
        """Whether a command with `throttle` at `now_s` goes to the readout."""
        return now_s - self._sent_s >= self._period_s or (throttle == 0.0 and self._throttle != 0.0)

    def sent(self, now_s: float, throttle: float) -> None:
        self._sent_s, self._throttle = now_s, throttle
