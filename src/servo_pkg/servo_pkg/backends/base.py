"""The one small contract every PWM output implements, so the node drives a laptop and a car the same way.

Lifecycle (after ros2_control's hardware components): `configure()` opens and checks the hardware,
`activate()` writes neutral and switches the outputs on, `write()` sets duty cycles, `deactivate()` writes
neutral, switches the outputs off and releases the hardware. Used as a context manager it runs the whole
lifecycle, so the outputs end neutral and off however the block is left.

Channels are named, never numbered, above this layer; each backend maps names to its own outputs.
Duty cycles are integer nanoseconds within the 20,000,000 ns PWM period.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import TracebackType

from servo_pkg.pwm_math import PWM_PERIOD_NS, STEERING, THROTTLE

TAIL_RED = "tail_red"
TAIL_GREEN = "tail_green"
TAIL_BLUE = "tail_blue"
TAIL_CHANNELS = (TAIL_RED, TAIL_GREEN, TAIL_BLUE)
OUTPUT_CHANNELS = (THROTTLE, STEERING, *TAIL_CHANNELS)


class BackendError(RuntimeError):
    """The hardware is not there or not as expected; the message says what was expected and found."""


class PwmBackend(ABC):
    """Base of all outputs. `neutral` holds the steering and throttle duty cycles for a stopped car."""

    def __init__(self, neutral: Mapping[str, int]) -> None:
        self._neutral: dict[str, int] = {}
        self.set_neutral(neutral)
        self.active = False
        self.problem: str | None = None

    @property
    def neutral(self) -> dict[str, int]:
        return dict(self._neutral)

    def set_neutral(self, neutral: Mapping[str, int]) -> None:
        """Take new neutral values (after a calibration change); used by the next activate/deactivate."""
        if set(neutral) != {STEERING, THROTTLE}:
            raise ValueError(f"neutral needs exactly 'steering' and 'throttle', got {sorted(neutral)}")
        self._neutral = {channel: self._checked(channel, ns) for channel, ns in neutral.items()}

    @staticmethod
    def _checked(channel: str, ns: int) -> int:
        if channel not in OUTPUT_CHANNELS:
            raise ValueError(f"unknown output channel {channel!r}; expected one of {OUTPUT_CHANNELS}")
        if isinstance(ns, bool) or not isinstance(ns, int) or not 0 <= ns <= PWM_PERIOD_NS:
            raise ValueError(f"duty cycle for {channel} must be an integer 0..{PWM_PERIOD_NS} ns, got {ns!r}")
        return ns

    def configure(self) -> None:
        """Open and check the hardware; raises BackendError saying what is missing."""
        self._open()

    def activate(self) -> bool:
        """Neutral first, then outputs on, so the ESC never sees anything but neutral at power-up."""
        written = self._write(self.neutral)
        self._power(True)
        self.active = True
        return written

    def write(self, duties: Mapping[str, int]) -> bool:
        """Set the given channels; True when the hardware took them, False when it is unavailable right
        now (`problem` says why). Channels not named keep their last value."""
        if not self.active:
            raise RuntimeError("write() before activate() or after deactivate()")
        return self._write({channel: self._checked(channel, ns) for channel, ns in duties.items()})

    def hold_neutral(self) -> bool:
        """Throttle to its neutral from a process that does not own the output (the actuation guard, after the
        servo node died or hung): no configure, no power change, steering left where it is, since turning the
        wheels of a coasting car is not safer. True when the hardware took it."""
        return self._write({THROTTLE: self._neutral[THROTTLE]})

    # Outputs that stop by themselves when their host goes quiet (the Maestro's serial timeout) need the servo
    # node's watchdog to run all the time, even with nothing on the wheels.
    needs_keepalive = False

    def keepalive(self) -> None:
        """Called on every watchdog check while active: outputs that stop by themselves when their host goes
        quiet (the Maestro's serial timeout) are told the host is alive. Nothing to do for most outputs."""
        return None

    def deactivate(self) -> None:
        """Neutral (tail light off), outputs off, hardware released; safe to call more than once."""
        try:
            if self.active:
                self.active = False
                self._write({**self.neutral, **dict.fromkeys(TAIL_CHANNELS, 0)})
                self._power(False)
        finally:
            self._close()

    def __enter__(self) -> PwmBackend:
        self.configure()
        self.activate()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.deactivate()

    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _write(self, duties: dict[str, int]) -> bool: ...

    @abstractmethod
    def _power(self, on: bool) -> None: ...

    @abstractmethod
    def _close(self) -> None: ...
